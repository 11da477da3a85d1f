// TLS settings shared by the HTTPS server and client (OpenSSL 3 through Boost.Asio): TLS 1.2
// minimum (1.3 preferred), AEAD ciphers only, mutual authentication against one CA, and a CRL
// that is re-read when its file changes, so a revoked certificate is refused at its next
// handshake without a restart. Beast-free header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sync/core/mutex.h"
#include "sync/core/result.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;
typedef struct x509_store_st X509_STORE;

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

// What the server trusts in a client certificate: the CA that signs them and, optionally, the
// CA's CRL, both checked by OpenSSL itself (X509_V_FLAG_CRL_CHECK: the CRL's signature and
// issuer must be the CA's and its next update still ahead, or every client is refused). The
// CRL file is read again whenever its modification time changes, so a revocation takes effect
// at the next handshake without a restart; a replacement that is not a valid CRL of the CA is
// logged as an error (event=crl_invalid) and the last good one stays in force. Thread-safe.
class ClientTrust {
 public:
  // kConfig naming the file and what is wrong: a CA that cannot be read, or a CRL that cannot
  // be read, is not signed by the CA, names another issuer, or is past its next update.
  static Result<std::shared_ptr<ClientTrust>> Load(const std::string& ca_file,
                                                   const std::string& crl_file);
  ~ClientTrust();
  ClientTrust(const ClientTrust&) = delete;
  ClientTrust& operator=(const ClientTrust&) = delete;

  // Makes `ssl` (a connection not yet handshaken) verify its peer with the current store.
  void Attach(SSL* ssl);
  // Checks `cert` again as a new handshake would (validity dates, the CRL): a resumed session
  // skips verification, so a certificate that expired or was revoked since its first
  // handshake would otherwise still get in. "" when it passes, else OpenSSL's reason.
  std::string Reverify(X509* cert);

 private:
  ClientTrust(std::string ca_file, std::string crl_file);
  // A new store from the files; kConfig as Load says.
  Result<X509_STORE*> Build() const;
  void ReloadIfChangedLocked() REQUIRES(mu_);

  const std::string ca_file_, crl_file_;
  Mutex mu_;
  X509_STORE* store_ GUARDED_BY(mu_) = nullptr;
  int64_t crl_mtime_ns_ GUARDED_BY(mu_) = -1;
};

// A store that verifies certificates against the CA in `ca_file` and, unless `crl_file` is
// empty, its CRL (checked as ClientTrust::Load says). The caller frees it (X509_STORE_free).
Result<X509_STORE*> NewTrustStore(const std::string& ca_file, const std::string& crl_file);

// When the PEM certificate in `cert_file` expires, Unix ms. kConfig when it cannot be read.
Result<int64_t> CertificateNotAfterMs(const std::string& cert_file);

// Checks a peer's own TLS files before they are used (mppctl init, config): the certificate
// and the key can be read, the key is the certificate's, the CA verifies the certificate and
// it is valid now, and it names `expected_uri` ("mpp:site:MPP7301"). kConfig naming the file
// and what is wrong.
Status CheckOwnCertificate(const TlsClientConfig& files, const std::string& expected_uri);

// "subject (serial N)" of `cert`, bounded, for logs and the audit log; "" for none.
std::string DescribeCertificate(X509* cert);

}  // namespace mpp::net
