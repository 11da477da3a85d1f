// Files signed with the PKI's certificates, for what travels without a link (USB bundles):
// a CMS SignedData (RFC 5652, DER, OpenSSL's CMS) holding the content and the signer's
// certificate. Opening checks the signature over the content and the signer's certificate
// against the CA (and its CRL when given: a revoked or expired signer is refused), and names
// the signer by its certificate's SAN URIs; what the signer may send is the caller's rule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sync/core/result.h"

namespace mpp::net {

// Signs `content` with the key of `cert_file` (`key_file`). kConfig when either cannot be
// read or the key is not the certificate's.
Result<std::string> SignContent(std::string_view content, const std::string& cert_file,
                                const std::string& key_file);

struct SignedContent {
  std::string content;
  std::vector<std::string> signer_uris;  // "mpp:site:MPP7301", "mpp:centre"
  std::string signer;                    // subject and serial, for messages and logs
};

// kBadBundle when `signed_file` is not a signed file or its content does not match its
// signature (damaged or tampered); kBundleRefused naming OpenSSL's reason when the signer's
// certificate does not verify (another CA, expired, revoked); kConfig when the CA or CRL
// cannot be read. At most `max_size` bytes of content (kBodyTooLarge beyond).
Result<SignedContent> OpenSignedContent(std::string_view signed_file, const std::string& ca_file,
                                        const std::string& crl_file, size_t max_size);

}  // namespace mpp::net
