#include "tests/support/link_proxy.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace mpp::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Chunk {
  std::vector<char> data;
  Clock::time_point deliver_at;
};

struct Connection {
  explicit Connection(asio::io_context& io) : client(io), server(io) {}
  void Close() {
    boost::system::error_code ec;
    client.close(ec);
    server.close(ec);
  }
  tcp::socket client, server;
};

// One direction of one connection: reads as fast as the sender sends, delivers each chunk
// after the serialisation time at the capped rate plus the one-way delay, in order.
class Pump : public std::enable_shared_from_this<Pump> {
 public:
  // Keeps `conn` alive while it has work pending.
  Pump(std::shared_ptr<Connection> conn, bool upward, const LinkProfile& p,
       std::atomic<uint64_t>& counter, std::atomic<uint64_t>& other_direction)
      : conn_(std::move(conn)),
        from_(upward ? conn_->client : conn_->server),
        to_(upward ? conn_->server : conn_->client),
        profile_(p),
        counter_(counter),
        other_(other_direction),
        timer_(from_.get_executor()) {}

  void Start() { Read(); }

 private:
  size_t ChunkSize() const {
    if (profile_.bits_per_second <= 0) return 16384;
    // About 50 ms of the link per chunk, so pacing stays smooth at 32 kbit/s.
    return std::clamp<size_t>(static_cast<size_t>(profile_.bits_per_second / 8 / 20), 64, 16384);
  }

  void Read() {
    buf_.resize(ChunkSize());
    from_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) return self->Close();
      const auto now = Clock::now();
      auto tx_start = std::max(now, self->tx_free_);
      auto tx_time = std::chrono::nanoseconds(0);
      if (self->profile_.bits_per_second > 0) {
        tx_time = std::chrono::nanoseconds(static_cast<int64_t>(n) * 8 * 1'000'000'000 /
                                           self->profile_.bits_per_second);
      }
      self->tx_free_ = tx_start + tx_time;
      self->queue_.push_back(
          {std::vector<char>(self->buf_.begin(), self->buf_.begin() + static_cast<long>(n)),
           self->tx_free_ + std::chrono::milliseconds(self->profile_.one_way_delay_ms)});
      if (self->queue_.size() == 1) self->Deliver();
      self->Read();
    });
  }

  void Deliver() {
    if (queue_.empty()) return;
    timer_.expires_at(queue_.front().deliver_at);
    timer_.async_wait([self = shared_from_this()](auto ec) {
      if (ec) return;
      const int64_t stall = self->profile_.stall_after_bytes;
      if (stall > 0 && static_cast<int64_t>(self->counter_ + self->other_) >= stall) {
        return;  // stalled: nothing more is delivered, the connection stays open
      }
      asio::async_write(self->to_, asio::buffer(self->queue_.front().data),
                        [self](auto wec, size_t n) {
                          if (wec) return self->Close();
                          self->counter_ += n;
                          self->queue_.pop_front();
                          self->Deliver();
                        });
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    conn_->Close();
  }

  std::shared_ptr<Connection> conn_;
  tcp::socket& from_;
  tcp::socket& to_;
  const LinkProfile& profile_;
  std::atomic<uint64_t>& counter_;
  std::atomic<uint64_t>& other_;
  asio::steady_timer timer_;
  std::vector<char> buf_;
  std::deque<Chunk> queue_;
  Clock::time_point tx_free_{};
  bool closed_ = false;
};

}  // namespace

struct LinkProxy::Impl {
  Impl(uint16_t target, LinkProfile p)
      : profile(p),
        target_port(target),
        acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        cut_timer(io) {}

  void Accept() {
    acceptor.async_accept([this](auto ec, tcp::socket s) {
      if (ec) return;
      auto c = std::make_shared<Connection>(io);
      c->client = std::move(s);
      boost::system::error_code cec;
      c->server.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), target_port), cec);
      if (cec) {
        c->Close();
      } else {
        c->client.set_option(tcp::no_delay(true), cec);
        c->server.set_option(tcp::no_delay(true), cec);
        connections.push_back(c);
        std::make_shared<Pump>(c, true, profile, up_bytes, down_bytes)->Start();
        std::make_shared<Pump>(c, false, profile, down_bytes, up_bytes)->Start();
      }
      Accept();
    });
  }

  void CutLoop() {
    if (profile.cut_every_ms <= 0) return;
    cut_timer.expires_after(std::chrono::milliseconds(profile.cut_every_ms));
    cut_timer.async_wait([this](auto ec) {
      if (ec) return;
      for (auto& w : connections) {
        if (auto conn = w.lock()) conn->Close();
      }
      connections.clear();
      ++cut_count;
      CutLoop();
    });
  }

  void CutAfterBytes() {
    if (profile.cut_after_bytes <= 0) return;
    cut_timer.expires_after(std::chrono::milliseconds(1));
    cut_timer.async_wait([this](auto ec) {
      if (ec) return;
      if (static_cast<int64_t>(up_bytes + down_bytes) >= profile.cut_after_bytes + cut_base) {
        for (auto& w : connections) {
          if (auto conn = w.lock()) conn->Close();
        }
        connections.clear();
        cut_base = static_cast<int64_t>(up_bytes + down_bytes);
        ++cut_count;
      }
      CutAfterBytes();
    });
  }

  LinkProfile profile;
  uint16_t target_port;
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer cut_timer;
  std::list<std::weak_ptr<Connection>> connections;
  std::atomic<uint64_t> up_bytes{0}, down_bytes{0};
  std::atomic<int> cut_count{0};
  int64_t cut_base = 0;
  std::thread thread;
};

LinkProxy::LinkProxy(uint16_t target_port, LinkProfile profile)
    : impl_(std::make_unique<Impl>(target_port, profile)) {
  impl_->Accept();
  impl_->CutLoop();
  impl_->CutAfterBytes();
  impl_->thread = std::thread([io = &impl_->io] { io->run(); });
}

LinkProxy::~LinkProxy() {
  impl_->io.stop();
  impl_->thread.join();
}

uint16_t LinkProxy::port() const { return impl_->acceptor.local_endpoint().port(); }
uint64_t LinkProxy::bytes_up() const { return impl_->up_bytes; }
uint64_t LinkProxy::bytes_down() const { return impl_->down_bytes; }
int LinkProxy::cuts() const { return impl_->cut_count; }

}  // namespace mpp::testing
