// A blocking HTTP/1.1 client over one kept-alive connection, plain or HTTPS with a client
// certificate, for tools, tests and the sync transport. A GET is retried once on a fresh
// connection when the server closed an idle one; writes never are. Counts bytes on the wire
// at the HTTP level (headers and bodies; TLS framing not included).
// Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sync/core/result.h"
#include "sync/http/message.h"
#include "sync/net/tls.h"

namespace mpp::net {

class HttpClient {
 public:
  // With `tls`, connects over TLS, presents the certificate and checks the server's against
  // the CA and `host`. `timeout` bounds connecting (with the handshake) and each request with
  // its response: a link that stalls fails the call after it, even with the connection open.
  HttpClient(std::string host, uint16_t port,
             std::chrono::seconds timeout = std::chrono::seconds(30),
             std::optional<TlsClientConfig> tls = std::nullopt);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and returns the response, whatever its HTTP status. Transport failures
  // (refused, reset, timeout, TLS refused) come back as kInternal with the reason.
  Result<http::Response> Send(const http::Request& request);
  Result<http::Response> Send(const std::string& method, const std::string& target,
                              const std::string& body = "",
                              const std::string& content_type = "application/json");
  Result<http::Response> Get(const std::string& target) { return Send("GET", target); }
  Result<http::Response> Post(const std::string& target, const std::string& body) {
    return Send("POST", target, body);
  }

  uint64_t bytes_sent() const;
  uint64_t bytes_received() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpp::net
