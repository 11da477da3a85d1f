#include "sync/net/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "sync/core/file.h"
#include "sync/core/hex.h"

namespace mpp::net {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// The first line of a saved session: which certificate, key and CA it was made with. A session
// made with another (a certificate re-issued after it expired or was revoked) is not offered:
// the centre would refuse it, and every sync would fail until the file was deleted.
std::string SessionTag(const TlsClientConfig& tls) {
  std::string material;
  for (const std::string* f : {&tls.cert_file, &tls.key_file, &tls.ca_file}) {
    std::ifstream in(*f, std::ios::binary);
    material.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    material += '\0';
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(material.data(), material.size(), md, &n, EVP_sha256(), nullptr);
  return "mppsync-session-for " +
         HexEncode(std::string_view(reinterpret_cast<const char*>(md), n)) + "\n";
}
}  // namespace

struct HttpClient::Impl {
  Impl(std::string h, uint16_t p, std::chrono::seconds t, std::optional<TlsClientConfig> tls_config)
      : host(std::move(h)),
        port(p),
        timeout(t),
        tls(std::move(tls_config)),
        ctx(ssl::context::tls_client) {
    if (tls) {
      if (!tls->session_file.empty()) session_tag = SessionTag(*tls);
      setup_error = ApplyTlsPolicy(ctx.native_handle());
      beast::error_code ec;
      if (!tls->cert_file.empty()) {  // no certificate: only for tests of refusal
        ctx.use_certificate_chain_file(tls->cert_file, ec);
        if (!ec) ctx.use_private_key_file(tls->key_file, ssl::context::pem, ec);
      }
      if (!ec) ctx.load_verify_file(tls->ca_file, ec);
      if (ec) setup_error = MakeError(Errc::kConfig, "TLS files: " + ec.message());
      ctx.set_verify_mode(ssl::verify_peer);
      ctx.set_verify_callback(ssl::host_name_verification(host));
    }
  }

  // Every network step is asynchronous and run to completion here, so that the tcp_stream's
  // deadline applies: Beast's timeouts do not cover synchronous operations, and a link that
  // stalls with the connection open (a satellite link gone quiet) would hang a sync until
  // TCP gave up, hours later.
  beast::error_code Run() {
    ioc.restart();
    ioc.run();
    return step_error;
  }
  auto Done() {
    return [this](beast::error_code ec, auto&&...) { step_error = ec; };
  }

  // Forgets the saved session and connects again, offering none.
  beast::error_code ConnectWithFullHandshake() {
    DropSession();
    Close();
    offer_session = false;
    const beast::error_code ec = Connect();
    offer_session = true;
    return ec;
  }

  beast::error_code Connect() {
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return ec;
    stream.emplace(ioc, ctx);
    auto& lowest = beast::get_lowest_layer(*stream);
    lowest.expires_after(timeout);
    lowest.async_connect(results, Done());
    if ((ec = Run())) return ec;
    lowest.socket().set_option(tcp::no_delay(true), ec);
    if (tls) {
      SSL* ssl = stream->native_handle();
      SSL_set_tlsext_host_name(ssl, host.c_str());
      SSL_SESSION* saved = offer_session ? LoadSession() : nullptr;
      if (saved) {
        SSL_set_session(ssl, saved);
        SSL_SESSION_free(saved);
      }
      lowest.expires_after(timeout);
      stream->async_handshake(ssl::stream_base::client, Done());
      ec = Run();
      // A server that refuses a resumed session may just close; a full handshake, at once,
      // gets its real answer (a revoked certificate's alert), and no request was sent yet.
      if (ec && saved) return ConnectWithFullHandshake();
      if (ec) return ec;
      session_saved = false;
      resumed = SSL_session_reused(ssl) == 1;
      // A resumed session skips verifying the server's certificate: one that expired since
      // must not be trusted. Start again with a full handshake, which verifies it.
      X509* server = SSL_get0_peer_certificate(ssl);
      if (resumed && (!server || X509_cmp_current_time(X509_get0_notAfter(server)) <= 0)) {
        return ConnectWithFullHandshake();
      }
    }
    connected = true;
    return ec;
  }

  template <typename S>
  beast::error_code Exchange(S& s, const bhttp::request<bhttp::string_body>& req,
                             bhttp::response<bhttp::string_body>& res) {
    beast::error_code ec;
    bhttp::async_write(s, req, [this](beast::error_code e, size_t n) {
      step_error = e;
      sent += n;
    });
    if ((ec = Run())) return ec;
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(256ull * 1024 * 1024);
    bhttp::async_read(s, buffer, parser, [this](beast::error_code e, size_t n) {
      step_error = e;
      received += n;
    });
    if ((ec = Run())) return ec;
    res = parser.release();
    return ec;
  }

  // One request and its response within `timeout` (the deadline covers both).
  beast::error_code RoundTrip(const bhttp::request<bhttp::string_body>& req,
                              bhttp::response<bhttp::string_body>& res) {
    beast::error_code ec;
    if (!connected && (ec = Connect())) return ec;
    beast::get_lowest_layer(*stream).expires_after(timeout);
    ec = tls ? Exchange(*stream, req, res) : Exchange(stream->next_layer(), req, res);
    if (!ec && tls && !session_saved) SaveSession();  // TLS 1.3 tickets come after the handshake
    if (!ec && !res.keep_alive()) Close();
    return ec;
  }

  SSL_SESSION* LoadSession() {
    if (tls->session_file.empty()) return nullptr;
    std::ifstream in(tls->session_file, std::ios::binary);
    if (!in) return nullptr;
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!text.starts_with(session_tag)) {  // made with another certificate, key or CA
      DropSession();
      return nullptr;
    }
    BIO* bio = BIO_new_mem_buf(text.data() + session_tag.size(),
                               static_cast<int>(text.size() - session_tag.size()));
    SSL_SESSION* s = bio ? PEM_read_bio_SSL_SESSION(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (s && !SSL_SESSION_is_resumable(s)) {
      SSL_SESSION_free(s);
      return nullptr;
    }
    return s;
  }

  void DropSession() const {
    if (!tls || tls->session_file.empty()) return;
    std::remove(tls->session_file.c_str());
  }

  void SaveSession() {
    session_saved = true;
    if (tls->session_file.empty()) return;
    SSL_SESSION* s = SSL_get1_session(stream->native_handle());
    if (!s) return;
    if (SSL_SESSION_is_resumable(s)) {
      // The session is a secret (it resumes our identity): written privately, never through
      // a link (WriteFileAtomically).
      BIO* mem = BIO_new(BIO_s_mem());
      if (mem && PEM_write_bio_SSL_SESSION(mem, s) == 1) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(mem, &data);
        (void)WriteFileAtomically(tls->session_file,
                                  session_tag + std::string(data, static_cast<size_t>(n)));
      }
      BIO_free(mem);
    }
    SSL_SESSION_free(s);
  }

  void Close() {
    if (stream) {
      beast::error_code ec;
      beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(*stream).socket().close(ec);
    }
    stream.reset();
    connected = false;
  }

  std::string host;
  uint16_t port;
  std::chrono::seconds timeout;
  std::optional<TlsClientConfig> tls;
  Status setup_error;
  asio::io_context ioc;
  ssl::context ctx;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  bool connected = false;
  bool session_saved = false;
  bool offer_session = true;     // false while reconnecting after a stale session
  bool resumed = false;          // the open connection resumed a saved session
  std::string session_tag;       // SessionTag(), when sessions are saved
  beast::error_code step_error;  // of the last asynchronous step Run() completed
  uint64_t sent = 0, received = 0;
};

HttpClient::HttpClient(std::string host, uint16_t port, std::chrono::seconds timeout,
                       std::optional<TlsClientConfig> tls)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout, std::move(tls))) {}

HttpClient::~HttpClient() { impl_->Close(); }

uint64_t HttpClient::bytes_sent() const { return impl_->sent; }
uint64_t HttpClient::bytes_received() const { return impl_->received; }

Result<http::Response> HttpClient::Send(const std::string& method, const std::string& target,
                                        const std::string& body, const std::string& content_type) {
  http::Request r;
  r.method = method;
  r.target = target;
  r.body = body;
  if (!body.empty() || method == "POST" || method == "PATCH") r.content_type = content_type;
  return Send(r);
}

static Error LinkError(const beast::error_code& ec, const std::string& method,
                       const std::string& where, std::chrono::seconds timeout) {
  const std::string what = method + " " + where;
  // A TLS error is a refused handshake or certificate (a cut link is another category).
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const std::string reason = ec.message();
    std::string hint =
        "check this site's certificate and key (mppctl doctor) and that --ca is the ministry "
        "CA; the centre's audit log says why it refused";
    if (reason.find("revoked") != std::string::npos) {
      hint = "this site's certificate is revoked: ask the ministry for a new one";
    } else if (reason.find("expired") != std::string::npos) {
      hint = "a certificate has expired (this site's, or the centre's): renew it";
    } else if (reason.find("certificate verify failed") != std::string::npos ||
               reason.find("unknown ca") != std::string::npos) {
      hint =
          "the centre's certificate is not one the CA in --ca signed (wrong --ca or wrong "
          "server), or this site's is not one the centre's CA signed";
    }
    return MakeError(Errc::kTlsRefused,
                     "TLS with the centre at " + where + " failed (" + reason + "): " + hint);
  }
  std::string reason = ec.message();
  if (ec == beast::error::timeout) {
    reason = "no answer within " + std::to_string(timeout.count()) + " s";
  }
  return MakeError(Errc::kUnreachable,
                   what + " got no answer (" + reason +
                       "): check the link and that mpp-central runs there. Nothing was lost: "
                       "what the centre acknowledged stays acknowledged, and the next sync goes "
                       "on from there");
}

Result<http::Response> HttpClient::Send(const http::Request& in) {
  if (!impl_->setup_error) return impl_->setup_error.error();
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(in.method), in.target, 11};
  req.set(bhttp::field::host, impl_->host);
  req.set(bhttp::field::user_agent, "mppsync");
  for (const auto& [k, v] : in.headers) req.set(k, v);
  if (!in.content_type.empty()) req.set(bhttp::field::content_type, in.content_type);
  req.body() = in.body;
  req.keep_alive(true);
  req.prepare_payload();
  bhttp::response<bhttp::string_body> res;
  const bool was_connected = impl_->connected;
  beast::error_code ec = impl_->RoundTrip(req, res);
  if (ec && was_connected && in.method == "GET") {
    // The server may have closed a kept-alive connection while we were idle: retry a read once
    // on a fresh one. Writes are not retried here: the server may have applied them; callers
    // that retry writes make them idempotent (client-minted ids, sync sequence numbers).
    impl_->Close();
    ec = impl_->RoundTrip(req, res);
  }
  if (ec) {
    // Refused after resuming: the session may be what was refused, so the next connection
    // makes a full handshake.
    if (impl_->resumed) impl_->DropSession();
    impl_->Close();
    return LinkError(ec, in.method, impl_->host + ":" + std::to_string(impl_->port),
                     impl_->timeout);
  }
  http::Response out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[bhttp::field::content_type]);
  for (const auto& field : res) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(res.body());
  return out;
}

}  // namespace mpp::net
