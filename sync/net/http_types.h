// Plain request/response values passed between the transport and the request handlers.
// No Beast or Asio here: handlers are ordinary functions, testable without sockets.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace mpp::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent: "/api/v1/applications?limit=10"
  std::string content_type;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called on a worker thread, never on a network thread, so it may block on SQLite.
// Must not throw.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace mpp::net
