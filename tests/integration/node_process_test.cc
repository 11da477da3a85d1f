// The real mpp-node binary over real HTTP on 127.0.0.1, with real kill -9.
#include <signal.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "sync/core/json.h"
#include "sync/db/database.h"
#include "sync/net/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace mpp {
namespace {

using testing::NodeProcess;
using testing::RunCommand;

class NodeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string out;
    ASSERT_EQ(RunCommand({MPP_CTL_BIN, "init", "--site", "MPP7310", "--data", dir_.path()}, &out),
              0)
        << out;
  }
  std::string log() const { return dir_.File("node.log"); }
  int64_t Scalar(const std::string& sql) {
    auto db = db::Database::Open(dir_.File("site.db"), {.create = false});
    EXPECT_TRUE(db.ok());
    auto s = (*db)->Prepare(sql);
    EXPECT_TRUE(s.ok()) << sql;
    EXPECT_TRUE((*s)->Step().ok());
    return (*s)->ColumnInt(0);
  }
  testing::TempDir dir_;
};

TEST_F(NodeProcessTest, ARecordAcknowledgedWith201SurvivesKill9) {
  std::vector<std::string> ids;
  for (int round = 0; round < 5; ++round) {
    NodeProcess node(dir_.path(), log());
    ASSERT_NE(node.port, 0) << testing::ReadFile(log());
    net::HttpClient client("127.0.0.1", node.port);
    for (const auto& id : ids) {  // everything from earlier rounds is still there
      auto r = client.Get("/api/v1/applications/" + id);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->status, 200) << "lost " << id << " after kill -9";
    }
    auto r = client.Post("/api/v1/applications",
                         R"({"service_code":"DKC-AKTA-LHR","nik":"7310026101950003"})");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->status, 201) << r->body;
    node.process.Kill(SIGKILL);  // the instant the clerk sees "saved"
    const int status = node.process.Wait();
    EXPECT_TRUE(WIFSIGNALED(status));
    ids.push_back(Json::parse(r->body)["id"]);
  }
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM applications"), 5);
}

TEST_F(NodeProcessTest, ConcurrentWritersKilledMidStreamLoseNothingAcknowledged) {
  std::vector<std::string> acked;
  for (int round = 0; round < 3; ++round) {
    NodeProcess node(dir_.path(), log());
    ASSERT_NE(node.port, 0);
    std::mutex mu;
    std::atomic<int> count{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, port = node.port] {
        net::HttpClient client("127.0.0.1", port, std::chrono::seconds(5));
        for (int i = 0; i < 500; ++i) {
          auto r = client.Post("/api/v1/applications", R"({"service_code":"SAM-PKB"})");
          if (!r.ok()) return;  // the node was killed under us
          if (r->status != 201) continue;
          std::lock_guard lock(mu);
          acked.push_back(Json::parse(r->body)["id"]);
          ++count;
        }
      });
    }
    while (count.load() < 40 * (round + 1)) std::this_thread::yield();
    node.process.Kill(SIGKILL);
    node.process.Wait();
    for (auto& t : writers) t.join();
  }
  ASSERT_GE(acked.size(), 120u);
  auto db = db::Database::Open(dir_.File("site.db"), {.create = false});
  ASSERT_TRUE(db.ok());
  auto check = (*db)->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE((*check)->Step().ok());
  EXPECT_EQ((*check)->ColumnText(0), "ok");
  auto find = (*db)->Prepare(
      "SELECT (SELECT COUNT(*) FROM applications WHERE id = ?1) + "
      "(SELECT COUNT(*) FROM change_log WHERE table_name = 'applications' AND row_id = ?1)");
  int missing = 0;
  for (const auto& id : acked) {
    (*find)->Reset();
    (*find)->Bind(1, id);
    ASSERT_TRUE((*find)->Step().ok());
    if ((*find)->ColumnInt(0) != 2) ++missing;
  }
  EXPECT_EQ(missing, 0) << "acknowledged applications lost or without their change";
  // Unacknowledged in-flight writes may or may not have landed, but never half: every
  // application has its change and its first event.
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM applications a WHERE NOT EXISTS (SELECT 1 FROM "
                   "application_events e WHERE e.application_id = a.id)"),
            0);
  EXPECT_EQ(Scalar("SELECT MAX(seq) - COUNT(*) FROM change_log"), 0);
}

TEST_F(NodeProcessTest, OversizedAndMalformedRequestsAreRefusedAndTheNodeCarriesOn) {
  NodeProcess node(dir_.path(), log());
  ASSERT_NE(node.port, 0);
  {
    net::HttpClient client("127.0.0.1", node.port);
    const std::string big =
        R"({"service_code":"DKC-KTP","notes":")" + std::string(200000, 'x') + "\"}";
    auto r = client.Post("/api/v1/applications", big);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(Json::parse(r->body)["error"]["code"], "body_too_large");
  }
  {
    net::HttpClient client("127.0.0.1", node.port);
    auto r = client.Post("/api/v1/applications", std::string(3000, '{'));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(Json::parse(r->body)["error"]["code"], "bad_json");
  }
  {
    net::HttpClient client("127.0.0.1", node.port);
    http::Request r;
    r.method = "POST";
    r.target = "/api/v1/applications";
    r.content_type = "application/json";
    r.body = R"({"service_code":"DKC-KTP"})";
    r.headers = {{"x-padding", std::string(20000, 'h')}};  // headers over 8 KiB
    auto res = client.Send(r);
    if (res.ok()) {  // answered 400 and closed, or closed at once: either way nothing saved
      EXPECT_EQ(res->status, 400) << res->body;
    }
  }
  net::HttpClient client("127.0.0.1", node.port);
  auto ok = client.Post("/api/v1/applications", R"({"service_code":"DKC-KTP"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 201);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM applications"), 1);
}

// Issue 11, finding 15: with no accounts yet, the office API must stay on this PC unless the
// operator says otherwise, answer no name a DNS-rebinding page gives it, and take no write a
// cross-site form can send (no Content-Type, or text/plain).
TEST_F(NodeProcessTest, TheOfficeApiStaysOnThisPcAndRefusesCrossSiteWrites) {
  std::string out;
  EXPECT_EQ(RunCommand({MPP_NODE_BIN, "--data", dir_.path(), "--listen", "0.0.0.0:0"}, &out), 2);
  EXPECT_NE(out.find("--allow-lan"), std::string::npos) << out;
  {
    testing::Process lan(
        {MPP_NODE_BIN, "--data", dir_.path(), "--listen", "0.0.0.0:0", "--allow-lan"}, log());
    EXPECT_NE(lan.WaitForLine("listening"), "") << testing::ReadFile(log());
  }
  NodeProcess node(dir_.path(), log(), {"--allow-host", "Loket1.local"});
  ASSERT_NE(node.port, 0) << testing::ReadFile(log());
  net::HttpClient client("127.0.0.1", node.port);
  auto send = [&](const std::string& host, const std::string& content_type) {
    http::Request r;
    r.method = "POST";
    r.target = "/api/v1/applications";
    r.content_type = content_type;
    r.body = R"({"service_code":"DKC-KTP"})";
    if (!host.empty()) r.headers = {{"host", host}};
    auto res = client.Send(r);
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().message);
    return res.ok() ? *res : http::Response{};
  };
  auto refused = [&](const http::Response& r, int status, const char* code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(Json::parse(r.body)["error"]["code"], code) << r.body;
  };
  refused(send("evil.example:" + std::to_string(node.port), "application/json"), 403,
          "forbidden_host");
  refused(send("", "text/plain"), 415, "unsupported_media_type");
  refused(send("", ""), 415, "unsupported_media_type");
  refused(send("", "application/x-www-form-urlencoded"), 415, "unsupported_media_type");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM applications"), 0);
  EXPECT_EQ(send("localhost:" + std::to_string(node.port), "application/json").status, 201);
  EXPECT_EQ(send("[::1]:" + std::to_string(node.port), "application/json").status, 201);
  EXPECT_EQ(
      send("loket1.local:" + std::to_string(node.port), "Application/JSON; charset=utf-8").status,
      201);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM applications"), 3);
}

TEST_F(NodeProcessTest, StatusWorksWhileTheNodeRunsAndShowsPendingChanges) {
  NodeProcess node(dir_.path(), log());
  ASSERT_NE(node.port, 0);
  net::HttpClient client("127.0.0.1", node.port);
  ASSERT_EQ(client.Post("/api/v1/applications", R"({"service_code":"DKC-KTP"})")->status, 201);
  std::string out;
  ASSERT_EQ(RunCommand({MPP_CTL_BIN, "--data", dir_.path(), "status", "--json"}, &out), 0) << out;
  auto j = Json::parse(out);
  EXPECT_EQ(j["site_code"], "MPP7310");
  EXPECT_EQ(j["counts"]["applications"], 1);
  EXPECT_EQ(j["pending_changes"], 12 + 2);  // 12 counters made at init + application + event
}

// Issue 10, finding 5: two mpp-node on one data directory both ran, and two `mppctl sync` at
// once each sent the same batch. One of each per directory now; the second is refused and
// told who holds it, and a holder killed with kill -9 leaves no stale lock behind.
// GET /metrics of the running node: requests counted by route and status, refusals by code,
// what waits to sync; in the Prometheus text format, with no id and no NIK in it.
TEST_F(NodeProcessTest, MetricsCountWhatTheNodeServedAndNameNoOneAndNoId) {
  NodeProcess node(dir_.path(), log());
  ASSERT_NE(node.port, 0) << testing::ReadFile(log());
  net::HttpClient client("127.0.0.1", node.port);
  auto made =
      client.Post("/api/v1/applications", R"({"service_code":"DKC-KTP","nik":"7310026101950003"})");
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string id = Json::parse(made->body)["id"];
  ASSERT_EQ(client.Get("/api/v1/applications/" + id)->status, 200);
  ASSERT_EQ(client.Post("/api/v1/applications", R"({"service_code":"NOPE"})")->status, 422);
  auto page = client.Get("/metrics");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = page->body;
  EXPECT_NE(m.find("mpp_http_requests_total{route=\"/api/v1/applications\",method=\"POST\","
                   "status=\"201\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("mpp_http_requests_total{route=\"/api/v1/applications/{id}\",method=\"GET\","
                   "status=\"200\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("mpp_http_errors_total{code=\"unknown_service\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("mpp_pending_changes{site=\"MPP7310\"} "), std::string::npos) << m;
  EXPECT_NE(m.find("mpp_sealed_niks_waiting{site=\"MPP7310\"} "), std::string::npos) << m;
  EXPECT_EQ(m.find(id), std::string::npos);
  EXPECT_EQ(m.find("7310026101950003"), std::string::npos);
  EXPECT_EQ(client.Post("/metrics", "{}")->status, 405);
}

TEST_F(NodeProcessTest, ASecondNodeOrSyncOnOneDirectoryIsRefusedNamingTheHolder) {
  std::string out;
  {
    NodeProcess node(dir_.path(), log());
    ASSERT_NE(node.port, 0);
    EXPECT_EQ(RunCommand({MPP_NODE_BIN, "--data", dir_.path(), "--listen", "127.0.0.1:0"}, &out),
              1);
    EXPECT_NE(out.find("data_dir_in_use"), std::string::npos) << out;
    EXPECT_NE(out.find("pid " + std::to_string(node.process.pid())), std::string::npos) << out;
    node.process.Kill(SIGKILL);
  }
  NodeProcess again(dir_.path(), log());  // the kernel dropped the dead node's lock
  EXPECT_NE(again.port, 0);

  // A sync holds its own lock: here this test holds it, as a running sync would.
  const int fd = ::open((dir_.path() + "/sync.lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const std::string pid = std::to_string(::getpid()) + "\n";
  ASSERT_EQ(::pwrite(fd, pid.data(), pid.size(), 0), static_cast<ssize_t>(pid.size()));
  EXPECT_EQ(RunCommand({MPP_CTL_BIN, "--data", dir_.path(), "sync", "--central", "127.0.0.1:1",
                        "--cert", "x", "--key", "x", "--ca", "x"},
                       &out),
            6)  // a local problem (docs/operations.md, "Exit status")
      << out;
  EXPECT_NE(out.find("data_dir_in_use"), std::string::npos) << out;
  EXPECT_NE(out.find("pid " + std::to_string(::getpid())), std::string::npos) << out;
  ::close(fd);
}

TEST(NodeStartupTest, RefusesAnUninitialisedDirectoryOrANewerSchemaClearly) {
  testing::TempDir dir;
  std::string out;
  EXPECT_EQ(RunCommand({MPP_NODE_BIN, "--data", dir.path(), "--listen", "127.0.0.1:0"}, &out), 1);
  EXPECT_NE(out.find("mppctl init"), std::string::npos) << out;

  ASSERT_EQ(RunCommand({MPP_CTL_BIN, "init", "--site", "MPP7301", "--data", dir.path()}), 0);
  {
    auto db = db::Database::Open(dir.File("site.db"), {.create = false});
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 42").ok());
  }
  EXPECT_EQ(RunCommand({MPP_NODE_BIN, "--data", dir.path(), "--listen", "127.0.0.1:0"}, &out), 1);
  EXPECT_NE(out.find("schema_too_new"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({MPP_NODE_BIN, "--bogus"}, &out), 2);
}

// Issue 11, finding 13: whatever the umask a technician's shell has, the data directory is
// 0700 and the database 0600, so another account on the PC reads nothing.
TEST(NodeFilesTest, InitMakesThePrivateDirectoryAndDatabaseWhateverTheUmask) {
  testing::TempDir dir;
  const std::string data = dir.File("site");
  const mode_t old = ::umask(0);
  std::string out;
  const int rc = RunCommand({MPP_CTL_BIN, "init", "--site", "MPP7310", "--data", data}, &out);
  ::umask(old);
  ASSERT_EQ(rc, 0) << out;
  struct stat st {};
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const std::string f : {"/site.db", "/site.db-wal", "/site.db-shm"}) {
    if (::stat((data + f).c_str(), &st) != 0) continue;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}

}  // namespace
}  // namespace mpp
