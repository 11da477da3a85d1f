// Hostile clients against the real mpp-central over mutual TLS: a site that floods the centre
// is rate limited while another site's latency stays close to what it was alone; slow-drip
// connections that never finish their handshake are dropped after the timeout while other
// sites are served. The latencies are printed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "sync/core/compress.h"
#include "sync/db/database.h"
#include "sync/net/http_client.h"
#include "sync/protocol/messages.h"
#include "sync/protocol/wire.h"
#include "tests/support/central_process.h"
#include "tests/support/process.h"
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

// Issue 11, finding 6: a 2.7 KiB zstd body expanding to 28.6 MiB of {} elements cost the
// centre 1.45 GB and 12 s, and four at once stalled another site's pull for 11.6 s. A body is
// now refused as soon as it expands past 8 MiB, holds more than 200,000 JSON values, or more
// than 2,000 changes: each answer is 413 and costs milliseconds.
TEST_F(HostileClientTest, ExpensiveBodiesAreRefusedCheaplyAndAnotherSiteBarelyNotices) {
  std::string elements;
  for (int i = 0; i < 9'500'000; ++i) elements += "{},";  // 28.5 MiB
  elements.pop_back();
  const std::string bomb =
      ZstdCompress(R"({"site":"MPP7301","first_seq":1,"changes":[)" + elements + "]}");
  const std::string values = ZstdCompress(  // 7.2 MiB expanded: under the size limit
      R"({"site":"MPP7301","first_seq":1,"changes":[)" + elements.substr(0, 2'500'000 * 3 - 1) +
      "]}");
  std::string many = R"({"site":"MPP7301","first_seq":1,"changes":[)";
  for (int i = 1; i <= 2001; ++i) {
    many += R"({"seq":)" + std::to_string(i) +
            R"(,"hlc":"1","table":"surveys","row":"x","op":"insert","data":{}},)";
  }
  many.back() = ']';
  many += "}";
  elements.clear();
  std::printf("bodies: %zu B expanding to 28.5 MiB; %zu B expanding to 7.2 MiB; %zu changes\n",
              bomb.size(), values.size(), size_t{2001});

  auto victim = Client("MPP7302");
  int errors = 0;
  (void)MedianPullMs(*victim, 20, &errors);
  const double alone = MedianPullMs(*victim, 120, &errors);
  std::atomic<bool> stop{false};
  std::atomic<int64_t> sent{0}, refused{0};
  std::vector<std::thread> attackers;
  for (int t = 0; t < 4; ++t) {
    attackers.emplace_back([&, t] {
      auto c = Client("MPP7301");
      for (int i = t; !stop; ++i) {  // ~8 a second each: within the rate limit
        http::Request r;
        r.method = "POST";
        r.target = "/sync/v1/push";
        r.content_type = "application/json";
        r.headers = {{protocol::kHeaderProtocol, "1"}, {protocol::kHeaderSchema, "3"}};
        if (i % 3 == 2) {
          r.body = many;
        } else {
          r.body = i % 3 == 0 ? bomb : values;
          r.headers.push_back({"content-encoding", "zstd"});
        }
        auto res = c->Send(r);
        ++sent;
        if (res.ok() && res->status == 413 &&
            res->body.find("body_too_large") != std::string::npos) {
          ++refused;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(120));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double attacked = MedianPullMs(*victim, 120, &errors);
  stop = true;
  for (auto& t : attackers) t.join();
  const double peak = static_cast<double>(testing::PeakRssKb(central_->pid())) / 1024;
  EXPECT_EQ(errors, 0) << "the other site was refused or failed";
  EXPECT_EQ(refused.load(), sent.load()) << "an expensive body was not refused with 413";
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LT(attacked, alone * 1.2 + 0.5) << "the other site's median latency grew more than 20%";
  EXPECT_LT(peak, 256) << "the centre's memory grew with the bodies";
#endif
  std::printf(
      "expensive bodies: MPP7301 sent %lld (%lld answered 413); MPP7302 median pull %.2f ms "
      "alone, %.2f ms meanwhile (%+.0f%%), 0 errors; centre peak RSS %.0f MiB\n",
      static_cast<long long>(sent.load()), static_cast<long long>(refused.load()), alone, attacked,
      (attacked / alone - 1) * 100, peak);
}

// A TCP connection to 127.0.0.1:`port` from `source` (another loopback address is another
// peer to the centre); -1 if it could not be made.
int ConnectFrom(const char* source, uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source, &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// How many of `fds` the other end has not closed.
int StillOpen(const std::vector<int>& fds) {
  int open = 0;
  for (int fd : fds) {
    char c;
    const ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++open;
  }
  return open;
}

// The CPU seconds (user + system) process `pid` has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::atof(field.c_str());  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Issue 11, finding 7: one peer holding hundreds of idle connections took every file
// descriptor. Connections are capped per address (64 by default): the flood from one address
// gets 64, and a site on another address is served as before.
TEST_F(HostileClientTest, AConnectionFloodFromOneAddressIsCappedAndAnotherSiteBarelyNotices) {
  auto victim = Client("MPP7302");
  int errors = 0;
  (void)MedianPullMs(*victim, 20, &errors);
  const double alone = MedianPullMs(*victim, 120, &errors);
  std::vector<int> flood;
  for (int i = 0; i < 300; ++i) {
    const int fd = ConnectFrom("127.0.0.2", port_);
    if (fd >= 0) flood.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int held = StillOpen(flood);
  const double flooded = MedianPullMs(*victim, 120, &errors);
  auto fresh = Client("MPP7302");  // a new connection from a free address is accepted too
  auto r = fresh->Send(Pull());
  const bool fresh_ok = r.ok() && r->status == 200;
  for (int fd : flood) close(fd);
  EXPECT_EQ(flood.size(), 300u);
  EXPECT_LE(held, 64) << "one address held more than its 64 connections";
  EXPECT_TRUE(fresh_ok);
  EXPECT_EQ(errors, 0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LT(flooded, alone * 1.2 + 0.5) << "the other site's median latency grew more than 20%";
#endif
  std::printf(
      "connection flood: 300 idle connections from 127.0.0.2, %d kept open by the centre; "
      "MPP7302 median pull %.2f ms alone, %.2f ms meanwhile (%+.0f%%), 0 errors\n",
      held, alone, flooded, (flooded / alone - 1) * 100);
}

// Issue 11, finding 7: when the process ran out of file descriptors the accept loop spun at
// 90% CPU. With the caps turned off and a limit of 128 descriptors, 200 idle connections
// exhaust them: the centre now backs off (little CPU), says so in its log, and serves again as
// soon as descriptors are free.
TEST_F(HostileClientTest, OutOfDescriptorsTheCentreWaitsInsteadOfSpinningAndRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check needs a descriptor to read the process's memory map; with none left it
  // reports a false "invalid vptr" and halts the centre. The plain and TSan builds run this.
  GTEST_SKIP() << "not under ASan+UBSan: the sanitizer itself needs file descriptors";
#endif
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 128;
  std::filesystem::create_directories(dir_.File("low-fd"));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  auto started = testing::CentralProcess::Start(
      pki_, dir_.File("low-fd"),
      {"--log-level", "warn", "--max-connections", "1000", "--max-per-address", "0"});
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(started.ok()) << started.error().message;
  testing::CentralProcess& centre = *started;
  std::vector<int> flood;
  for (int i = 0; i < 200; ++i) {
    const int fd = ConnectFrom("127.0.0.2", centre.port());
    if (fd >= 0) flood.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double cpu0 = CpuSeconds(centre.pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double cpu = (CpuSeconds(centre.pid()) - cpu0) / 2;
  for (int fd : flood) close(fd);
  // Served again once the descriptors are back (the closed connections are reaped at once).
  bool served = false;
  const auto t0 = std::chrono::steady_clock::now();
  while (!served && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    net::HttpClient c("127.0.0.1", centre.port(), std::chrono::seconds(2),
                      pki_.ClientTls("MPP7302"));
    auto r = c.Send(Pull());
    served = r.ok() && r->status == 200;
  }
  std::ifstream in(centre.log_path());
  const std::string log{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_LT(cpu, 0.25) << "the accept loop spins";
  EXPECT_NE(log.find("event=accept_failed"), std::string::npos) << log.substr(0, 2000);
  EXPECT_TRUE(served) << "the centre did not serve again";
  std::printf(
      "out of descriptors: 200 connections against a limit of 128; the centre used "
      "%.0f%% of a core meanwhile; served again after: %s\n",
      cpu * 100, served ? "yes" : "no");
}

// Found in review: refusals were audited at most 30 a minute in all, so 35 junk handshakes
// from anywhere hid the next refused certificate. The bound is per address now.
TEST_F(HostileClientTest, JunkHandshakesFromOneAddressDoNotHideAnotherAddresssRefusal) {
  for (int i = 0; i < 40; ++i) {
    const int fd = ConnectFrom("127.0.0.2", port_);
    ASSERT_GE(fd, 0);
    const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";  // not TLS at all
    (void)send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL);
    char buf[64];
    (void)recv(fd, buf, sizeof buf, 0);  // the server's alert, then the close
    close(fd);
  }
  const net::TlsClientConfig none{"", "", pki_.Ca(), ""};
  net::HttpClient anonymous("127.0.0.1", port_, std::chrono::seconds(5), none);
  auto r = anonymous.Send(Pull());
  EXPECT_FALSE(r.ok() && r->status == 200);
  int64_t rows = 0;
  for (int i = 0; i < 30 && rows == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto db = db::Database::Open(central_->data_dir() + "/central.db", {.create = false});
    if (!db.ok()) continue;
    auto n = (*db)->QueryInt("SELECT COUNT(*) FROM audit_log WHERE peer = 'tls:127.0.0.1'", {});
    rows = n.ok() ? *n : 0;
  }
  EXPECT_GE(rows, 1) << "the refusal from 127.0.0.1 was not audited";
  auto db = db::Database::Open(central_->data_dir() + "/central.db", {.create = false});
  ASSERT_TRUE(db.ok());
  auto junk = (*db)->QueryInt("SELECT COUNT(*) FROM audit_log WHERE peer = 'tls:127.0.0.2'", {});
  ASSERT_TRUE(junk.ok());
  EXPECT_LE(*junk, 10) << "one address wrote more than its 10 a minute";
  std::printf(
      "junk handshakes: 40 from 127.0.0.2, %lld audited; the refusal from 127.0.0.1 "
      "audited: %s\n",
      static_cast<long long>(*junk), rows >= 1 ? "yes" : "no");
}

}  // namespace
}  // namespace mpp
