// Plain request/response values passed between the transport (sync/net) and the request
// handlers of both programs and both ends of the sync protocol. No Beast or Asio here:
// handlers are ordinary functions, testable without sockets.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mpp::http {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lowercase

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent: "/api/v1/applications?limit=10"
  std::string content_type;
  std::string body;
  Headers headers;  // other headers
  // The URIs in the subject alternative names of the client's verified TLS certificate
  // ("mpp:site:MPP7301"); empty over plain HTTP or without a client certificate.
  std::vector<std::string> peer_uris;

  // The value of header `name` (lowercase), or "".
  std::string Header(std::string_view name) const;
  // The target without its query string.
  std::string_view Path() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;

  // The value of header `name` (lowercase), or "".
  std::string Header(std::string_view name) const;
};

// Called on a worker thread, never on a network thread, so it may block on SQLite.
// Must not throw.
using Handler = std::function<Response(const Request&)>;

}  // namespace mpp::http
