// One sync as the technician runs it: stopped between batches (Ctrl-C), push or pull only,
// under a bandwidth cap, and the history every attempt leaves; and the centre's hello.
#include <gtest/gtest.h>

#include "sync/replicator/paced_transport.h"
#include "tests/sync/replicator/sync_fixture.h"

namespace mpp::testing {
namespace {

class SyncRunTest : public SyncFixture {
 protected:
  int64_t Pending(TestSite& s) {
    auto p = s.store->replica().PendingChanges();
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->changes : -1;
  }
  Json History(TestSite& s) {
    auto h = s.store->replica().SyncHistory(1000);
    EXPECT_TRUE(h.ok());
    return h.ok() ? *h : Json::array();
  }
};

TEST_F(SyncRunTest, AStopBetweenBatchesKeepsWhatWasAcknowledgedAndTheNextSyncGoesOn) {
  TestSite& a = AddSite("MPP7301");
  for (int i = 0; i < 200; ++i) NewApp(a);
  const int64_t total = Pending(a);
  ASSERT_GT(total, 200);

  int batches = 0;
  std::vector<replicator::SyncProgress> seen;
  replicator::SyncRun run;
  run.progress = [&](const replicator::SyncProgress& p) {
    seen.push_back(p);
    ++batches;
  };
  run.stop = [&] { return batches >= 2; };  // Ctrl-C during the second batch
  auto first = a.replicator->Sync(run);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->stopped);
  EXPECT_FALSE(first->push_complete);
  EXPECT_EQ(first->push_batches, 2);
  EXPECT_EQ(first->pulled, 0) << "a stopped push does not go on to pull";
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_STREQ(seen[1].phase, "push");
  EXPECT_EQ(seen[1].total, total);
  EXPECT_EQ(seen[1].done, first->pushed);
  EXPECT_EQ(seen[1].bytes_sent, a.transport->bytes_sent()) << "progress counts the bytes";
  EXPECT_EQ(Pending(a), total - first->pushed) << "each batch answered stays acknowledged";
  Json h = History(a);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["outcome"], "partial");
  EXPECT_EQ(h[0]["pushed"], first->pushed);
  EXPECT_TRUE(h[0]["contacted"].get<bool>());
  EXPECT_FALSE(h[0]["push_complete"].get<bool>());

  auto second = a.replicator->SyncOnce();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->stopped);
  EXPECT_TRUE(second->push_complete && second->pull_complete);
  EXPECT_EQ(first->pushed + second->pushed, total) << "nothing sent twice, nothing left";
  EXPECT_EQ(second->push_duplicates, 0);
  EXPECT_EQ(Pending(a), 0);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM applications"), 200);
  ExpectInSync(a);
  EXPECT_EQ(History(a)[1]["outcome"], "complete");
}

TEST_F(SyncRunTest, PushOnlyPushesAndPullOnlyPulls) {
  TestSite& a = AddSite("MPP7301");
  const Json app = NewApp(a);
  Sync(a);
  ASSERT_TRUE(Decide("applications", app["id"], {{"status", "verified"}}).ok());
  NewApp(a);

  replicator::SyncRun push_only;
  push_only.pull = false;
  auto pushed = a.replicator->Sync(push_only);
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_GT(pushed->pushed, 0);
  EXPECT_EQ(pushed->pulled, 0);
  EXPECT_EQ(Pending(a), 0);
  EXPECT_EQ(History(a).back()["direction"], "push");
  EXPECT_FALSE(History(a).back()["pull_complete"].get<bool>());

  NewApp(a);
  replicator::SyncRun pull_only;
  pull_only.push = false;
  auto pulled = a.replicator->Sync(pull_only);
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_GT(pulled->pulled, 0) << "the centre's decision comes down";
  EXPECT_EQ(pulled->pushed, 0);
  EXPECT_GT(Pending(a), 0) << "the new application waits for a push";
  EXPECT_EQ(History(a).back()["direction"], "pull");
  auto row = a.store->office().GetApplication(app["id"]);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ((*row)["status"], "verified");
}

TEST_F(SyncRunTest, EveryAttemptLandsInTheHistoryWithItsOutcome) {
  TestSite& a = AddSite("MPP7301");
  NewApp(a);
  a.transport->set_cut(true);
  EXPECT_FALSE(a.replicator->SyncOnce().ok());
  a.transport->set_cut(false);
  Sync(a);
  Json h = History(a);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0]["outcome"], "failed");
  EXPECT_FALSE(h[0]["contacted"].get<bool>());
  EXPECT_EQ(h[0]["error"]["code"], "internal_error");  // the test transport's "link cut"
  EXPECT_EQ(h[0]["via"], "network");
  EXPECT_EQ(h[1]["outcome"], "complete");
  EXPECT_TRUE(h[1]["error"].is_null());
  EXPECT_TRUE(h[1]["contacted"].get<bool>());
  EXPECT_TRUE(h[1]["push_complete"].get<bool>());
  EXPECT_TRUE(h[1]["pull_complete"].get<bool>());
  EXPECT_GT(h[1]["pushed"].get<int64_t>(), 0);
  EXPECT_GT(h[1]["bytes_sent"].get<int64_t>(), 0);

  // The newest 1,000 are kept.
  for (int i = 0; i < 1005; ++i) {
    store::SiteReplica::SyncRecord r;
    r.started_ms = r.finished_ms = kSyncT0 + i;
    r.outcome = "complete";
    r.pushed = i;
    ASSERT_TRUE(a.store->replica().RecordSync(r).ok());
  }
  h = History(a);
  ASSERT_EQ(h.size(), 1000u);
  EXPECT_EQ(h.back()["pushed"], 1004);
  EXPECT_EQ(h.front()["pushed"], 5);
  auto tail = a.store->replica().SyncHistory(3);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 3u);
  EXPECT_EQ((*tail)[2]["pushed"], 1004) << "the newest, oldest first";
}

TEST_F(SyncRunTest, HelloSaysHowFarTheCentreHoldsThisSiteAndChangesNothing) {
  TestSite& a = AddSite("MPP7301");
  NewApp(a);
  auto before = a.replicator->SayHello();
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(before->acked_seq, 0);
  const int64_t pending = Pending(a);
  const int64_t centre_log = CentralCount("SELECT COUNT(*) FROM change_log");
  auto again = a.replicator->SayHello();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Pending(a), pending);
  EXPECT_EQ(CentralCount("SELECT COUNT(*) FROM change_log"), centre_log);
  EXPECT_EQ(History(a).size(), 0u) << "a hello is not a sync attempt";
  Sync(a);
  auto after = a.replicator->SayHello();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->acked_seq, pending);
  central_clock_.Advance(90'000);
  auto skewed = a.replicator->SayHello();
  ASSERT_TRUE(skewed.ok());
  EXPECT_EQ(skewed->clock_offset_ms, 90'000);
  // Only a site says hello.
  EXPECT_EQ(AsRole("mpp:role:ministry", "GET", "/sync/v1/hello").status, 403);
}

TEST_F(SyncRunTest, APacedTransportKeepsTheAverageUnderItsCap) {
  TestSite& a = AddSite("MPP7301");
  for (int i = 0; i < 100; ++i) NewApp(a);
  int64_t slept_us = 0;
  const int64_t rate = 1000;  // bytes a second
  replicator::PacedTransport paced(*a.transport, *a.clock, rate, [&](int64_t us) {
    slept_us += us;
    a.clock->Advance(us / 1000);
  });
  replicator::SyncOptions o;
  o.schema_version = SchemaVersion();
  o.initial_batch_bytes = 4096;
  replicator::Replicator r(a.store->replica(), paced, *a.clock, o);
  auto report = r.SyncOnce();
  ASSERT_TRUE(report.ok()) << report.error().message;
  const auto moved = static_cast<int64_t>(report->bytes_sent + report->bytes_received);
  ASSERT_GT(moved, 3000);
  // The fake clock moves only by the waits: they add up to what the cap allows, to the ms.
  EXPECT_NEAR(static_cast<double>(slept_us), static_cast<double>(moved) * 1e6 / rate,
              1000.0 * (report->push_batches + report->pull_pages + 2));
  EXPECT_GE(report->seconds, static_cast<double>(moved) / rate - 0.01);
}

}  // namespace
}  // namespace mpp::testing
