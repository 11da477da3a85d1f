// An HTTP/1.1 server (Boost.Beast) that reads requests, hands each to an http::Handler on a
// worker pool, and writes the response. It knows nothing of the API behind the handler.
//
// Plain HTTP, or HTTPS with mutual TLS when options.tls is set.
// Limits: bodies over `body_limit` get 413 and the connection is closed; headers over 8 KiB
// or an unparsable request get 400; a connection idle or stalled for `timeout` is dropped.
// Keep-alive is honoured. Thread-safe: Start/Stop from any one thread.
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

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see HttpServer::port())
  size_t body_limit = 64 * 1024;
  int io_threads = 1;
  int worker_threads = 4;
  std::chrono::seconds timeout{30};
  // When set, HTTPS with mutual TLS: a client without a valid certificate from the CA (or
  // with a revoked one) is refused at the handshake; the certificate's SAN URIs reach the
  // handler as http::Request::peer_uris.
  std::optional<TlsServerConfig> tls;
};

class HttpServer {
 public:
  // Binds and starts serving. kConfig when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   http::Handler handler);
  ~HttpServer();  // Stop()s
  uint16_t port() const;
  // Stops accepting, lets handlers that are running finish, and joins every thread.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpp::net
