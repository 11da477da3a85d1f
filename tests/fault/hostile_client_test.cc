// Hostile clients against the real mpp-central over mutual TLS: a site that floods the centre
// is rate limited while another site's latency stays close to what it was alone; slow-drip
// connections that never finish their handshake are dropped after the timeout while other
// sites are served. The latencies are printed.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "sync/net/http_client.h"
#include "sync/protocol/messages.h"
#include "sync/protocol/wire.h"
#include "tests/support/central_process.h"
#include "tests/support/temp_dir.h"

namespace mpp {
namespace {

using Ms = std::chrono::duration<double, std::milli>;

class HostileClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status pki = pki_.Init({"MPP7301", "MPP7302"});
    ASSERT_TRUE(pki.ok()) << pki.error().message;
    auto central = testing::CentralProcess::Start(
        pki_, dir_.path(), {"--log-level", "error", "--rate-limit", "50", "--timeout", "2"});
    ASSERT_TRUE(central.ok()) << central.error().message;
    central_.emplace(std::move(central).value());
    port_ = central_->port();
  }

  std::unique_ptr<net::HttpClient> Client(const std::string& site) {
    return std::make_unique<net::HttpClient>("127.0.0.1", port_, std::chrono::seconds(10),
                                             pki_.ClientTls(site));
  }

  static http::Request Pull() {
    http::Request r;
    r.method = "GET";
    r.target = "/sync/v1/pull?after=0";
    r.headers = {{protocol::kHeaderProtocol, "1"}, {protocol::kHeaderSchema, "3"}};
    return r;
  }

  // The median latency of `n` pulls by `site` at ~40 a second (within its rate limit).
  double MedianPullMs(net::HttpClient& client, int n, int* errors) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = client.Send(Pull());
      ms.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
      if (!r.ok() || r->status != 200) ++*errors;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }

  testing::TempDir dir_;
  testing::TestPki pki_{dir_.File("pki")};
  std::optional<testing::CentralProcess> central_;
  uint16_t port_ = 0;
};

TEST_F(HostileClientTest, AFloodingSiteIsLimitedAndAnotherSiteBarelyNotices) {
  auto victim = Client("MPP7302");
  int errors = 0;
  (void)MedianPullMs(*victim, 20, &errors);  // warm up: handshake, caches
  const double alone = MedianPullMs(*victim, 120, &errors);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> sent{0}, limited{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 2; ++t) {
    flood.emplace_back([&] {
      auto c = Client("MPP7301");
      while (!stop) {  // as fast as one request a millisecond per connection
        auto r = c->Send(Pull());
        ++sent;
        if (r.ok() && r->status == 429) ++limited;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double flooded = MedianPullMs(*victim, 120, &errors);
  stop = true;
  for (auto& t : flood) t.join();
  EXPECT_EQ(errors, 0) << "the other site was refused or failed";
  EXPECT_GT(limited.load(), sent.load() / 2) << "the flood was not limited";
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // (Under a sanitizer every request costs 5-15 times the CPU; only the plain build times.)
  EXPECT_LT(flooded, alone * 1.2 + 0.5) << "the other site's median latency grew more than 20%";
#endif
  std::printf(
      "flood: MPP7301 sent %lld requests (%lld answered 429); MPP7302 median pull %.2f ms alone, "
      "%.2f ms during the flood (%+.0f%%), 0 errors\n",
      static_cast<long long>(sent.load()), static_cast<long long>(limited.load()), alone, flooded,
      (flooded / alone - 1) * 100);
}

TEST_F(HostileClientTest, SlowDripConnectionsAreDroppedAndOthersAreServed) {
  // 50 connections that drip one byte of a never-finished handshake every 200 ms.
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    fds.push_back(fd);
  }
  auto victim = Client("MPP7302");
  int errors = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<bool> dropped(fds.size(), false);
  double served_ms = 0;
  int served = 0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if (dropped[i]) continue;
      // MSG_NOSIGNAL: a dropped connection answers EPIPE/ECONNRESET, not a signal.
      if (send(fds[i], "\x16", 1, MSG_NOSIGNAL) < 0) dropped[i] = true;
    }
    const auto s0 = std::chrono::steady_clock::now();
    auto r = victim->Send(Pull());
    served_ms += Ms(std::chrono::steady_clock::now() - s0).count();
    ++served;
    if (!r.ok() || r->status != 200) ++errors;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto n_dropped = std::count(dropped.begin(), dropped.end(), true);
  for (int fd : fds) close(fd);
  EXPECT_EQ(n_dropped, 50) << "slow-drip connections outlived the 2 s timeout";
  EXPECT_EQ(errors, 0);
  std::printf(
      "slow drip: %lld of 50 connections dropped within 5 s (timeout 2 s); another site served "
      "%d requests meanwhile, mean %.2f ms, 0 errors\n",
      static_cast<long long>(n_dropped), served, served_ms / served);
}

}  // namespace
}  // namespace mpp
