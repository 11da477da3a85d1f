// SiteStore: opening, initialisation and the read side. Writes are in site_store_writes.cc.
#include "sync/store/site_store.h"

#include <filesystem>

#include "schema/migrations.h"
#include "sync/core/ids.h"
#include "sync/core/time_util.h"
#include "sync/db/migrate.h"
#include "sync/store/change_log.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

constexpr int kMaxListLimit = 500;

// Reads every column of the current row into a JSON object, leaving out the hlc stamps.
Json RowToJson(const db::Statement& s) {
  Json row = Json::object();
  for (int i = 0; i < s.ColumnCount(); ++i) {
    std::string name = s.ColumnName(i);
    if (name == "hlc" || name == "created_hlc" || name == "updated_hlc") continue;
    row[name] = s.ColumnJson(i);
  }
  return row;
}

Result<Json> QueryAll(db::Database& db, const std::string& sql,
                      std::initializer_list<std::string_view> params) {
  auto stmt = db.Cached(sql);
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  int i = 1;
  for (auto p : params) s->Bind(i++, p);
  Json rows = Json::array();
  for (;;) {
    auto r = s->Step();
    if (!r) return r.error();
    if (!*r) break;
    rows.push_back(RowToJson(*s));
  }
  return rows;
}

}  // namespace

SiteStore::SiteStore(std::unique_ptr<db::Database> db, Clock& clock, Random& random)
    : db_(std::move(db)), stamp_clock_(clock), random_(random), hlc_(stamp_clock_) {}

namespace {

// Everything Initialise writes, on an open, empty database.
Status InitialiseInto(db::Database& d, const InitOptions& options, Clock& clock, Random& random) {
  MPP_RETURN_IF_ERROR(db::Migrate(d, schema::Migrations()));
  db::Transaction tx(d);
  MPP_RETURN_IF_ERROR(tx.status());
  auto site = QueryAll(d, "SELECT code, time_zone FROM sites WHERE code = ?", {options.site_code});
  if (!site) return site.error();
  if (site->empty()) {
    return MakeError(Errc::kInvalidValue, "site '" + options.site_code +
                                              "' is not in the reference data (schema/migrations/"
                                              "0002_reference_data.sql lists the sites)");
  }
  std::string key = options.nik_key;
  if (key.empty()) {
    for (int i = 0; i < 4; ++i) {
      const uint64_t r = random.Next();
      key.append(reinterpret_cast<const char*>(&r), sizeof r);
    }
  }
  auto meta = d.Cached("INSERT INTO meta (key, value) VALUES (?, ?)");
  if (!meta) return meta.error();
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"site_code", options.site_code},
                             {"nik_key_hex", HexEncode(key)},
                             {"created_at", FormatUtc(clock.NowMs())}}) {
    db::StatementRef s(*meta);
    s->Bind(1, k).Bind(2, v);
    MPP_RETURN_IF_ERROR(s->Run());
  }
  // One counter per agency, stamped and logged like any other site write.
  auto policy = LoadMergePolicy(d);
  if (!policy) return policy.error();
  Hlc hlc(clock);
  auto agencies = QueryAll(d, "SELECT code, name FROM agencies ORDER BY rowid", {});
  if (!agencies) return agencies.error();
  int n = 0;
  for (const Json& a : *agencies) {
    char code[16];
    std::snprintf(code, sizeof code, "G%02d", ++n);
    const HlcStamp t = hlc.Now();
    Json row = {{"id", NewUuidV7(clock, random)},
                {"site_code", options.site_code},
                {"code", code},
                {"agency_code", a["code"]},
                {"name", "Gerai " + a["code"].get<std::string>()},
                {"hlc", static_cast<int64_t>(t)}};
    MPP_RETURN_IF_ERROR(InsertWithChange(d, *policy, "counters", row, {t, options.site_code}));
  }
  return tx.Commit();
}

}  // namespace

Status SiteStore::Initialise(const std::string& path, const InitOptions& options, Clock& clock,
                             Random& random) {
  if (std::filesystem::exists(path)) {
    return MakeError(Errc::kAlreadyInitialised,
                     path + " already exists; this data directory is initialised");
  }
  auto db = db::Database::Open(path);
  if (!db) return db.error();
  Status s = InitialiseInto(**db, options, clock, random);
  if (!s) {  // leave no half-made database behind
    db->reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
  }
  return s;
}

Result<std::unique_ptr<SiteStore>> SiteStore::Open(const std::string& path, Clock& clock,
                                                   Random& random, db::OpenOptions options) {
  auto db = db::Database::Open(path, options);
  if (!db) return db.error();
  MPP_RETURN_IF_ERROR(db::Migrate(**db, schema::Migrations()));
  auto policy = LoadMergePolicy(**db);
  if (!policy) return policy.error();
  std::unique_ptr<SiteStore> store(new SiteStore(std::move(db).value(), clock, random));
  store->policy_ = std::move(policy).value();
  MPP_RETURN_IF_ERROR(store->LoadIdentity());
  return store;
}

Status SiteStore::LoadIdentity() {
  auto meta = QueryAll(*db_, "SELECT key, value FROM meta", {});
  if (!meta) return meta.error();
  for (const Json& kv : *meta) {
    const auto& k = kv["key"].get_ref<const std::string&>();
    if (k == "site_code") site_code_ = kv["value"];
    if (k == "clock_offset_ms") stamp_clock_.SetOffset(std::stoll(kv["value"].get<std::string>()));
    if (k == "nik_key_hex") {
      auto key = HexDecode(kv["value"].get<std::string>());
      if (!key) return key.error();
      nik_key_ = std::move(key).value();
    }
  }
  if (site_code_.empty() || nik_key_.empty()) {
    return MakeError(Errc::kNotInitialised,
                     db_->path() + " has no site identity; it was not made by `mppctl init`");
  }
  auto tz = QueryAll(*db_, "SELECT time_zone FROM sites WHERE code = ?", {site_code_});
  if (!tz) return tz.error();
  tz_offset_minutes_ =
      tz->empty() ? 8 * 60 : IndonesianZoneOffsetMinutes((*tz)[0]["time_zone"].get<std::string>());
  // A restart never issues a stamp below one already persisted, whatever the wall clock says.
  auto last = HighestPersistedStamp(*db_);
  if (!last) return last.error();
  hlc_.Observe(*last);
  return {};
}

std::string SiteStore::NewId() { return NewUuidV7(stamp_clock_, random_); }
std::string SiteStore::NowUtc() { return FormatUtc(stamp_clock_.NowMs()); }

Result<Json> SiteStore::LoadService(const std::string& code) {
  auto rows = QueryAll(*db_, "SELECT * FROM services WHERE code = ?", {code});
  if (!rows) return rows.error();
  if (rows->empty()) {
    return MakeError(Errc::kUnknownService, "unknown service_code '" + code +
                                                "'; GET /api/v1/services lists the catalogue");
  }
  return (*rows)[0];
}

Result<Json> SiteStore::GetApplication(const std::string& id) {
  std::lock_guard lock(mu_);
  return GetApplicationLocked(id);
}

Result<Json> SiteStore::GetApplicationLocked(const std::string& id) {
  auto rows = QueryAll(*db_, "SELECT * FROM applications WHERE id = ?", {id});
  if (!rows) return rows.error();
  if (rows->empty()) return MakeError(Errc::kNotFound, "no application with id '" + id + "'");
  Json app = (*rows)[0];
  auto events = QueryAll(*db_,
                         "SELECT id, from_status, to_status, at, officer, note "
                         "FROM application_events WHERE application_id = ? ORDER BY hlc",
                         {id});
  if (!events) return events.error();
  auto payments = QueryAll(*db_,
                           "SELECT id, amount_idr, method, reference, paid_at FROM payments "
                           "WHERE application_id = ? ORDER BY hlc",
                           {id});
  if (!payments) return payments.error();
  app["events"] = std::move(events).value();
  app["payments"] = std::move(payments).value();
  return app;
}

Result<Json> SiteStore::ListApplications(const ListQuery& q) {
  if (q.limit < 1 || q.limit > kMaxListLimit) {
    return MakeError(Errc::kOutOfRange, "'limit' must be between 1 and 500");
  }
  std::optional<std::string> from, to, after_time, after_id;
  for (auto [in, out] : {std::pair{&q.from, &from}, std::pair{&q.to, &to}}) {
    if (!*in) continue;
    auto ms = ParseRfc3339(**in);
    if (!ms) return ms.error();
    *out = FormatUtc(*ms);
  }
  if (q.cursor) {
    auto raw = HexDecode(*q.cursor);
    const size_t bar = raw ? raw->find('|') : std::string::npos;
    if (bar == std::string::npos) {
      return MakeError(Errc::kBadCursor,
                       "'cursor' is not one this node issued; start again "
                       "without it");
    }
    after_time = raw->substr(0, bar);
    after_id = raw->substr(bar + 1);
  }
  std::lock_guard lock(mu_);
  auto stmt = db_->Cached(
      "SELECT * FROM applications WHERE (?1 IS NULL OR status = ?1) "
      "AND (?2 IS NULL OR service_code = ?2) AND (?3 IS NULL OR received_at >= ?3) "
      "AND (?4 IS NULL OR received_at < ?4) AND (?5 IS NULL OR (received_at, id) > (?5, ?6)) "
      "ORDER BY received_at, id LIMIT ?7");
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  s->Bind(1, q.status).Bind(2, q.service).Bind(3, from).Bind(4, to).Bind(5, after_time);
  s->Bind(6, after_id).Bind(7, int64_t{q.limit} + 1);
  Json items = Json::array();
  for (;;) {
    auto r = s->Step();
    if (!r) return r.error();
    if (!*r) break;
    items.push_back(RowToJson(*s));
  }
  Json next = nullptr;
  if (items.size() > static_cast<size_t>(q.limit)) {
    items.erase(items.end() - 1);
    const Json& last = items.back();
    next = HexEncode(last["received_at"].get<std::string>() + "|" + last["id"].get<std::string>());
  }
  return Json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

Result<Json> SiteStore::ListServices() {
  std::lock_guard lock(mu_);
  auto rows = QueryAll(*db_,
                       "SELECT s.code, s.name, s.agency_code, a.name AS agency_name, "
                       "s.standard_minutes, s.fee_idr, s.active FROM services s "
                       "JOIN agencies a ON a.code = s.agency_code ORDER BY s.code",
                       {});
  if (!rows) return rows.error();
  for (Json& r : *rows) r["active"] = r["active"].get<int64_t>() != 0;
  return Json{{"items", std::move(rows).value()}};
}

Result<Json> SiteStore::ListCounters() {
  std::lock_guard lock(mu_);
  auto rows = QueryAll(*db_,
                       "SELECT code, agency_code, name FROM counters WHERE site_code = ? "
                       "ORDER BY code",
                       {site_code_});
  if (!rows) return rows.error();
  return Json{{"items", std::move(rows).value()}};
}

Result<Json> SiteStore::StatusSummary() {
  std::lock_guard lock(mu_);
  Json counts = Json::object();
  for (const char* table : {"applications", "application_events", "payments", "surveys",
                            "complaints", "queue_tickets", "counters"}) {
    auto n = db_->QueryInt(std::string("SELECT COUNT(*) FROM ") + table);
    if (!n) return n.error();
    counts[table] = *n;
  }
  auto by_status = QueryAll(*db_,
                            "SELECT status, COUNT(*) AS n FROM applications GROUP BY status "
                            "ORDER BY status",
                            {});
  if (!by_status) return by_status.error();
  Json statuses = Json::object();
  for (const Json& r : *by_status) statuses[r["status"].get<std::string>()] = r["n"];
  auto pending = db_->QueryInt(
      "SELECT COUNT(*) FROM change_log WHERE seq > "
      "(SELECT acked_seq FROM sync_state WHERE peer = 'central')");
  if (!pending) return pending.error();
  auto last_seq = db_->QueryInt("SELECT COALESCE(MAX(seq), 0) FROM change_log");
  if (!last_seq) return last_seq.error();
  auto version = db::SchemaVersion(*db_);
  if (!version) return version.error();
  auto site = QueryAll(*db_, "SELECT name, time_zone FROM sites WHERE code = ?", {site_code_});
  if (!site) return site.error();
  Json out = {{"site_code", site_code_},
              {"schema_version", *version},
              {"counts", std::move(counts)},
              {"applications_by_status", std::move(statuses)},
              {"pending_changes", *pending},
              {"last_change_seq", *last_seq},
              {"clock",
               {{"now", FormatUtcMillis(stamp_clock_.NowMs())},
                {"offset_from_centre_ms", stamp_clock_.offset()},
                {"hlc", HlcToString(hlc_.Last())}}}};
  if (!site->empty()) {
    out["site_name"] = (*site)[0]["name"];
    out["time_zone"] = (*site)[0]["time_zone"];
  }
  return out;
}

}  // namespace mpp::store
