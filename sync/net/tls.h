// TLS settings shared by the HTTPS server and client (OpenSSL 3 through Boost.Asio): TLS 1.2
// minimum (1.3 preferred), AEAD ciphers only, mutual authentication against one CA, and a CRL
// that is re-read when its file changes, so a revoked certificate is refused at its next
// handshake without a restart. Beast-free header.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sync/core/mutex.h"
#include "sync/core/result.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;

namespace mpp::net {

struct TlsServerConfig {
  std::string cert_file;  // server certificate chain (PEM)
  std::string key_file;   // its private key (PEM)
  std::string ca_file;    // the CA that signs client certificates
  std::string crl_file;   // optional: CRL of that CA (PEM); revoked clients are refused
};

struct TlsClientConfig {
  std::string cert_file;  // this peer's certificate (PEM)
  std::string key_file;
  std::string ca_file;  // the CA that signs the server's certificate
  // Optional: where to keep the TLS session (mode 0600) so the next connection, even from
  // another process, resumes it instead of a full handshake with certificates.
  std::string session_file;
};

// TLS ≥ 1.2, AEAD suites, no compression or renegotiation. kConfig on failure.
Status ApplyTlsPolicy(SSL_CTX* ctx);

// The URIs of the subject alternative names of `cert` ("mpp:site:MPP7301").
std::vector<std::string> CertificateUris(X509* cert);
// The same for the peer of a finished handshake.
std::vector<std::string> PeerUris(SSL* ssl);

// Serial numbers revoked by a CRL file, re-read whenever the file's modification time changes.
// Thread-safe.
class CrlWatcher {
 public:
  explicit CrlWatcher(std::string path) : path_(std::move(path)) {}
  // True if `cert` is listed. A CRL that cannot be read refuses everyone (fail closed).
  bool IsRevoked(X509* cert);

 private:
  void ReloadIfChangedLocked() REQUIRES(mu_);
  const std::string path_;
  Mutex mu_;
  int64_t mtime_ns_ GUARDED_BY(mu_) = -1;
  bool ok_ GUARDED_BY(mu_) = false;
  std::set<std::string> revoked_ GUARDED_BY(mu_);  // serial numbers, hex
};

}  // namespace mpp::net
