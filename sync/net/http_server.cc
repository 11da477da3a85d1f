#include "sync/net/http_server.h"

#include <openssl/ssl.h>
#include <sys/resource.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "sync/core/log.h"
#include "sync/http/reply.h"

namespace mpp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr uint32_t kHeaderLimit = 8 * 1024;

// At most `per_interval` events an interval are let through; the rest are counted.
class RateGate {
 public:
  RateGate(int per_interval, std::chrono::seconds interval)
      : per_interval_(per_interval), interval_(interval) {}
  // True when this event may be told; `*suppressed` is then how many were not, since the last.
  bool Pass(int* suppressed) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ >= interval_) {
      start_ = now;
      passed_ = 0;
    }
    if (passed_ >= per_interval_) {
      ++suppressed_;
      return false;
    }
    ++passed_;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  std::mutex mu_;
  const int per_interval_;
  const std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point start_{};
  int passed_ = 0, suppressed_ = 0;
};

// The connections open now, in all and per address.
class ConnectionCount {
 public:
  // One open connection from `address`, counted while the slot lives.
  class Slot {
   public:
    Slot(ConnectionCount& c, std::string address) : c_(c), address_(std::move(address)) {}
    ~Slot() { c_.Release(address_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ConnectionCount& c_;
    const std::string address_;
  };
  // A slot, or null when `address` or the whole server is at its limit.
  std::unique_ptr<Slot> Take(const std::string& address, size_t max_all, size_t max_one,
                             const char** why) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t& mine = per_address_[address];
    if (open_ >= max_all || (max_one > 0 && mine >= max_one)) {
      *why = open_ >= max_all ? "the server has --max-connections open"
                              : "this address has --max-per-address open";
      if (mine == 0) per_address_.erase(address);
      return nullptr;
    }
    ++open_;
    ++mine;
    return std::make_unique<Slot>(*this, address);
  }

 private:
  void Release(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    if (--per_address_[address] == 0) per_address_.erase(address);
  }
  std::mutex mu_;
  size_t open_ = 0;
  std::map<std::string, size_t> per_address_;
};

// The bound on refused TLS clients told (logged and audited): 10 a minute per address and 300
// a minute in all, so a flood of anonymous handshakes from one address cannot hide another
// address's revoked certificate, and many addresses cannot fill the audit log.
class RefusalGates {
 public:
  bool Pass(const std::string& address, int* suppressed) {
    std::lock_guard<std::mutex> lock(mu_);
    if (per_address_.size() >= 10'000 && !per_address_.count(address)) per_address_.clear();
    auto& gate = per_address_[address];
    if (!gate) gate = std::make_unique<RateGate>(10, std::chrono::seconds(60));
    int mine = 0, all = 0;
    if (!gate->Pass(&mine) || !all_.Pass(&all)) return false;
    *suppressed = mine + all;
    return true;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<RateGate>> per_address_;
  RateGate all_{300, std::chrono::seconds(60)};
};

struct Shared {
  HttpServerOptions options;
  http::Handler handler;
  asio::thread_pool* workers;
  std::shared_ptr<ssl::context> tls;   // null: plain HTTP
  std::shared_ptr<ClientTrust> trust;  // with tls
  size_t max_connections = 0;
  ConnectionCount connections;
  RefusalGates refusal_gates;
  RateGate log_gate{1, std::chrono::seconds(1)};
};

// The SSL ex_data slot where the verify callback leaves why a client certificate failed.
int RefusalIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bhttp::response<bhttp::string_body> ToBeast(const http::Response& r, unsigned version,
                                            bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "mppsync");
  res.set(bhttp::field::content_type, r.content_type);
  res.set(bhttp::field::cache_control, "no-store");
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// One connection. kTls: a TLS handshake first and a TLS shutdown last.
template <bool kTls>
class Session : public std::enable_shared_from_this<Session<kTls>> {
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  Session(tcp::socket socket, Shared& shared, std::string address,
          std::unique_ptr<ConnectionCount::Slot> slot)
      : stream_(MakeStream(std::move(socket), shared)),
        shared_(shared),
        address_(std::move(address)),
        slot_(std::move(slot)) {}

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Start, this->shared_from_this()));
  }

 private:
  static Stream MakeStream(tcp::socket socket, const Shared& shared) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *shared.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  void Start() {
    if constexpr (kTls) {
      SSL* ssl = stream_.native_handle();
      shared_.trust->Attach(ssl);
      SSL_set_ex_data(ssl, RefusalIndex(), &certificate_problem_);
      beast::get_lowest_layer(stream_).expires_after(shared_.options.timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
    } else {
      DoRead();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if constexpr (kTls) {
      SSL* ssl = stream_.native_handle();
      SSL_set_ex_data(ssl, RefusalIndex(), nullptr);
      if (ec) {
        // A client that only connected and left (a port scan, a health check) is no refusal.
        if (ec != asio::error::eof && ec != beast::error::timeout &&
            ec != ssl::error::stream_truncated && ec != asio::error::connection_reset) {
          Refused(ec.message(), certificate_problem_);
        }
        return;
      }
      // A resumed session skips certificate verification: a certificate that expired or was
      // revoked since the session began must be refused all the same, so check it again.
      if (SSL_session_reused(ssl)) {
        X509* cert = SSL_get0_peer_certificate(ssl);
        const std::string why = shared_.trust->Reverify(cert);
        if (!why.empty()) {
          Refused(why + " (resumed session)", DescribeCertificate(cert));
          return DoClose();
        }
      }
      peer_uris_ = PeerUris(ssl);
    } else if (ec) {
      return;
    }
    DoRead();
  }

  // Logs a refused TLS client and tells the server's owner (the audit log), both bounded.
  void Refused(const std::string& reason, const std::string& certificate) {
    int suppressed = 0;
    if (!shared_.refusal_gates.Pass(address_, &suppressed)) return;
    Log(LogLevel::kWarn, "tls_refused",
        {{"peer", address_},
         {"reason", reason},
         {"certificate", certificate},
         {"suppressed", std::to_string(suppressed)}});
    if (!shared_.options.on_tls_refusal) return;
    HttpServerOptions::TlsRefusal r{address_, certificate, reason, suppressed};
    asio::post(*shared_.workers,
               [&shared = shared_, r = std::move(r)] { shared.options.on_tls_refusal(r); });
  }

  void DoRead() {
    parser_.emplace();  // a fresh parser, with fresh limits, for every message
    parser_->body_limit(shared_.options.body_limit);
    parser_->header_limit(kHeaderLimit);
    beast::get_lowest_layer(stream_).expires_after(shared_.options.timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == ssl::error::stream_truncated || ec == asio::error::eof) {
      return DoClose();
    }
    if (ec == bhttp::error::body_limit) {
      return Write(
          http::ErrorResponse(MakeError(
              Errc::kBodyTooLarge,
              "request body is over " + std::to_string(shared_.options.body_limit) + " bytes")),
          11, false);
    }
    if (ec) {
      return Write(
          http::ErrorResponse(MakeError(Errc::kBadJson, "malformed HTTP request: " + ec.message())),
          11, false);
    }
    auto req = parser_->release();
    http::Request in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    in.content_type = std::string(req[bhttp::field::content_type]);
    in.body = std::move(req.body());
    in.peer_uris = peer_uris_;
    for (const auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      in.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    // The handler may block on SQLite: run it on the worker pool, then come back to the
    // connection's strand to write.
    asio::post(*shared_.workers, [self = this->shared_from_this(), in = std::move(in), version,
                                  keep_alive]() mutable {
      http::Response out = self->shared_.handler(in);
      asio::post(self->stream_.get_executor(),
                 [self, out = std::move(out), version, keep_alive]() mutable {
                   self->Write(out, version, keep_alive);
                 });
    });
  }

  void Write(const http::Response& r, unsigned version, bool keep_alive) {
    response_ = ToBeast(r, version, keep_alive);
    beast::get_lowest_layer(stream_).expires_after(shared_.options.timeout);
    bhttp::async_write(
        stream_, response_,
        beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), keep_alive));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (ec || !keep_alive) return DoClose();
    DoRead();
  }

  void DoClose() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  Shared& shared_;
  const std::string address_;
  const std::unique_ptr<ConnectionCount::Slot> slot_;
  std::string certificate_problem_;  // filled by the verify callback
  std::vector<std::string> peer_uris_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
};

Result<std::shared_ptr<ssl::context>> MakeServerContext(const TlsServerConfig& c) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  MPP_RETURN_IF_ERROR(ApplyTlsPolicy(ctx->native_handle()));
  beast::error_code ec;
  ctx->use_certificate_chain_file(c.cert_file, ec);
  if (!ec) ctx->use_private_key_file(c.key_file, ssl::context::pem, ec);
  if (!ec) ctx->load_verify_file(c.ca_file, ec);
  if (ec)
    return MakeError(Errc::kConfig, "TLS files (" + c.cert_file + ", " + c.key_file + ", " +
                                        c.ca_file + "): " + ec.message());
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  // Sessions may be resumed (TLS 1.3 tickets), which saves a site the certificate exchange on
  // every sync; resumption with client certificates needs a session id context.
  static const unsigned char kSessionContext[] = "mppsync";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext, sizeof kSessionContext - 1);
  // Stateful tickets (a short id into the server's cache) rather than stateless ones, which
  // would carry the client's certificate and double the bytes of every resumption. One each.
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx->native_handle(), 1);
  SSL_CTX_sess_set_cache_size(ctx->native_handle(), 20000);
  SSL_CTX_set_timeout(ctx->native_handle(), 24 * 3600);
  // The certificate is verified by OpenSSL against the connection's store (ClientTrust: the
  // CA, and the CRL with X509_V_FLAG_CRL_CHECK). This only notes why one failed, for the log.
  ctx->set_verify_callback([](bool preverified, ssl::verify_context& vc) {
    if (preverified) return true;
    X509_STORE_CTX* store = vc.native_handle();
    SSL* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* why = ssl ? static_cast<std::string*>(SSL_get_ex_data(ssl, RefusalIndex())) : nullptr;
    if (why && why->empty()) {
      *why = std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(store))) + ": " +
             DescribeCertificate(X509_STORE_CTX_get_current_cert(store));
    }
    return false;
  });
  return ctx;
}

}  // namespace

struct HttpServer::Impl {
  Impl(const HttpServerOptions& options, http::Handler handler)
      : shared(),
        ioc(options.io_threads),
        acceptor(asio::make_strand(ioc)),
        retry(acceptor.get_executor()),
        workers(static_cast<size_t>(options.worker_threads)) {
    shared.options = options;
    shared.handler = std::move(handler);
    shared.workers = &workers;
    shared.max_connections = options.max_connections;
    if (shared.max_connections == 0) {
      rlimit lim{};
      const rlim_t fds = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? lim.rlim_cur : 1024;
      shared.max_connections = fds > 80 ? static_cast<size_t>(fds - 64) : 16;
    }
  }

  void DoAccept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors (EMFILE, ENFILE) or memory: the connection waits in the
        // backlog. Accepting again at once would fail again at once, a busy loop that starves
        // the connections already open; wait a little, and say so (once a second at most).
        int suppressed = 0;
        if (shared.log_gate.Pass(&suppressed)) {
          Log(LogLevel::kError, "accept_failed",
              {{"reason", ec.message()},
               {"suppressed", std::to_string(suppressed)},
               {"advice", "raise the open-files limit (LimitNOFILE) or lower --max-connections"}});
        }
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code e) {
          if (!e && acceptor.is_open()) DoAccept();
        });
        return;
      }
      beast::error_code addr_ec;
      const std::string address = s.remote_endpoint(addr_ec).address().to_string();
      const char* why = "";
      auto slot = shared.connections.Take(address, shared.max_connections,
                                          shared.options.max_per_address, &why);
      if (!slot) {
        int suppressed = 0;
        if (shared.log_gate.Pass(&suppressed)) {
          Log(LogLevel::kWarn, "connection_refused",
              {{"peer", address},
               {"reason", why},
               {"max_connections", std::to_string(shared.max_connections)},
               {"max_per_address", std::to_string(shared.options.max_per_address)},
               {"suppressed", std::to_string(suppressed)}});
        }
        beast::error_code close_ec;
        s.close(close_ec);
        return DoAccept();
      }
      // Requests and answers are small and ping-pong: without TCP_NODELAY, Nagle's algorithm
      // and delayed ACKs add ~40 ms to every round trip.
      beast::error_code nd;
      s.set_option(tcp::no_delay(true), nd);
      if (shared.tls) {
        std::make_shared<Session<true>>(std::move(s), shared, address, std::move(slot))->Run();
      } else {
        std::make_shared<Session<false>>(std::move(s), shared, address, std::move(slot))->Run();
      }
      DoAccept();
    });
  }

  // First, so destroyed last: the sessions still waiting in `ioc` or `workers` when the server
  // stops are destroyed with them, and each gives its slot back to `shared.connections`
  // (declared after them, it was freed first: a double free at exit, seen under load).
  Shared shared;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  asio::thread_pool workers;
  std::vector<std::thread> threads;
  bool stopped = false;
  uint16_t port = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      http::Handler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  if (options.tls) {
    MPP_ASSIGN_OR_RETURN(impl->shared.trust,
                         ClientTrust::Load(options.tls->ca_file, options.tls->crl_file));
    MPP_ASSIGN_OR_RETURN(auto ctx, MakeServerContext(*options.tls));
    impl->shared.tls = std::move(ctx);
  }
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
    impl->retry.cancel();
  });
  impl_->workers.join();  // running handlers finish their transactions
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

}  // namespace mpp::net
