// An HTTP/1.1 server (Boost.Beast) that reads requests, hands each to an http::Handler on a
// worker pool, and writes the response. It knows nothing of the API behind the handler.
//
// Plain HTTP, or HTTPS with mutual TLS when options.tls is set.
// Limits: bodies over `body_limit` get 413 and the connection is closed; headers over 8 KiB
// or an unparsable request get 400; a connection idle or stalled for `timeout` is dropped;
// connections are capped in all and per address. When accepting fails (out of descriptors),
// the server logs it and tries again 100 ms later instead of spinning.
// Keep-alive is honoured. Thread-safe: Start/Stop from any one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
  // Connections open at once: beyond it a new one is closed as soon as it is accepted (and
  // logged, at most once a second). 0: the file-descriptor limit (RLIMIT_NOFILE) less 64 for
  // the database, logs and CRL reads, so the process never runs out of descriptors itself.
  size_t max_connections = 0;
  // Connections open at once from one IP address (0: no limit): one site, or one attacker,
  // cannot take every connection.
  size_t max_per_address = 64;
  // Told of every refused TLS client (no certificate, another CA, expired, revoked), at most
  // 10 times a minute per address and 300 in all; `suppressed` counts the refusals not told
  // since the last call. Runs on a worker thread, so it may write to a database.
  struct TlsRefusal {
    std::string address;      // the peer's IP address
    std::string certificate;  // DescribeCertificate() of what it presented, or ""
    std::string reason;       // OpenSSL's words
    int suppressed = 0;
  };
  std::function<void(const TlsRefusal&)> on_tls_refusal;
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
