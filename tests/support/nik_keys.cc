#include "tests/support/nik_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace mpp::testing {
namespace {

std::string PemOf(EVP_PKEY* k, bool private_half) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  const int ok = private_half
                     ? PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr)
                     : PEM_write_bio_PUBKEY(bio.get(), k);
  if (ok != 1) throw std::runtime_error("cannot write a PEM key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::pair<std::string, std::string> NewRsaKeyPair(int bits) {
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (!k) throw std::runtime_error("cannot make an RSA key");
  std::pair<std::string, std::string> out{PemOf(k, false), PemOf(k, true)};
  EVP_PKEY_free(k);
  return out;
}

const TestNikKeys& NikKeysForTests() {
  static const TestNikKeys keys = [] {
    TestNikKeys t;
    std::tie(t.public_pem, t.private_pem) = NewRsaKeyPair();
    t.citizen_key = std::string(32, 'c');
    auto centre = std::make_shared<CitizenKeys>();
    if (!centre->AddSealingKey(t.private_pem).ok() || !centre->SetCitizenKey(t.citizen_key).ok()) {
      throw std::runtime_error("the test NIK keys do not load");
    }
    t.centre = std::move(centre);
    return t;
  }();
  return keys;
}

}  // namespace mpp::testing
