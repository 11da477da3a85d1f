// Plain request/response values passed between the transport and the request handlers.
// No Beast or Asio here: handlers are ordinary functions, testable without sockets.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpp::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent: "/api/v1/applications?limit=10"
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // other headers, names lowercase
  // The URIs in the subject alternative names of the client's verified TLS certificate
  // ("mpp:site:MPP7301"); empty over plain HTTP or without a client certificate.
  std::vector<std::string> peer_uris;

  // The value of header `name` (lowercase), or "".
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
};

// Called on a worker thread, never on a network thread, so it may block on SQLite.
// Must not throw.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace mpp::net
