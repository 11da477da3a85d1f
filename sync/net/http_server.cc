#include "sync/net/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <thread>
#include <vector>

#include "sync/core/json_util.h"

namespace mpp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr uint32_t kHeaderLimit = 8 * 1024;

struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
  asio::thread_pool* workers;
};

http::response<http::string_body> ToBeast(const HttpResponse& r, unsigned version,
                                          bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "mppsync");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

HttpResponse ErrorResponse(Errc code, std::string message) {
  return HttpResponse{ErrcHttpStatus(code), "application/json",
                      ErrorJson(Error{code, std::move(message)}), {}};
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Shared& shared)
      : stream_(std::move(socket)), shared_(shared) {}

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  void DoRead() {
    parser_.emplace();  // a fresh parser, with fresh limits, for every message
    parser_->body_limit(shared_.options.body_limit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(shared_.options.timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return DoClose();
    }
    if (ec == http::error::body_limit) {
      return Write(ErrorResponse(Errc::kBodyTooLarge,
                                 "request body is over " +
                                     std::to_string(shared_.options.body_limit) + " bytes"),
                   11, false);
    }
    if (ec) {
      return Write(ErrorResponse(Errc::kBadJson, "malformed HTTP request: " + ec.message()), 11,
                   false);
    }
    auto req = parser_->release();
    HttpRequest in{std::string(req.method_string()), std::string(req.target()),
                   std::string(req[http::field::content_type]), std::move(req.body())};
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    // The handler may block on SQLite: run it on the worker pool, then come back to the
    // connection's strand to write.
    asio::post(*shared_.workers, [self = shared_from_this(), in = std::move(in), version,
                                  keep_alive]() mutable {
      HttpResponse out = self->shared_.handler(in);
      asio::post(self->stream_.get_executor(),
                 [self, out = std::move(out), version, keep_alive]() mutable {
                   self->Write(out, version, keep_alive);
                 });
    });
  }

  void Write(const HttpResponse& r, unsigned version, bool keep_alive) {
    response_ = ToBeast(r, version, keep_alive);
    stream_.expires_after(shared_.options.timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec || !keep_alive) return DoClose();
    DoRead();
  }

  void DoClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  const Shared& shared_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(const HttpServerOptions& options, HttpHandler handler)
      : ioc(options.io_threads),
        acceptor(asio::make_strand(ioc)),
        workers(static_cast<size_t>(options.worker_threads)),
        shared{options, std::move(handler), &workers} {}

  void DoAccept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(s), shared)->Run();
      DoAccept();
    });
  }

  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::thread_pool workers;
  Shared shared;
  std::vector<std::thread> threads;
  bool stopped = false;
  uint16_t port = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) return MakeError(Errc::kConfig, "'" + options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(Errc::kConfig, "cannot listen on " + options.host + ":" +
                                        std::to_string(options.port) + ": " + ec.message());
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->DoAccept();
  for (int i = 0; i < options.io_threads; ++i) {
    impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  impl_->workers.join();  // running handlers finish their transactions
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

}  // namespace mpp::net
