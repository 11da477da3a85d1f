#include "sync/net/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

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

void CrlWatcher::ReloadIfChangedLocked() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    ok_ = false;
    mtime_ns_ = -1;
    return;
  }
  const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime == mtime_ns_) return;
  mtime_ns_ = mtime;
  ok_ = false;
  revoked_.clear();
  FILE* f = std::fopen(path_.c_str(), "r");
  if (!f) return;
  if (X509_CRL* crl = PEM_read_X509_CRL(f, nullptr, nullptr, nullptr)) {
    STACK_OF(X509_REVOKED)* list = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(list); ++i) {
      revoked_.insert(SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(list, i))));
    }
    ok_ = true;
    X509_CRL_free(crl);
  }
  std::fclose(f);
}

bool CrlWatcher::IsRevoked(X509* cert) {
  MutexLock lock(mu_);
  ReloadIfChangedLocked();
  if (!ok_) return true;  // fail closed: an unreadable CRL admits no one
  return revoked_.count(SerialHex(X509_get0_serialNumber(cert))) > 0;
}

}  // namespace mpp::net
