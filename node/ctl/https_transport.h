// The replicator's transport to mpp-central: HTTPS with this site's client certificate over
// one kept-alive connection (one TLS handshake for a whole sync).
#pragma once

#include <memory>
#include <string>

#include "sync/net/http_client.h"
#include "sync/replicator/replicator.h"

namespace mpp::ctl {

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

}  // namespace mpp::ctl
