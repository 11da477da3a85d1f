#include "sync/net/tls.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "sync/core/log.h"

namespace mpp::net {
namespace {

// TLS 1.2 suites with forward secrecy and AEAD; TLS 1.3 suites are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

}  // namespace

Status ApplyTlsPolicy(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return MakeError(Errc::kConfig, "cannot apply the TLS policy");
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  return {};
}

std::vector<std::string> CertificateUris(X509* cert) {
  std::vector<std::string> out;
  if (!cert) return out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = n->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::vector<std::string> PeerUris(SSL* ssl) {
  if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return CertificateUris(SSL_get0_peer_certificate(ssl));
}

namespace {

int64_t MtimeNs(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

ClientTrust::ClientTrust(std::string ca_file, std::string crl_file)
    : ca_file_(std::move(ca_file)), crl_file_(std::move(crl_file)) {}

ClientTrust::~ClientTrust() {
  MutexLock lock(mu_);
  X509_STORE_free(store_);
}

Result<std::shared_ptr<ClientTrust>> ClientTrust::Load(const std::string& ca_file,
                                                       const std::string& crl_file) {
  std::shared_ptr<ClientTrust> t(new ClientTrust(ca_file, crl_file));
  const int64_t mtime = crl_file.empty() ? -1 : MtimeNs(crl_file);
  MPP_ASSIGN_OR_RETURN(X509_STORE * store, t->Build());
  MutexLock lock(t->mu_);
  t->store_ = store;
  t->crl_mtime_ns_ = mtime;
  return t;
}

Result<X509_STORE*> NewTrustStore(const std::string& ca_file, const std::string& crl_file) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
    return MakeError(Errc::kConfig, "cannot read the CA certificate " + ca_file);
  }
  if (crl_file.empty()) return store.release();
  FILE* f = std::fopen(ca_file.c_str(), "r");
  std::unique_ptr<X509, decltype(&X509_free)> ca(
      f ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr, X509_free);
  if (f) std::fclose(f);
  f = std::fopen(crl_file.c_str(), "r");
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(
      f ? PEM_read_X509_CRL(f, nullptr, nullptr, nullptr) : nullptr, X509_CRL_free);
  if (f) std::fclose(f);
  const std::string what = "the CRL " + crl_file;
  if (!ca) return MakeError(Errc::kConfig, "cannot read the CA certificate " + ca_file);
  if (!crl) return MakeError(Errc::kConfig, "cannot read " + what + " (a PEM X509 CRL)");
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.get())) != 0) {
    return MakeError(Errc::kConfig, what + " is not issued by the CA " + ca_file);
  }
  if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())) != 1) {
    return MakeError(Errc::kConfig, what + " is not signed by the CA's key (" + ca_file +
                                        "); reissue it with certs/mpp-ca.sh");
  }
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  if (!next || X509_cmp_current_time(next) <= 0) {
    return MakeError(Errc::kConfig, what +
                                        " is past its next update; reissue it with "
                                        "certs/mpp-ca.sh (every client would be refused)");
  }
  if (X509_STORE_add_crl(store.get(), crl.get()) != 1 ||
      X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK) != 1) {
    return MakeError(Errc::kConfig, "cannot use " + what);
  }
  return store.release();
}

Result<X509_STORE*> ClientTrust::Build() const { return NewTrustStore(ca_file_, crl_file_); }

void ClientTrust::ReloadIfChangedLocked() {
  if (crl_file_.empty()) return;
  const int64_t mtime = MtimeNs(crl_file_);
  if (mtime == crl_mtime_ns_) return;
  crl_mtime_ns_ = mtime;
  auto fresh = Build();
  if (!fresh) {
    Log(LogLevel::kError, "crl_invalid",
        {{"message", fresh.error().message},
         {"advice", "the CRL read before stays in force; replace the file with a valid one"}});
    return;
  }
  X509_STORE_free(store_);  // connections that hold it keep their own reference
  store_ = *fresh;
  Log(LogLevel::kInfo, "crl_loaded", {{"file", crl_file_}});
}

void ClientTrust::Attach(SSL* ssl) {
  MutexLock lock(mu_);
  ReloadIfChangedLocked();
  SSL_set1_verify_cert_store(ssl, store_);
}

std::string ClientTrust::Reverify(X509* cert) {
  if (!cert) return "no certificate";
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  MutexLock lock(mu_);
  ReloadIfChangedLocked();
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_, cert, nullptr) != 1) return "out of memory";
  if (X509_verify_cert(ctx.get()) == 1) return "";
  return X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
}

Status CheckOwnCertificate(const TlsClientConfig& files, const std::string& expected_uri) {
  auto open = [](const std::string& path) {
    return std::unique_ptr<BIO, decltype(&BIO_free)>(BIO_new_file(path.c_str(), "r"), &BIO_free);
  };
  auto cert_bio = open(files.cert_file);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr,
      &X509_free);
  if (!cert) return MakeError(Errc::kConfig, files.cert_file + " is not a PEM certificate");
  auto key_bio = open(files.key_file);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr,
      &EVP_PKEY_free);
  if (!key) return MakeError(Errc::kConfig, files.key_file + " is not a PEM private key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return MakeError(Errc::kConfig, files.key_file + " is not the key of " + files.cert_file +
                                        ": give the key that was issued with the certificate");
  }
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  if (!store || X509_STORE_load_file(store.get(), files.ca_file.c_str()) != 1) {
    return MakeError(Errc::kConfig, files.ca_file + " is not a PEM CA certificate");
  }
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free);
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return MakeError(Errc::kConfig, "OpenSSL could not check " + files.cert_file);
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return MakeError(Errc::kConfig,
                     files.cert_file + " does not verify against " + files.ca_file + ": " +
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  const auto uris = CertificateUris(cert.get());
  if (std::find(uris.begin(), uris.end(), expected_uri) == uris.end()) {
    std::string named;
    for (const auto& u : uris) named += (named.empty() ? "" : ", ") + u;
    return MakeError(Errc::kConfig, files.cert_file + " is not " + expected_uri + "'s certificate" +
                                        (named.empty() ? "" : " (it names " + named + ")"));
  }
  return {};
}

Result<int64_t> CertificateNotAfterMs(const std::string& cert_file) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(cert_file.c_str(), "r"), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
  if (!cert) return MakeError(Errc::kConfig, cert_file + " is not a PEM certificate");
  struct tm t = {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &t) != 1) {
    return MakeError(Errc::kConfig, cert_file + " has an unreadable expiry date");
  }
  return static_cast<int64_t>(timegm(&t)) * 1000;
}

std::string DescribeCertificate(X509* cert) {
  if (!cert) return "";
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  std::string out = subject;
  const auto uris = CertificateUris(cert);
  for (size_t i = 0; i < uris.size() && i < 4; ++i) out += " " + uris[i].substr(0, 64);
  return out + " (serial " + SerialHex(X509_get0_serialNumber(cert)).substr(0, 40) + ")";
}

}  // namespace mpp::net
