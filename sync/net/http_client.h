// A blocking HTTP/1.1 client over one kept-alive TCP connection, for tools, tests and
// benchmarks talking to a node's local API. A GET is retried once on a fresh connection when
// the server closed an idle one; writes never are. Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sync/core/result.h"
#include "sync/net/http_types.h"

namespace mpp::net {

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and returns the response, whatever its HTTP status. Transport failures
  // (refused, reset, timeout) come back as kInternal with the reason.
  Result<HttpResponse> Send(const std::string& method, const std::string& target,
                            const std::string& body = "",
                            const std::string& content_type = "application/json");
  Result<HttpResponse> Get(const std::string& target) { return Send("GET", target); }
  Result<HttpResponse> Post(const std::string& target, const std::string& body) {
    return Send("POST", target, body);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpp::net
