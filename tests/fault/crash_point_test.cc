// Crash points under SQLite (tests/support/fault_vfs.h). Each critical transaction (a local
// save, applying a pushed batch at the centre, marking changes acknowledged, advancing the
// pull cursor) runs once to count the disk operations it makes (writes, syncs, truncates,
// including the checkpoint when the connection closes); then again from the same starting
// files, crashing at each of those operations in turn, with the writes not yet synced kept,
// dropped or garbled. After each crash the files are reopened with the default VFS:
// integrity_check is ok, every step that returned success is there, and the step in flight is
// all or nothing. Then the same with an I/O error at each operation, once and for good: the
// error reaches the caller, nothing is half done, and a retry (after the disk is healed)
// succeeds. The counts are printed.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "sync/db/database.h"
#include "sync/store/central_store.h"
#include "sync/store/site_store.h"
#include "tests/support/fault_vfs.h"
#include "tests/support/temp_dir.h"

namespace mpp {
namespace {

namespace fs = std::filesystem;
using testing::FaultVfs;

constexpr const char* kSite = "MPP7301";

// A critical operation as a list of steps, each one transaction, run against the files in a
// directory through the fault VFS. Run() returns how many steps succeeded (it stops at the
// first failure). Check() opens the files with the default VFS after a crash and returns what
// is wrong ("" when nothing), given how many steps had succeeded.
struct Scenario {
  std::string name;
  std::function<Status(const std::string& dir, int step, const db::OpenOptions& o)> step;
  int steps;
  std::function<std::string(const std::string& dir, int acked_steps)> check;
};

int64_t Query(const std::string& path, const std::string& sql) {
  auto db = db::Database::Open(path, {.create = false});
  if (!db) return -1;
  auto v = (*db)->QueryInt(sql);
  return v.ok() ? *v : -1;
}

std::string Integrity(const std::string& path) {
  auto db = db::Database::Open(path, {.create = false});
  if (!db) return "cannot reopen: " + db.error().message;
  auto v = (*db)->QueryText("PRAGMA integrity_check");
  if (!v) return "integrity_check failed: " + v.error().message;
  return (*v && **v == "ok") ? "" : "integrity_check: " + v->value_or("?");
}

class CrashPointTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A site with 40 applications (some verified, some paid): ~120 changes in its outbox.
    dir_ = new testing::TempDir();
    tmpl_ = dir_->File("template");
    fs::create_directories(tmpl_);
    ManualClock clock(1'795'000'000'000);
    SeededRandom random(7);
    const std::string site_db = tmpl_ + "/site.db";
    ASSERT_TRUE(store::SiteStore::Initialise(site_db, {kSite, ""}, clock, random).ok());
    std::vector<std::string> ids;
    {
      auto s = store::SiteStore::Open(site_db, clock, random);
      ASSERT_TRUE(s.ok());
      for (int i = 0; i < 40; ++i) {
        clock.Advance(1000);
        auto a = (*s)->office().CreateApplication({{"service_code", i % 2 ? "DKC-KK" : "SAM-PKB"}});
        ASSERT_TRUE(a.ok());
        ids.push_back((*a)["id"]);
        ASSERT_TRUE((*s)->office().ChangeStatus(ids.back(), {{"to", "verified"}}).ok());
        if (i % 3 == 0) {
          ASSERT_TRUE(
              (*s)->office()
                  .RecordPayment(
                      {{"application_id", ids.back()}, {"amount_idr", 30000}, {"method", "cash"}})
                  .ok());
        }
      }
      auto out = (*s)->replica().ReadOutbox(0, 64 << 20);
      ASSERT_TRUE(out.ok());
      outbox_ = new std::vector<Change>(out->changes);
    }
    // The centre: an empty store, and (for the pull) one that holds the site's changes and
    // has taken a decision on 30 of its applications.
    {
      auto c = store::OpenSqliteCentralStore(tmpl_ + "/central.db", clock);
      ASSERT_TRUE(c.ok());
    }
    const std::string busy = dir_->File("busy-central.db");
    auto c = store::OpenSqliteCentralStore(busy, clock);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->ApplyPush(kSite, 1, *outbox_, 1, 3).ok());
    for (int i = 0; i < 30; ++i) {
      clock.Advance(1000);
      auto u =
          (*c)->UpdateRow("applications", ids[static_cast<size_t>(i)],
                          {{"notes", "keputusan pusat " + std::to_string(i)}}, "mpp:role:operator");
      ASSERT_TRUE(u.ok()) << u.error().message;
    }
    auto page = (*c)->ReadFeed(kSite, 0, 64 << 20);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->changes.size(), 30u);
    feed_ = new store::FeedPage(*page);
  }
  static void TearDownTestSuite() {
    delete outbox_;
    delete feed_;
    delete dir_;
  }

  void Fresh(const std::string& work) {
    fs::remove_all(work);
    fs::copy(tmpl_, work, fs::copy_options::recursive);
  }

  // Runs the scenario's steps on `work` through the fault VFS; returns how many succeeded.
  static int RunSteps(const Scenario& s, const std::string& work, db::Durability durability) {
    db::OpenOptions o{.durability = durability, .create = false, .vfs = FaultVfs::kName};
    for (int i = 0; i < s.steps; ++i) {
      if (!s.step(work, i, o)) return i;
    }
    return s.steps;
  }

  struct Counts {
    int64_t crash_points = 0, io_errors = 0, surfaced = 0, violations = 0;
  };

  // `durability` kNormal plants a bug (commits not synced) to show the checks catch it; then
  // violations are expected and not reported as failures.
  Counts Crash(const Scenario& s, db::Durability durability = db::Durability::kFull) {
    const bool planted = durability != db::Durability::kFull;
    Counts n;
    FaultVfs& vfs = FaultVfs::Get();
    const std::string work = dir_->File("work");
    Fresh(work);
    vfs.Reset();
    EXPECT_EQ(RunSteps(s, work, durability), s.steps) << s.name << ": the clean run failed";
    const int64_t ops = vfs.ops();
    EXPECT_EQ(s.check(work, s.steps), "") << s.name << " (clean run)";
    for (int64_t k = 1; k <= ops; ++k) {
      for (auto mode :
           {FaultVfs::Unsynced::kKeep, FaultVfs::Unsynced::kDrop, FaultVfs::Unsynced::kGarble}) {
        Fresh(work);
        vfs.Reset();
        vfs.CrashAt(k);
        const int acked = RunSteps(s, work, durability);
        vfs.PowerLoss(mode, static_cast<uint64_t>(k));
        std::string wrong = Integrity(work + "/site.db");
        if (wrong.empty()) wrong = Integrity(work + "/central.db");
        if (wrong.empty()) wrong = s.check(work, acked);
        ++n.crash_points;
        if (!wrong.empty()) {
          ++n.violations;
          if (!planted)
            ADD_FAILURE() << s.name << ": crash at operation " << k << " of " << ops << " (mode "
                          << static_cast<int>(mode) << ", " << acked << " steps acked): " << wrong;
        }
      }
    }
    // I/O errors: transient (one operation fails) and persistent (all fail until healed).
    for (int64_t k = 1; k <= (planted ? 0 : ops); ++k) {
      for (bool persistent : {false, true}) {
        Fresh(work);
        vfs.Reset();
        vfs.FailAt(k, persistent);
        db::OpenOptions o{.create = false, .vfs = FaultVfs::kName};
        bool surfaced = false;
        for (int i = 0; i < s.steps; ++i) {
          Status r = s.step(work, i, o);
          if (!r) {
            surfaced = true;
            // Nothing half done: the files are consistent right now (default VFS).
            std::string wrong = Integrity(work + "/site.db");
            if (wrong.empty()) wrong = s.check(work, i);
            if (!wrong.empty()) {
              ++n.violations;
              ADD_FAILURE() << s.name << ": I/O error at operation " << k << ": " << wrong;
            }
            vfs.Heal();
            r = s.step(work, i, o);
            if (!r) {
              ++n.violations;
              ADD_FAILURE() << s.name << ": retry after an I/O error at " << k
                            << " failed: " << r.error().message;
              break;
            }
          }
        }
        vfs.Heal();
        ++n.io_errors;
        if (surfaced) ++n.surfaced;
        const std::string wrong = s.check(work, s.steps);
        if (!wrong.empty()) {
          ++n.violations;
          ADD_FAILURE() << s.name << ": after I/O error at " << k << " and retry: " << wrong;
        }
      }
    }
    vfs.Reset();
    std::printf(
        "%s%-28s %4lld operations: %5lld crash points, %4lld I/O errors (%lld reached "
        "the caller), %lld violations\n",
        planted ? "PLANTED BUG " : "", s.name.c_str(), static_cast<long long>(ops),
        static_cast<long long>(n.crash_points), static_cast<long long>(n.io_errors),
        static_cast<long long>(n.surfaced), static_cast<long long>(n.violations));
    return n;
  }

  static testing::TempDir* dir_;
  static std::string tmpl_;
  static std::vector<Change>* outbox_;
  static store::FeedPage* feed_;
};

testing::TempDir* CrashPointTest::dir_ = nullptr;
std::string CrashPointTest::tmpl_;
std::vector<Change>* CrashPointTest::outbox_ = nullptr;
store::FeedPage* CrashPointTest::feed_ = nullptr;

Status OpenSite(const std::string& dir, const db::OpenOptions& o,
                const std::function<Status(store::SiteStore&)>& f) {
  static ManualClock clock(1'795'100'000'000);
  static SeededRandom random(3);
  auto s = store::SiteStore::Open(dir + "/site.db", clock, random, o);
  if (!s) return s.error();
  return f(**s);
}

// Five saves: applications and payments. The site's rows and its change log move together.
Scenario LocalSaveScenario() {
  return Scenario{
      "local save",
      [](const std::string& dir, int step, const db::OpenOptions& o) {
        return OpenSite(dir, o, [&](store::SiteStore& st) -> Status {
          const std::string tag = "langkah " + std::to_string(step);
          Result<Json> r = Json();
          if (step % 2 == 0) {
            r = st.office().CreateApplication({{"service_code", "DKC-KTP"}, {"notes", tag}});
          } else {
            auto app = st.database_for_testing().QueryText(
                "SELECT id FROM applications ORDER BY id LIMIT 1");
            if (!app) return app.error();
            r = st.office().RecordPayment({{"application_id", **app},
                                           {"amount_idr", 10000 + step},
                                           {"method", "qris"},
                                           {"reference", tag}});
          }
          if (!r) return r.error();
          return {};
        });
      },
      5,
      [](const std::string& dir, int acked) -> std::string {
        const std::string db = dir + "/site.db";
        const int64_t apps =
            Query(db, "SELECT COUNT(*) FROM applications WHERE notes LIKE 'langkah%'");
        const int64_t pays =
            Query(db, "SELECT COUNT(*) FROM payments WHERE reference LIKE 'langkah%'");
        const int64_t done = apps + pays;
        if (done < acked) return "a save that returned success is missing";
        if (done > acked + 1) return "more saves than were attempted";
        if (Query(db,
                  "SELECT COUNT(*) FROM applications a WHERE NOT EXISTS (SELECT 1 FROM "
                  "change_log c WHERE c.table_name = 'applications' AND c.row_id = a.id)") != 0)
          return "an application without its change";
        if (Query(db,
                  "SELECT COUNT(*) FROM payments p WHERE NOT EXISTS (SELECT 1 FROM "
                  "change_log c WHERE c.table_name = 'payments' AND c.row_id = p.id)") != 0)
          return "a payment without its change";
        if (Query(db,
                  "SELECT COUNT(*) FROM change_log c WHERE c.table_name IN "
                  "('applications','payments') AND NOT EXISTS (SELECT 1 FROM applications "
                  "WHERE id = c.row_id) AND NOT EXISTS (SELECT 1 FROM payments WHERE id = "
                  "c.row_id)") != 0)
          return "a change without its row";
        if (Query(db, "SELECT MAX(seq) - MIN(seq) + 1 - COUNT(*) FROM change_log") != 0)
          return "the change log has a gap";
        return "";
      }};
}

TEST_F(CrashPointTest, LocalSave) { EXPECT_EQ(Crash(LocalSaveScenario()).violations, 0); }

TEST_F(CrashPointTest, CheckerCatchesCommitsThatAreNotSynced) {
  // The same saves with synchronous=NORMAL: a commit returns before the WAL reaches the disk,
  // so a power cut loses saves the clerk saw succeed. The checks must notice.
  Scenario s = LocalSaveScenario();
  EXPECT_GT(Crash(s, db::Durability::kNormal).violations, 0)
      << "the crash-point checks did not notice lost commits";
}

TEST_F(CrashPointTest, ApplyPushedBatchAtTheCentre) {
  // Two batches of the site's ~120 changes; acked_seq and the rows move together.
  Scenario s{
      "apply batch (centre)",
      [](const std::string& dir, int step, const db::OpenOptions& o) -> Status {
        ManualClock clock(1'795'100'000'000);
        auto c = store::OpenSqliteCentralStore(dir + "/central.db", clock, o);
        if (!c) return c.error();
        const size_t half = outbox_->size() / 2;
        std::vector<Change> batch(outbox_->begin() + (step == 0 ? 0 : long(half)),
                                  step == 0 ? outbox_->begin() + long(half) : outbox_->end());
        auto r = (*c)->ApplyPush(kSite, batch.front().seq, batch, 1, 3);
        if (!r) return r.error();
        return {};
      },
      2,
      [](const std::string& dir, int acked) -> std::string {
        const std::string db = dir + "/central.db";
        if (std::string w = Integrity(db); !w.empty()) return w;
        const int64_t half = static_cast<int64_t>(outbox_->size() / 2);
        const int64_t seq = Query(db, "SELECT COALESCE(MAX(acked_seq), 0) FROM site_cursors");
        const int64_t want = acked == 0 ? 0 : acked == 1 ? half : int64_t(outbox_->size());
        const int64_t next = acked == 0 ? half : int64_t(outbox_->size());
        if (seq != want && !(acked < 2 && seq == next))
          return "acked_seq " + std::to_string(seq) + " after " + std::to_string(acked) +
                 " batches";
        // The rows held are exactly those of the changes up to acked_seq.
        int64_t apps = 0, events = 0, pays = 0;
        for (const Change& c : *outbox_) {
          if (c.seq > seq) break;
          if (c.op != "insert") continue;
          apps += c.table == "applications";
          events += c.table == "application_events";
          pays += c.table == "payments";
        }
        if (Query(db, "SELECT COUNT(*) FROM applications") != apps ||
            Query(db, "SELECT COUNT(*) FROM application_events") != events ||
            Query(db, "SELECT COUNT(*) FROM payments") != pays)
          return "rows do not match acked_seq " + std::to_string(seq);
        return "";
      }};
  EXPECT_EQ(Crash(s).violations, 0);
}

TEST_F(CrashPointTest, MarkAcknowledged) {
  Scenario s{"mark acknowledged (site)",
             [](const std::string& dir, int step, const db::OpenOptions& o) {
               return OpenSite(dir, o, [&](store::SiteStore& st) {
                 return st.replica().MarkAcked(step == 0 ? 50 : 100);
               });
             },
             2,
             [](const std::string& dir, int acked) -> std::string {
               const int64_t v = Query(dir + "/site.db",
                                       "SELECT CAST(acked_seq AS INTEGER) FROM sync_state "
                                       "WHERE peer = 'central'");
               const int64_t want = acked == 0 ? 0 : acked == 1 ? 50 : 100;
               const int64_t next = acked == 0 ? 50 : 100;
               if (v != want && v != next) return "acked_seq is " + std::to_string(v);
               return "";
             }};
  EXPECT_EQ(Crash(s).violations, 0);
}

TEST_F(CrashPointTest, AdvancePullCursor) {
  Scenario s{"pull page + cursor (site)",
             [](const std::string& dir, int, const db::OpenOptions& o) {
               return OpenSite(dir, o, [&](store::SiteStore& st) -> Status {
                 auto r = st.replica().ApplyPulled(feed_->changes, feed_->next_cursor);
                 if (!r) return r.error();
                 return {};
               });
             },
             1,
             [](const std::string& dir, int acked) -> std::string {
               const std::string db = dir + "/site.db";
               const int64_t cursor = Query(db,
                                            "SELECT CAST(pull_cursor AS INTEGER) FROM sync_state "
                                            "WHERE peer = 'central'");
               const int64_t decided =
                   Query(db, "SELECT COUNT(*) FROM applications WHERE notes LIKE 'keputusan%'");
               if (acked == 1 && cursor != feed_->next_cursor) return "the cursor did not move";
               if (cursor == feed_->next_cursor && decided != 30)
                 return "cursor moved but " + std::to_string(decided) + " of 30 changes applied";
               if (cursor == 0 && decided != 0)
                 return "cursor did not move but " + std::to_string(decided) + " changes applied";
               if (cursor != 0 && cursor != feed_->next_cursor) return "cursor is garbage";
               return "";
             }};
  EXPECT_EQ(Crash(s).violations, 0);
}

}  // namespace
}  // namespace mpp
