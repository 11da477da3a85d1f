#include "sync/core/nik.h"

#include <openssl/evp.h>

#include <algorithm>

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

namespace {

// What the byte sequence at `text[i]` is, for the NIK scan, and how long it is.
enum class Glyph { kDigit, kJoiner, kOther };

struct Scanned {
  Glyph glyph;
  size_t length;
};

Scanned ScanAt(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const size_t left = text.size() - i;
  const unsigned char c = b(0);
  if (c >= '0' && c <= '9') return {Glyph::kDigit, 1};
  if (c == ' ' || c == '-' || c == '.' || c == '\t') return {Glyph::kJoiner, 1};
  if (c < 0x80) return {Glyph::kOther, 1};
  if (c == 0xC2 && left >= 2 && (b(1) == 0xA0 || b(1) == 0xAD)) return {Glyph::kJoiner, 2};
  if (left >= 3 && c == 0xEF && b(1) == 0xBC && b(2) >= 0x90 && b(2) <= 0x99) {
    return {Glyph::kDigit, 3};  // full-width digits
  }
  if (left >= 3 && c == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return {Glyph::kJoiner, 3};
  if (left >= 3 && c == 0xE2 && b(1) == 0x80 && b(2) >= 0x80 && b(2) <= 0x95) {
    return {Glyph::kJoiner, 3};  // U+2000-2015: spaces, zero-width, hyphens and dashes
  }
  if (left >= 3 && c == 0xE2 && b(1) == 0x80 && b(2) == 0xAF) return {Glyph::kJoiner, 3};
  if (left >= 3 && c == 0xE2 && b(1) == 0x81 && (b(2) == 0xA0 || b(2) == 0x9F)) {
    return {Glyph::kJoiner, 3};  // word joiner, medium mathematical space
  }
  if (left >= 3 && c == 0xE2 && b(1) == 0x88 && b(2) == 0x92) return {Glyph::kJoiner, 3};
  if (left >= 3 && c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return {Glyph::kJoiner, 3};
  // Any other character: skip the whole UTF-8 sequence (or one stray byte).
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return {Glyph::kOther, std::min(n, left)};
}

// Calls `found(begin, end)` for every run of 16 or more digits, joiners between them allowed.
template <typename F>
void ForEachNikLikeRun(std::string_view text, F&& found) {
  size_t i = 0;
  while (i < text.size()) {
    Scanned s = ScanAt(text, i);
    if (s.glyph != Glyph::kDigit) {
      i += s.length;
      continue;
    }
    const size_t begin = i;
    size_t end = i, digits = 0;
    while (i < text.size()) {
      s = ScanAt(text, i);
      if (s.glyph == Glyph::kOther) break;
      i += s.length;
      if (s.glyph == Glyph::kDigit) {
        ++digits;
        end = i;
      }
    }
    if (digits >= 16) found(begin, end);
    i = end;  // joiners after the last digit belong to no run
  }
}

}  // namespace

std::string NikDigits(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const Scanned s = ScanAt(text, i);
    if (s.glyph == Glyph::kDigit) {
      const int d = s.length == 1 ? text[i] - '0' : static_cast<unsigned char>(text[i + 2]) - 0x90;
      out += static_cast<char>('0' + d);
    } else if (s.glyph == Glyph::kOther) {
      out.append(text.substr(i, s.length));
    }
    i += s.length;
  }
  return out;
}

bool ContainsNikLikeNumber(std::string_view text) {
  bool any = false;
  ForEachNikLikeRun(text, [&](size_t, size_t) { any = true; });
  return any;
}

std::string MaskNikLikeNumbers(std::string_view text) {
  std::string out;
  size_t copied = 0;
  ForEachNikLikeRun(text, [&](size_t begin, size_t end) {
    if (out.empty()) out.reserve(text.size());
    out.append(text.substr(copied, begin - copied));
    out += "[16-digit number hidden]";
    copied = end;
  });
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

}  // namespace mpp
