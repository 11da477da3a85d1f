// Real processes killed with SIGKILL in the middle of a sync: mpp-central while it applies
// batches, and mppctl while it pushes. After restarts and a final sync, every change is at the
// centre exactly once and both sides hold the same data. The number of kills is printed.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "sync/core/json_util.h"
#include "sync/db/database.h"
#include "sync/store/site_store.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace mpp {
namespace {

using testing::Process;
using testing::RunCommand;

class KillSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = dir_.File("pki");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"init", pki_}, {"central", pki_, "central"}, {"site", pki_, "MPP7301"}}) {
      std::vector<std::string> argv = {"/bin/bash",
                                       std::string(MPP_SOURCE_DIR) + "/certs/mpp-ca.sh"};
      argv.insert(argv.end(), args.begin(), args.end());
      ASSERT_EQ(RunCommand(argv), 0);
    }
    StartCentral(0);
    site_ = dir_.File("site");
    ASSERT_EQ(RunCommand({MPP_CTL_BIN, "init", "--site", "MPP7301", "--data", site_, "--central",
                          "127.0.0.1:" + std::to_string(port_), "--cert", pki_ + "/MPP7301.crt",
                          "--key", pki_ + "/MPP7301.key", "--ca", pki_ + "/ca.crt"}),
              0);
  }

  // (Re)starts the centre on `port` (0: any; later restarts keep the first port).
  void StartCentral(uint16_t port) {
    central_.reset();
    central_ = std::make_unique<Process>(
        std::vector<std::string>{MPP_CENTRAL_BIN, "--data", dir_.File("central"), "--listen",
                                 "127.0.0.1:" + std::to_string(port), "--cert",
                                 pki_ + "/central.crt", "--key", pki_ + "/central.key", "--ca",
                                 pki_ + "/ca.crt", "--log-level", "error"},
        dir_.File("central.log"));
    const std::string line = central_->WaitForLine("listening ");
    ASSERT_FALSE(line.empty()) << testing::ReadFile(dir_.File("central.log"));
    port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }

  void Write(int applications) {
    SystemClock clock;
    CryptoRandom random;
    auto s = store::SiteStore::Open(site_ + "/site.db", clock, random);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < applications; ++i) {
      auto a = (*s)->CreateApplication({{"service_code", i % 3 ? "DKC-KK" : "SAM-PKB"}});
      ASSERT_TRUE(a.ok());
      if (i % 4 == 0) {
        ASSERT_TRUE((*s)->ChangeStatus((*a)["id"], {{"to", "verified"}}).ok());
      }
    }
  }

  int64_t CentralCount(const std::string& sql) {
    auto db = db::Database::Open(dir_.File("central") + "/central.db", {.create = false});
    auto v = (*db)->QueryInt(sql);
    return v.ok() ? *v : -1;
  }

  testing::TempDir dir_;
  std::string pki_, site_;
  std::unique_ptr<Process> central_;
  uint16_t port_ = 0;
};

TEST_F(KillSyncTest, KillingTheCentreAndTheSyncingToolLosesAndDuplicatesNothing) {
  std::mt19937 rng(42);
  int central_kills = 0, tool_kills = 0, interrupted = 0;
  int expected_apps = 0;
  for (int round = 0; round < 8; ++round) {
    Write(400);
    expected_apps += 400;
    // Start a sync and kill one side of it a few milliseconds in.
    Process sync({MPP_CTL_BIN, "--data", site_, "sync"}, dir_.File("sync.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    if (round % 2 == 0) {
      central_->Kill(SIGKILL);
      central_->Wait();
      ++central_kills;
      const int status = sync.Wait();
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++interrupted;  // cut mid-sync
      StartCentral(port_);
    } else {
      sync.Kill(SIGKILL);
      ++tool_kills;
      if (WIFSIGNALED(sync.Wait())) ++interrupted;  // died before it finished
    }
  }
  std::string out;
  ASSERT_EQ(RunCommand({MPP_CTL_BIN, "--data", site_, "sync"}, &out), 0) << out;
  ASSERT_EQ(RunCommand({MPP_CTL_BIN, "--data", site_, "verify"}, &out), 0) << out;
  EXPECT_NE(out.find("in sync"), std::string::npos);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), expected_apps);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM application_events"),
            expected_apps + expected_apps / 4);
  auto db = db::Database::Open(dir_.File("central") + "/central.db", {.create = false});
  auto check = (*db)->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE((*check)->Step().ok());
  EXPECT_EQ((*check)->ColumnText(0), "ok");
  EXPECT_GT(interrupted, 0) << "no kill landed inside a sync: the test proved nothing";
  std::printf(
      "kill -9 during sync: %d centre kills, %d tool kills, %d interrupted a sync, %d "
      "applications, 0 lost, 0 duplicated\n",
      central_kills, tool_kills, interrupted, expected_apps);
}

}  // namespace
}  // namespace mpp
