// The replicator's transport to mpp-central: HTTPS with this site's client certificate over
// one kept-alive connection (one TLS handshake for a whole sync). mppctl's and mpp-node's
// sync agent's. And where a site's sync settings are (DIR/sync.json).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "sync/net/http_client.h"
#include "sync/replicator/replicator.h"

namespace mpp::common {

class HttpsTransport final : public replicator::SyncTransport {
 public:
  // `timeout`: a request that gets no answer for this long fails (a stalled link).
  HttpsTransport(const std::string& host, uint16_t port, const net::TlsClientConfig& tls,
                 std::chrono::seconds timeout = std::chrono::seconds(120))
      : client_(host, port, timeout, tls) {}
  Result<http::Response> Send(const http::Request& request) override {
    return client_.Send(request);
  }
  uint64_t bytes_sent() const override { return client_.bytes_sent(); }
  uint64_t bytes_received() const override { return client_.bytes_received(); }

 private:
  net::HttpClient client_;
};

// The sync settings of a site: `overrides` (flags: central, cert, key, ca), else
// DIR/sync.json (written by mppctl init and config). kConfig naming what is missing.
struct SyncSettings {
  std::string central;  // HOST:PORT
  net::TlsClientConfig tls;
};
Result<SyncSettings> LoadSyncSettings(const std::string& data_dir,
                                      const std::map<std::string, std::string>& overrides);
// HOST:PORT, not a URL; kConfig otherwise.
Status CheckCentral(const std::string& central);

}  // namespace mpp::common
