#include "sync/core/nik.h"

#include <openssl/evp.h>

#include "sync/core/hex.h"
#include "sync/core/json.h"

namespace mpp {

Status ValidateNik(std::string_view nik) {
  auto bad = [](const char* why) {
    return MakeError(Errc::kInvalidValue, std::string("nik is not a valid NIK: ") + why);
  };
  if (nik.size() != 16) return bad("it must be exactly 16 digits");
  for (char c : nik) {
    if (c < '0' || c > '9') return bad("it must contain digits only");
  }
  auto num = [&](size_t pos) { return (nik[pos] - '0') * 10 + (nik[pos + 1] - '0'); };
  const int province = num(0), day = num(6), month = num(8);
  if (province < 11 || province > 94) return bad("the province code (digits 1-2) is not 11-94");
  if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) {
    return bad("the birth day (digits 7-8) is not 01-31 or 41-71");
  }
  if (month < 1 || month > 12) return bad("the birth month (digits 9-10) is not 01-12");
  if (nik.substr(12) == "0000") return bad("the serial number (digits 13-16) is 0000");
  return {};
}

std::string CitizenRef(std::string_view key, std::string_view nik) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(nik.data()), nik.size(), mac, sizeof mac,
            &mac_len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

}  // namespace mpp
