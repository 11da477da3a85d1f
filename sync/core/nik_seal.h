// The citizen's NIK on its way to the centre, and the references each end keeps of it.
//
// Three keys, each held by one party (docs/architecture.md, "Personal data"):
//  - the site's own key (a file beside its database, made at `mppctl init`): the office
//    matches a citizen by `site_ref` = HMAC-SHA256(site key, NIK). It tells nothing about any
//    other site's citizens.
//  - the ministry's sealing key pair (RSA, 2048 bits or more): a site holds the public half
//    and seals each NIK for the centre with RSA-OAEP (SHA-256) into `nik_sealed`; only the
//    centre holds the private half. A site drops the sealed value once the centre has it.
//  - the national citizen key (only at the centre, a file outside its database): the centre
//    opens `nik_sealed` and stores `citizen_ref` = HMAC-SHA256(national key, NIK) with the
//    key's id (`citizen_key`), so the same citizen has the same reference nationwide.
// Every key has an id (16 hex digits) derived from the key itself, so a key can be rotated:
// a sealed value names the sealing key it was made for, a reference the key it was made with.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "sync/core/result.h"

struct evp_pkey_st;

namespace mpp {

// The form of a sealed NIK: "v1:" + the sealing key's id + ":" + base64 of the RSA-OAEP
// ciphertext. kInvalidValue for anything else; the key id otherwise.
Result<std::string> SealedNikKeyId(std::string_view sealed);

// The site's end: the ministry's public sealing key.
class NikSealer {
 public:
  // From a PEM public key (SubjectPublicKeyInfo, as `openssl pkey -pubout` writes). kConfig
  // when it is not an RSA key of 2048 bits or more, or is the private key (which a site must
  // never hold).
  static Result<NikSealer> FromPem(std::string_view pem);

  const std::string& key_id() const { return key_id_; }
  // A fresh sealing of `nik` for the application `row_id` of `site` (randomised: two sealings
  // of one NIK differ); it opens for that record only.
  Result<std::string> Seal(std::string_view nik, std::string_view site,
                           std::string_view row_id) const;

 private:
  std::shared_ptr<evp_pkey_st> key_;
  std::string key_id_;
};

// The centre's end: the sealing private keys (old ones kept while sites still use them) and
// the national citizen key.
class CitizenKeys {
 public:
  // Adds a sealing private key (PEM). kConfig when it is not an RSA private key of 2048 bits
  // or more.
  Status AddSealingKey(std::string_view pem);
  // Sets the national citizen key (raw bytes, at least 32). kConfig when shorter, or a PEM key
  // given by mistake.
  Status SetCitizenKey(std::string_view key);

  bool can_open() const { return !sealing_.empty() && !citizen_key_.empty(); }
  bool has_sealing_key(const std::string& id) const { return sealing_.count(id) > 0; }
  std::string sealing_key_ids() const;  // comma-separated, for the log
  const std::string& citizen_key_id() const { return citizen_key_id_; }

  // The national reference of the NIK sealed in `sealed` for the application `row_id` of
  // `site`. kInvalidValue when it is malformed, does not open (for that record), or holds no
  // valid NIK; kNotFound when no key of this centre opens it (its key id is not held, or no
  // citizen key is set): keep it and open it when the key is given.
  Result<std::string> CitizenRefOf(std::string_view sealed, std::string_view site,
                                   std::string_view row_id) const;

 private:
  std::map<std::string, std::shared_ptr<evp_pkey_st>> sealing_;
  std::string citizen_key_;
  std::string citizen_key_id_;
};

// A new random key of 32 bytes from OpenSSL's generator, for a site key or a citizen key.
std::string NewSecretKey();
// The id of a secret key: the first 16 hex digits of HMAC-SHA256(key, "mpp key id").
std::string SecretKeyId(std::string_view key);

}  // namespace mpp
