#include "sync/net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mpp::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
}  // namespace

struct HttpClient::Impl {
  Impl(std::string h, uint16_t p, std::chrono::seconds t)
      : host(std::move(h)), port(p), timeout(t), stream(ioc) {}

  beast::error_code Connect() {
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    stream.expires_after(timeout);
    stream.connect(results, ec);
    connected = !ec;
    return ec;
  }

  beast::error_code RoundTrip(const http::request<http::string_body>& req,
                              http::response<http::string_body>& res) {
    beast::error_code ec;
    if (!connected && (ec = Connect())) return ec;
    stream.expires_after(timeout);
    http::write(stream, req, ec);
    if (ec) return ec;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64ull * 1024 * 1024);
    http::read(stream, buffer, parser, ec);
    if (ec) return ec;
    res = parser.release();
    if (!res.keep_alive()) Close();
    return ec;
  }

  void Close() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
    connected = false;
  }

  std::string host;
  uint16_t port;
  std::chrono::seconds timeout;
  asio::io_context ioc;
  beast::tcp_stream stream;
  bool connected = false;
};

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::seconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}

HttpClient::~HttpClient() { impl_->Close(); }

Result<HttpResponse> HttpClient::Send(const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& content_type) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "mppsync");
  if (!body.empty() || method == "POST" || method == "PATCH") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  http::response<http::string_body> res;
  const bool was_connected = impl_->connected;
  beast::error_code ec = impl_->RoundTrip(req, res);
  if (ec && was_connected && method == "GET") {
    // The server may have closed a kept-alive connection while we were idle: retry a read once
    // on a fresh one. Writes are not retried here: the server may have applied them; callers
    // that retry writes send client-minted ids.
    impl_->Close();
    ec = impl_->RoundTrip(req, res);
  }
  if (ec) {
    impl_->Close();
    return MakeError(Errc::kInternal, "HTTP " + method + " " + impl_->host + ":" +
                                          std::to_string(impl_->port) + " failed: " + ec.message());
  }
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  return out;
}

}  // namespace mpp::net
