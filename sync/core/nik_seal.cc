#include "sync/core/nik_seal.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "sync/core/hex.h"
#include "sync/core/nik.h"

namespace mpp {
namespace {

constexpr std::string_view kVersion = "v1:";
constexpr size_t kKeyIdLength = 16;
// The OAEP label binds a sealing to the record it was made for: opened for another site or
// another row, it does not open (a site cannot pass off another's sealed NIK as its own).
std::string OaepLabel(std::string_view site, std::string_view row_id) {
  return "mpp nik v1|" + std::string(site) + "|" + std::string(row_id);
}

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

std::shared_ptr<EVP_PKEY> ReadPem(std::string_view pem, bool want_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return nullptr;
  EVP_PKEY* k = want_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  return std::shared_ptr<EVP_PKEY>(k, &EVP_PKEY_free);
}

bool IsPrivateKeyPem(std::string_view pem) {
  return pem.find("PRIVATE KEY-----") != std::string_view::npos;
}

Status CheckRsa(const std::shared_ptr<EVP_PKEY>& k, std::string_view what) {
  if (!k) return MakeError(Errc::kConfig, std::string(what) + " is not a PEM key");
  if (!EVP_PKEY_is_a(k.get(), "RSA") || EVP_PKEY_get_bits(k.get()) < 2048) {
    return MakeError(Errc::kConfig, std::string(what) +
                                        " must be an RSA key of 2048 bits or more (" +
                                        "openssl genpkey -algorithm RSA -pkeyopt " +
                                        "rsa_keygen_bits:3072 makes one)");
  }
  return {};
}

// The first 16 hex digits of SHA-256 of the public key's DER form.
std::string PublicKeyId(EVP_PKEY* k) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(k, &der);
  if (n <= 0) return {};
  std::string id =
      Sha256Hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(n)))
          .substr(0, kKeyIdLength);
  OPENSSL_free(der);
  return id;
}

// An OAEP (SHA-256, our label) context on `k` for encrypting or decrypting.
PkeyCtx OaepContext(EVP_PKEY* k, bool encrypt, const std::string& oaep_label) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, k, nullptr));
  if (!ctx) return nullptr;
  if ((encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) <= 0) {
    return nullptr;
  }
  void* label = OPENSSL_memdup(oaep_label.data(), oaep_label.size());
  if (!label || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label,
                                                 static_cast<int>(oaep_label.size())) <= 0) {
    OPENSSL_free(label);
    return nullptr;
  }
  return ctx;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> FromBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;  // EVP_DecodeBlock counts the padding as zero bytes
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && pad < 2; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<std::string> SealedNikKeyId(std::string_view sealed) {
  const auto bad = MakeError(Errc::kInvalidValue,
                             "nik_sealed must be \"v1:<16 hex digits>:<base64>\", as a site seals "
                             "a NIK for the centre");
  if (sealed.size() > 1024 || sealed.substr(0, kVersion.size()) != kVersion) return bad;
  const std::string_view rest = sealed.substr(kVersion.size());
  if (rest.size() < kKeyIdLength + 2 || rest[kKeyIdLength] != ':') return bad;
  const std::string_view id = rest.substr(0, kKeyIdLength);
  const std::string_view body = rest.substr(kKeyIdLength + 1);
  if (!IsLowerHex(id) || !FromBase64(body) || ContainsNikLikeNumber(body)) return bad;
  return std::string(id);
}

Result<NikSealer> NikSealer::FromPem(std::string_view pem) {
  if (IsPrivateKeyPem(pem)) {  // a site must never hold it
    return MakeError(Errc::kConfig,
                     "this is the private sealing key, which only the centre may hold: give the "
                     "site the public one (nik-sealing.pub, made by certs/mpp-ca.sh nik-keys)");
  }
  NikSealer s;
  s.key_ = ReadPem(pem, /*want_private=*/false);
  MPP_RETURN_IF_ERROR(CheckRsa(s.key_, "the NIK sealing key"));
  s.key_id_ = PublicKeyId(s.key_.get());
  return s;
}

Result<std::string> NikSealer::Seal(std::string_view nik, std::string_view site,
                                    std::string_view row_id) const {
  PkeyCtx ctx = OaepContext(key_.get(), /*encrypt=*/true, OaepLabel(site, row_id));
  size_t n = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(nik.data());
  if (!ctx || EVP_PKEY_encrypt(ctx.get(), nullptr, &n, in, nik.size()) <= 0) {
    return MakeError(Errc::kInternal, "OpenSSL could not set up RSA-OAEP sealing");
  }
  std::string out(n, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, in,
                       nik.size()) <= 0) {
    return MakeError(Errc::kInternal, "OpenSSL could not seal a NIK");
  }
  out.resize(n);
  return std::string(kVersion) + key_id_ + ":" + Base64(out);
}

Status CitizenKeys::AddSealingKey(std::string_view pem) {
  if (!IsPrivateKeyPem(pem) && pem.find("PUBLIC KEY-----") != std::string_view::npos) {
    return MakeError(Errc::kConfig,
                     "this is the public sealing key (the sites' one): the centre needs the "
                     "private half (nik-sealing.key)");
  }
  auto k = ReadPem(pem, /*want_private=*/true);
  MPP_RETURN_IF_ERROR(CheckRsa(k, "a NIK sealing private key"));
  sealing_[PublicKeyId(k.get())] = std::move(k);
  return {};
}

std::string CitizenKeys::sealing_key_ids() const {
  std::string out;
  for (const auto& [id, _] : sealing_) out += (out.empty() ? "" : ",") + id;
  return out;
}

Status CitizenKeys::SetCitizenKey(std::string_view key) {
  if (key.size() < 32) {
    return MakeError(Errc::kConfig, "the national citizen key must be at least 32 bytes (" +
                                        std::to_string(key.size()) + " given)");
  }
  if (key.find("-----BEGIN") != std::string_view::npos) {
    return MakeError(Errc::kConfig,
                     "this is a PEM key, not the citizen key (citizen.key: 32 random bytes, "
                     "made by certs/mpp-ca.sh nik-keys)");
  }
  citizen_key_ = std::string(key);
  citizen_key_id_ = SecretKeyId(key);
  return {};
}

Result<std::string> CitizenKeys::CitizenRefOf(std::string_view sealed, std::string_view site,
                                              std::string_view row_id) const {
  MPP_ASSIGN_OR_RETURN(const std::string id, SealedNikKeyId(sealed));
  auto it = sealing_.find(id);
  if (it == sealing_.end() || citizen_key_.empty()) {
    return MakeError(Errc::kNotFound, "no sealing key " + id + " and citizen key at this centre");
  }
  const auto body = *FromBase64(sealed.substr(kVersion.size() + kKeyIdLength + 1));
  PkeyCtx ctx = OaepContext(it->second.get(), /*encrypt=*/false, OaepLabel(site, row_id));
  const auto* in = reinterpret_cast<const unsigned char*>(body.data());
  size_t n = 0;
  if (!ctx || EVP_PKEY_decrypt(ctx.get(), nullptr, &n, in, body.size()) <= 0) {
    return MakeError(Errc::kInvalidValue, "nik_sealed does not open with sealing key " + id +
                                              " for this application of this site");
  }
  std::string nik(n, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(nik.data()), &n, in,
                       body.size()) <= 0) {
    return MakeError(Errc::kInvalidValue, "nik_sealed does not open with sealing key " + id +
                                              " for this application of this site");
  }
  nik.resize(n);
  MPP_RETURN_IF_ERROR(ValidateNik(nik));
  return CitizenRef(citizen_key_, nik);
}

std::string NewSecretKey() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    std::abort();  // no entropy: never hand out a predictable key
  }
  return key;
}

std::string SecretKeyId(std::string_view key) {
  return CitizenRef(key, "mpp key id").substr(0, kKeyIdLength);
}

}  // namespace mpp
