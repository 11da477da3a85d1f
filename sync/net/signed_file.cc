#include "sync/net/signed_file.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "sync/net/tls.h"

namespace mpp::net {
namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using Bio = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Store = std::unique_ptr<X509_STORE, Free<X509_STORE, X509_STORE_free>>;
using Cms = std::unique_ptr<CMS_ContentInfo, Free<CMS_ContentInfo, CMS_ContentInfo_free>>;

// OpenSSL's reasons, with the text it attached ("Verify error:certificate revoked").
std::string OpenSslReason() {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
    if (data && (flags & ERR_TXT_STRING)) out += std::string(" (") + data + ")";
  }
  return out.empty() ? "unknown" : out;
}

Bio MemoryOf(std::string_view data) {
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string Drain(BIO* bio) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

}  // namespace

Result<std::string> SignContent(std::string_view content, const std::string& cert_file,
                                const std::string& key_file) {
  Bio cert_in(BIO_new_file(cert_file.c_str(), "r"));
  Cert cert(cert_in ? PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return MakeError(Errc::kConfig, cert_file + " is not a PEM certificate");
  Bio key_in(BIO_new_file(key_file.c_str(), "r"));
  Key key(key_in ? PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return MakeError(Errc::kConfig, key_file + " is not a PEM private key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return MakeError(Errc::kConfig, key_file + " is not the key of " + cert_file);
  }
  Bio in = MemoryOf(content);
  Cms cms(CMS_sign(cert.get(), key.get(), nullptr, in.get(), CMS_BINARY | CMS_NOSMIMECAP));
  if (!cms)
    return MakeError(Errc::kConfig, "cannot sign with " + cert_file + ": " + OpenSslReason());
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio(out.get(), cms.get()) != 1) {
    return MakeError(Errc::kInternal, "cannot encode the signed file: " + OpenSslReason());
  }
  return Drain(out.get());
}

Result<SignedContent> OpenSignedContent(std::string_view signed_file, const std::string& ca_file,
                                        const std::string& crl_file, size_t max_size) {
  auto trust = NewTrustStore(ca_file, crl_file);
  if (!trust) return trust.error();
  Store store(*trust);
  // Our certificates are for TLS (clientAuth, serverAuth), not S/MIME: any purpose will do,
  // the chain, the dates and the CRL are what is checked.
  X509_STORE_set_purpose(store.get(), X509_PURPOSE_ANY);
  Bio in = MemoryOf(signed_file);
  Cms cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    return MakeError(Errc::kBadBundle, "not a signed bundle (a CMS SignedData file)");
  }
  ASN1_OCTET_STRING** inner = CMS_get0_content(cms.get());
  if (!inner || !*inner) return MakeError(Errc::kBadBundle, "the signed file holds no content");
  if (static_cast<size_t>(ASN1_STRING_length(*inner)) > max_size) {
    return MakeError(Errc::kBodyTooLarge,
                     "the bundle's content is over " + std::to_string(max_size >> 20) + " MiB");
  }
  // First the signature over the content alone, then the signer's certificate: a tampered
  // file and a signer we do not trust are different faults with different remedies.
  Bio ignored(BIO_new(BIO_s_mem()));
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, ignored.get(),
                 CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
    return MakeError(Errc::kBadBundle,
                     "the bundle does not match its signature (damaged or altered on the way): " +
                         OpenSslReason());
  }
  Bio out(BIO_new(BIO_s_mem()));
  if (CMS_verify(cms.get(), nullptr, store.get(), nullptr, out.get(), CMS_BINARY) != 1) {
    return MakeError(Errc::kBundleRefused,
                     "the bundle's signer is not trusted: " + OpenSslReason());
  }
  STACK_OF(X509)* signers = CMS_get0_signers(cms.get());
  if (!signers || sk_X509_num(signers) != 1) {
    sk_X509_free(signers);
    return MakeError(Errc::kBundleRefused, "a bundle has exactly one signer");
  }
  X509* signer = sk_X509_value(signers, 0);
  SignedContent result{Drain(out.get()), CertificateUris(signer), DescribeCertificate(signer)};
  sk_X509_free(signers);
  return result;
}

}  // namespace mpp::net
