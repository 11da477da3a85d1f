#include "sync/store/site_store.h"

#include <gtest/gtest.h>

#include "sync/core/ids.h"

#include <filesystem>
#include <fstream>
#include <set>
#include "sync/core/hlc.h"
#include "sync/core/nik.h"
#include "sync/core/nik_seal.h"

#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "tests/sync/store/store_fixture.h"

namespace mpp::store {
namespace {

using SiteStoreTest = StoreFixture;

TEST_F(SiteStoreTest, InitialiseRecordsTheSiteAndItsCounters) {
  EXPECT_EQ(store_->site_code(), "MPP7301");
  EXPECT_EQ(Rows("counters"), 12);
  EXPECT_EQ(Changes(), 12);  // counters are site data: they sync like everything else
  auto again = SiteStore::Initialise(path(), {"MPP7301", ""}, clock_, random_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kAlreadyInitialised);
}

TEST(SiteStoreInitTest, UnknownSiteLeavesNoFileBehind) {
  testing::TempDir dir;
  ManualClock clock(kFixtureT0);
  SeededRandom random(1);
  auto s = SiteStore::Initialise(dir.File("site.db"), {"MPP0000", ""}, clock, random);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kInvalidValue);
  EXPECT_FALSE(std::filesystem::exists(dir.File("site.db")));
  auto open = SiteStore::Open(dir.File("site.db"), clock, random);
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().code, Errc::kNotInitialised);
}

TEST_F(SiteStoreTest, AWriteAppendsItsChangesInTheSameTransaction) {
  const int64_t before = Changes();
  Json app = NewApplication();
  EXPECT_EQ(app["status"], "received");
  EXPECT_EQ(app["fee_idr"], 0);
  EXPECT_EQ(app["events"].size(), 1u);
  EXPECT_EQ(Changes(), before + 2);  // the application and its first status event
  auto s = store_->database_for_testing().Prepare(
      "SELECT table_name, row_id, op, origin_site, hlc, data FROM change_log ORDER BY seq DESC "
      "LIMIT 2");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(*(*s)->Step());
  EXPECT_EQ((*s)->ColumnText(0), "application_events");
  ASSERT_TRUE(*(*s)->Step());
  EXPECT_EQ((*s)->ColumnText(0), "applications");
  EXPECT_EQ((*s)->ColumnText(1), app["id"]);
  EXPECT_EQ((*s)->ColumnText(2), "insert");
  EXPECT_EQ((*s)->ColumnText(3), "MPP7301");
  EXPECT_EQ(HlcPhysicalMs(static_cast<HlcStamp>((*s)->ColumnInt(4))), kFixtureT0);
  Json data = Json::parse((*s)->ColumnText(5));
  // The NIK goes as this site's reference and sealed for the centre, never in clear, and
  // the office is handed neither.
  EXPECT_EQ(data["site_ref"], CitizenRef(testing::ReadFile(SiteRefKeyPath(path())), kTestNik));
  EXPECT_TRUE(SealedNikKeyId(data["nik_sealed"].get<std::string>()).ok()) << data.dump();
  EXPECT_FALSE(data.contains("nik"));
  EXPECT_FALSE(data.contains("citizen_ref"));
  for (const char* hidden : {"site_ref", "nik_sealed", "citizen_ref", "citizen_key"}) {
    EXPECT_FALSE(app.contains(hidden)) << hidden;
  }
}

// A failure injected between the row write and its change-log entry (a TEMP trigger that
// aborts the change-log insert) must leave neither.
TEST_F(SiteStoreTest, FailureMidTransactionLeavesNeitherRowNorChange) {
  auto& db = store_->database_for_testing();
  const int64_t changes = Changes();
  ASSERT_TRUE(db.Exec("CREATE TEMP TRIGGER fail_log BEFORE INSERT ON main.change_log "
                      "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
                  .ok());
  auto r = store_->office().CreateApplication({{"service_code", "DKC-KTP"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Rows("applications"), 0);
  EXPECT_EQ(Rows("application_events"), 0);
  EXPECT_EQ(Changes(), changes);
  EXPECT_FALSE(db.InTransaction());

  // Fail the second row of a two-row write (the status event after the application update).
  ASSERT_TRUE(db.Exec("DROP TRIGGER fail_log").ok());
  Json app = NewApplication();
  const int64_t after_create = Changes();
  ASSERT_TRUE(db.Exec("CREATE TEMP TRIGGER fail_event BEFORE INSERT ON main.application_events "
                      "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
                  .ok());
  auto moved = store_->office().ChangeStatus(app["id"], {{"to", "verified"}});
  ASSERT_FALSE(moved.ok());
  ASSERT_TRUE(db.Exec("DROP TRIGGER fail_event").ok());
  auto reread = store_->office().GetApplication(app["id"]);
  EXPECT_EQ((*reread)["status"], "received");
  EXPECT_EQ(Changes(), after_create);

  // And the store carries on, with the change log's sequence still contiguous.
  ASSERT_TRUE(store_->office().ChangeStatus(app["id"], {{"to", "verified"}}).ok());
  EXPECT_EQ(Scalar("SELECT MAX(seq) - MIN(seq) + 1 - COUNT(*) FROM change_log"), 0);
}

TEST_F(SiteStoreTest, TheNikIsNeverStoredInClear) {
  NewApplication();
  EXPECT_EQ(Scalar("SELECT length(site_ref) FROM applications"), 64);
  store_.reset();  // close, so the WAL is checkpointed into the file
  for (const char* suffix : {"", "-wal"}) {
    const std::string bytes = testing::ReadFile(path() + suffix);
    EXPECT_EQ(bytes.find(kTestNik), std::string::npos) << "NIK found in site.db" << suffix;
  }
}

// Issue 11, finding 12: no key that makes a citizen reference is in the database; the site's
// own key is a file beside it, 0600, made anew (and logged) when it is lost, refused when
// damaged.
TEST_F(SiteStoreTest, TheSitesReferenceKeyIsAFileBesideTheDatabaseNotInIt) {
  const std::string key_path = SiteRefKeyPath(path());
  EXPECT_EQ(key_path, dir_.File("site-ref.key"));
  const std::string key = testing::ReadFile(key_path);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(std::filesystem::status(key_path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM meta WHERE key = 'nik_key_hex'"), 0);
  const Json first = NewApplication();

  std::filesystem::remove(key_path);  // a PC restored without its key file
  Reopen();
  EXPECT_NE(testing::ReadFile(key_path), key);
  NewApplication();
  EXPECT_EQ(Scalar("SELECT COUNT(DISTINCT site_ref) FROM applications"), 2);

  store_.reset();
  { std::ofstream(key_path, std::ios::trunc) << "short"; }
  auto damaged = SiteStore::Open(path(), clock_, random_);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, Errc::kConfig);
  EXPECT_NE(damaged.error().message.find("site-ref.key"), std::string::npos);
}

TEST_F(SiteStoreTest, StatusFollowsTheStateMachine) {
  Json app = NewApplication("POL-SKCK");
  const std::string id = app["id"];
  EXPECT_EQ(app["fee_idr"], 30000);  // the service's fee by default
  auto skip = store_->office().ChangeStatus(id, {{"to", "completed"}});
  ASSERT_FALSE(skip.ok());
  EXPECT_EQ(skip.error().code, Errc::kIllegalTransition);
  for (const char* to : {"verified", "in_process", "completed"}) {
    auto r = store_->office().ChangeStatus(id, {{"to", to}, {"officer", "Nur Aisyah"}});
    ASSERT_TRUE(r.ok()) << to << ": " << r.error().message;
  }
  auto done = store_->office().GetApplication(id);
  EXPECT_EQ((*done)["status"], "completed");
  EXPECT_FALSE((*done)["completed_at"].is_null());
  EXPECT_EQ((*done)["events"].size(), 4u);
  const int64_t changes = Changes();
  for (const char* to : {"verified", "in_process", "rejected", "cancelled"}) {
    auto back = store_->office().ChangeStatus(id, {{"to", to}});
    ASSERT_FALSE(back.ok()) << "a completed application moved to " << to;
    EXPECT_EQ(back.error().code, Errc::kIllegalTransition);
  }
  EXPECT_EQ(Changes(), changes);
  auto missing =
      store_->office().ChangeStatus("01a20e3f-74bf-74e7-a39c-abb620b5bffe", {{"to", "verified"}});
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_F(SiteStoreTest, AppendOnlyTablesRefuseEditsAtTheDatabase) {
  NewApplication();
  auto& db = store_->database_for_testing();
  EXPECT_FALSE(db.Exec("UPDATE application_events SET to_status = 'completed'").ok());
  EXPECT_FALSE(db.Exec("DELETE FROM application_events").ok());
  EXPECT_EQ(Rows("application_events"), 1);
}

TEST_F(SiteStoreTest, PaymentsSurveysAndComplaints) {
  Json app = NewApplication("POL-SKCK");
  const std::string id = app["id"];
  auto pay = store_->office().RecordPayment(
      {{"application_id", id}, {"amount_idr", 30000}, {"method", "qris"}});
  ASSERT_TRUE(pay.ok()) << pay.error().message;
  Json survey = {{"service_code", "POL-SKCK"}, {"application_id", id}};
  for (int u = 1; u <= 9; ++u) survey["u" + std::to_string(u)] = 4;
  ASSERT_TRUE(store_->office().RecordSurvey(survey).ok());
  auto c = store_->office().CreateComplaint({{"application_id", id},
                                             {"channel", "counter"},
                                             {"category", "service_time"},
                                             {"description", "Antrean terlalu lama"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)["status"], "open");
  const std::string cid = (*c)["id"];
  auto resolved = store_->office().UpdateComplaint(
      cid, {{"status", "resolved"}, {"response", "Loket ditambah"}});
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_FALSE((*resolved)["resolved_at"].is_null());
  ASSERT_TRUE(store_->office().UpdateComplaint(cid, {{"status", "closed"}}).ok());
  auto after_close = store_->office().UpdateComplaint(cid, {{"response", "edit"}});
  ASSERT_FALSE(after_close.ok());
  EXPECT_EQ(after_close.error().code, Errc::kIllegalTransition);
  auto empty = store_->office().UpdateComplaint(cid, Json::object());
  EXPECT_EQ(empty.error().code, Errc::kMissingField);
  auto got = store_->office().GetApplication(id);
  EXPECT_EQ((*got)["payments"].size(), 1u);
}

TEST_F(SiteStoreTest, ClientMintedIdsMakeRetriesSafe) {
  const std::string id = "01a20e3f-74bf-74e7-a39c-abb6" + SiteIdTag("MPP7301");
  ASSERT_TRUE(store_->office().CreateApplication({{"id", id}, {"service_code", "DKC-KK"}}).ok());
  const int64_t changes = Changes();
  auto retry = store_->office().CreateApplication({{"id", id}, {"service_code", "DKC-KK"}});
  ASSERT_FALSE(retry.ok());
  EXPECT_EQ(retry.error().code, Errc::kDuplicate);
  EXPECT_EQ(Rows("applications"), 1);
  EXPECT_EQ(Changes(), changes);
}

TEST_F(SiteStoreTest, TicketsNumberPerCounterPerLocalDay) {
  auto a = store_->office().IssueTicket({{"service_code", "DKC-KTP"}, {"counter_code", "G02"}});
  auto b = store_->office().IssueTicket({{"service_code", "DKC-KK"}, {"counter_code", "G02"}});
  auto c = store_->office().IssueTicket({{"service_code", "SAM-PKB"}});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ((*a)["ticket_no"], "G02-001");
  EXPECT_EQ((*b)["ticket_no"], "G02-002");
  EXPECT_EQ((*c)["ticket_no"], "SAMSAT-001");
  clock_.Advance(86'400'000);
  auto d = store_->office().IssueTicket({{"service_code", "DKC-KTP"}, {"counter_code", "G02"}});
  EXPECT_EQ((*d)["ticket_no"], "G02-001");
  EXPECT_NE((*d)["day"], (*a)["day"]);
  auto bad = store_->office().IssueTicket({{"service_code", "DKC-KTP"}, {"counter_code", "G99"}});
  EXPECT_EQ(bad.error().code, Errc::kUnknownCounter);
}

TEST_F(SiteStoreTest, ListingPagesAndFilters) {
  for (int i = 0; i < 7; ++i) {
    char when[40];
    std::snprintf(when, sizeof when, "2026-11-20T0%d:00:00+08:00", i + 1);
    ASSERT_TRUE(store_->office()
                    .CreateApplication(
                        {{"service_code", i % 2 ? "DKC-KK" : "DKC-KTP"}, {"received_at", when}})
                    .ok());
  }
  ListQuery q;
  q.limit = 3;
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto r = store_->office().ListApplications(q);
    ASSERT_TRUE(r.ok());
    for (const auto& item : (*r)["items"]) seen.push_back(item["received_at"]);
    if ((*r)["next_cursor"].is_null()) break;
    q.cursor = (*r)["next_cursor"].get<std::string>();
  }
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.front(), "2026-11-19T17:00:00Z");

  ListQuery f;
  f.service = "DKC-KK";
  f.from = "2026-11-20T02:00:00+08:00";
  f.to = "2026-11-20T06:00:00+08:00";
  auto r = store_->office().ListApplications(f);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["items"].size(), 2u);  // 02:00 and 04:00 local
  f = {};
  f.status = "completed";
  EXPECT_EQ((*store_->office().ListApplications(f))["items"].size(), 0u);

  ListQuery bad;
  bad.cursor = "zz";
  EXPECT_EQ(store_->office().ListApplications(bad).error().code, Errc::kBadCursor);
  bad = {};
  bad.limit = 501;
  EXPECT_EQ(store_->office().ListApplications(bad).error().code, Errc::kOutOfRange);
}

TEST_F(SiteStoreTest, ClockResumesAboveThePersistedStampAfterARestartWithAClockBehind) {
  NewApplication();
  const int64_t first = Scalar("SELECT MAX(hlc) FROM change_log");
  clock_.Set(kFixtureT0 - 3'600'000);  // the PC's clock went back an hour while it was off
  Reopen();
  NewApplication();
  const int64_t second = Scalar("SELECT MAX(hlc) FROM change_log");
  EXPECT_GT(second, first);
  auto status = store_->office().StatusSummary();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["pending_changes"], Changes());
  EXPECT_EQ((*status)["counts"]["applications"], 2);
}

// The rules every writer checks (record_rules.cc) name each column of each site table but
// the stamp columns, no more and no fewer: a column added to the schema without a rule would
// be stored unchecked, at the site and at the centre.
TEST_F(SiteStoreTest, TheRowRulesCoverEveryColumnOfEverySiteTable) {
  for (const char* table : {"counters", "queue_tickets", "applications", "application_events",
                            "payments", "surveys", "complaints"}) {
    SCOPED_TRACE(table);
    auto rules = RowRules(table);
    ASSERT_TRUE(rules.has_value());
    std::set<std::string> declared;
    for (const FieldSpec& f : *rules) declared.insert(std::string(f.name));
    std::set<std::string> schema;
    auto s = store_->database_for_testing().Prepare(
        std::string("SELECT name FROM pragma_table_info('") + table + "')");
    ASSERT_TRUE(s.ok());
    while (true) {
      auto row = (*s)->Step();
      ASSERT_TRUE(row.ok());
      if (!*row) break;
      if (!IsStampColumn((*s)->ColumnText(0))) schema.insert((*s)->ColumnText(0));
    }
    EXPECT_EQ(declared, schema);
  }
  EXPECT_FALSE(RowRules("services").has_value());  // reference data: the centre's
}

}  // namespace
}  // namespace mpp::store
