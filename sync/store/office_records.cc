// OfficeRecords: the office's writes and reads (office_records.h).
#include "sync/store/office_records.h"

#include <cstdio>

#include "sync/core/hex.h"
#include "sync/core/ids.h"
#include "sync/core/nik.h"
#include "sync/core/time_util.h"
#include "sync/db/migrate.h"
#include "sync/store/change_log.h"
#include "sync/store/conflicts.h"
#include "sync/store/fields.h"
#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

constexpr int kMaxListLimit = 500;

Json Optional(const Json& fields, const char* name) {
  auto it = fields.find(name);
  return it == fields.end() ? Json(nullptr) : *it;
}

// Runs `fn` inside one transaction on `db`; commits when it succeeds.
template <typename F>
Result<Json> InTransaction(db::Database& db, F&& fn) {
  db::Transaction tx(db);
  if (!tx.status()) return tx.status().error();
  Result<Json> result = fn();
  if (!result) return result;
  if (Status s = tx.Commit(); !s) return s.error();
  return result;
}

// An application as the office sees it: no reference of the citizen, no sealed NIK. A
// citizen is found by NIK, never by a reference handed out.
Json OfficeView(Json app) {
  for (const char* c : {"site_ref", "nik_sealed", "citizen_ref", "citizen_key"}) app.erase(c);
  return app;
}

}  // namespace

Result<std::string> OfficeRecords::RecordId(const Json& fields) {
  auto it = fields.find("id");
  if (it == fields.end()) return s_.NewId();
  const std::string& id = it->get_ref<const std::string&>();
  if (!HasSiteTag(id, s_.id_tag)) {
    return MakeError(Errc::kInvalidValue,
                     "a client-minted 'id' must end in this site's id tag '" + s_.id_tag +
                         "' (GET /api/v1/status gives it): an id minted elsewhere may name "
                         "another site's record");
  }
  return id;
}

Result<Json> OfficeRecords::CreateApplication(const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kApplicationFields));
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(auto service, LoadService(f["service_code"]));
  if (service["active"].get<int64_t>() == 0) {
    return MakeError(Errc::kInactiveService,
                     "service '" + service["code"].get<std::string>() + "' is no longer offered");
  }
  // The counter and the ticket are checked with the row (CheckRow, in InsertWithChange).
  MPP_ASSIGN_OR_RETURN(const std::string id, RecordId(f));
  // The NIK, checked and normalised by its spec, is kept only as this site's reference and,
  // sealed for the centre (for this record), until the centre has it (sync/core/nik_seal.h).
  Json site_ref = nullptr, nik_sealed = nullptr;
  if (auto nik = f.find("nik"); nik != f.end()) {
    site_ref = CitizenRef(s_.site_ref_key, nik->get<std::string>());
    if (s_.sealer) {
      MPP_ASSIGN_OR_RETURN(auto sealed, s_.sealer->Seal(nik->get<std::string>(), s_.site_code, id));
      nik_sealed = std::move(sealed);
    }
  }
  auto written = InTransaction(db, [&]() -> Result<Json> {
    const HlcStamp t = s_.hlc.Now();
    const std::string received_at = f.value("received_at", s_.NowUtc());
    Json row = {{"id", id},
                {"site_code", s_.site_code},
                {"service_code", f["service_code"]},
                {"site_ref", site_ref},
                {"nik_sealed", nik_sealed},
                {"counter_code", Optional(f, "counter_code")},
                {"ticket_id", Optional(f, "ticket_id")},
                {"channel", f.value("channel", "walk_in")},
                {"status", "received"},
                {"received_at", received_at},
                {"fee_idr", f.contains("fee_idr") ? f["fee_idr"] : service["fee_idr"]},
                {"officer", Optional(f, "officer")},
                {"notes", Optional(f, "notes")}};
    MPP_RETURN_IF_ERROR(InsertWithChange(db, s_.policy, "applications", row, {t, s_.site_code}));
    Json event = {{"id", s_.NewId()},
                  {"site_code", s_.site_code},
                  {"application_id", id},
                  {"from_status", nullptr},
                  {"to_status", "received"},
                  {"at", received_at},
                  {"officer", Optional(f, "officer")},
                  {"note", nullptr}};
    MPP_RETURN_IF_ERROR(
        InsertWithChange(db, s_.policy, "application_events", event, {t, s_.site_code}));
    return Json();
  });
  if (!written) {
    if (written.error().code == Errc::kDuplicate) {
      return MakeError(Errc::kDuplicate, "an application with id '" + id +
                                             "' is already saved; GET it to see what was stored");
    }
    return written.error();
  }
  return GetApplicationLocked(id);
}

Result<Json> OfficeRecords::ChangeStatus(const std::string& id, const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kStatusFields));
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  auto written = InTransaction(db, [&]() -> Result<Json> {
    MPP_ASSIGN_OR_RETURN(auto current,
                         db.QueryText("SELECT status FROM applications WHERE id = ?", {id}));
    if (!current) return MakeError(Errc::kNotFound, "no application with id '" + id + "'");
    const std::string from = *current;
    const std::string to = f["to"];
    if (!LegalTransition(from, to)) {
      return MakeError(Errc::kIllegalTransition,
                       "an application in status '" + from + "' cannot move to '" + to +
                           "'; allowed: received→verified→in_process→completed, or rejected/"
                           "cancelled before completion");
    }
    const HlcStamp t = s_.hlc.Now();
    const std::string at = f.value("at", s_.NowUtc());
    Json changes = {{"status", to}};
    if (IsTerminal(to)) changes["completed_at"] = at;
    if (f.contains("officer")) changes["officer"] = f["officer"];
    MPP_RETURN_IF_ERROR(
        UpdateWithChange(db, s_.policy, "applications", id, changes, {t, s_.site_code}));
    Json event = {{"id", s_.NewId()},
                  {"site_code", s_.site_code},
                  {"application_id", id},
                  {"from_status", from},
                  {"to_status", to},
                  {"at", at},
                  {"officer", Optional(f, "officer")},
                  {"note", Optional(f, "note")}};
    MPP_RETURN_IF_ERROR(
        InsertWithChange(db, s_.policy, "application_events", event, {t, s_.site_code}));
    return Json();
  });
  if (!written) return written.error();
  return GetApplicationLocked(id);
}

Result<Json> OfficeRecords::RecordPayment(const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kPaymentFields));
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(const std::string id, RecordId(f));
  return InTransaction(db, [&]() -> Result<Json> {
    const HlcStamp t = s_.hlc.Now();
    Json row = {{"id", id},
                {"site_code", s_.site_code},
                {"application_id", f["application_id"]},
                {"amount_idr", f["amount_idr"]},
                {"method", f["method"]},
                {"reference", Optional(f, "reference")},
                {"paid_at", f.value("paid_at", s_.NowUtc())}};
    MPP_RETURN_IF_ERROR(InsertWithChange(db, s_.policy, "payments", row, {t, s_.site_code}));
    return row;
  });
}

Result<Json> OfficeRecords::RecordSurvey(const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kSurveyFields));
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(const std::string id, RecordId(f));
  return InTransaction(db, [&]() -> Result<Json> {
    const HlcStamp t = s_.hlc.Now();
    Json row = {{"id", id},
                {"site_code", s_.site_code},
                {"service_code", f["service_code"]},
                {"application_id", Optional(f, "application_id")}};
    for (const char* u : {"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}) row[u] = f[u];
    row["comment"] = Optional(f, "comment");
    row["submitted_at"] = f.value("submitted_at", s_.NowUtc());
    MPP_RETURN_IF_ERROR(InsertWithChange(db, s_.policy, "surveys", row, {t, s_.site_code}));
    return row;
  });
}

Result<Json> OfficeRecords::CreateComplaint(const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kComplaintFields));
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(const std::string id, RecordId(f));
  return InTransaction(db, [&]() -> Result<Json> {
    const HlcStamp t = s_.hlc.Now();
    Json row = {{"id", id},
                {"site_code", s_.site_code},
                {"application_id", Optional(f, "application_id")},
                {"service_code", Optional(f, "service_code")},
                {"channel", f["channel"]},
                {"category", f["category"]},
                {"description", f["description"]},
                {"status", "open"},
                {"response", nullptr},
                {"received_at", f.value("received_at", s_.NowUtc())},
                {"resolved_at", nullptr}};
    MPP_RETURN_IF_ERROR(InsertWithChange(db, s_.policy, "complaints", row, {t, s_.site_code}));
    return row;
  });
}

Result<Json> OfficeRecords::UpdateComplaint(const std::string& id, const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kComplaintPatchFields));
  if (f.empty()) {
    return MakeError(Errc::kMissingField, "send at least one of 'status' and 'response'");
  }
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  auto written = InTransaction(db, [&]() -> Result<Json> {
    MPP_ASSIGN_OR_RETURN(
        const Json current,
        QueryAll(db, "SELECT status, resolved_at FROM complaints WHERE id = ?", {id}));
    if (current.empty()) return MakeError(Errc::kNotFound, "no complaint with id '" + id + "'");
    if (current[0]["status"] == "closed") {
      return MakeError(Errc::kIllegalTransition,
                       "complaint is closed; file a new complaint instead of editing it");
    }
    const HlcStamp t = s_.hlc.Now();
    Json changes = f;
    StampStatusTimes("complaints", current[0], changes, s_.NowUtc());
    MPP_RETURN_IF_ERROR(
        UpdateWithChange(db, s_.policy, "complaints", id, changes, {t, s_.site_code}));
    return Json();
  });
  if (!written) return written.error();
  MPP_ASSIGN_OR_RETURN(Json rows, QueryAll(db, "SELECT * FROM complaints WHERE id = ?", {id}));
  return rows.at(0);
}

Result<Json> OfficeRecords::IssueTicket(const Json& body) {
  MPP_ASSIGN_OR_RETURN(auto f, ValidateFields(body, kTicketFields));
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(auto service, LoadService(f["service_code"]));
  const int64_t now = s_.stamp_clock.NowMs();
  const std::string day = LocalDate(now, s_.tz_offset_minutes);
  const std::string prefix =
      f.contains("counter_code") ? f["counter_code"] : service["agency_code"];
  MPP_ASSIGN_OR_RETURN(const std::string id, RecordId(f));
  return InTransaction(db, [&]() -> Result<Json> {
    MPP_ASSIGN_OR_RETURN(auto stmt,
                         db.Cached("SELECT COALESCE(MAX(number), 0) + 1 FROM queue_tickets "
                                   "WHERE site_code = ?1 AND day = ?2 AND substr(ticket_no, 1, "
                                   "length(?3) + 1) = ?3 || '-'"));
    int64_t number = 1;
    {
      db::StatementRef s(stmt);
      s->Bind(1, s_.site_code).Bind(2, day).Bind(3, prefix);
      MPP_RETURN_IF_ERROR(s->Step());
      number = s->ColumnInt(0);
    }
    char no[48];
    std::snprintf(no, sizeof no, "%s-%03lld", prefix.c_str(), static_cast<long long>(number));
    const HlcStamp t = s_.hlc.Now();
    Json row = {{"id", id},
                {"site_code", s_.site_code},
                {"service_code", f["service_code"]},
                {"counter_code", Optional(f, "counter_code")},
                {"day", day},
                {"number", number},
                {"ticket_no", no},
                {"issued_at", FormatUtc(now)}};
    MPP_RETURN_IF_ERROR(InsertWithChange(db, s_.policy, "queue_tickets", row, {t, s_.site_code}));
    return row;
  });
}

Result<Json> OfficeRecords::LoadService(const std::string& code) {
  MPP_ASSIGN_OR_RETURN(auto rows,
                       QueryAll(s_.db(), "SELECT * FROM services WHERE code = ?", {code}));
  if (rows.empty()) {
    return MakeError(Errc::kUnknownService, "unknown service_code '" + code +
                                                "'; GET /api/v1/services lists the catalogue");
  }
  return rows[0];
}

Result<Json> OfficeRecords::GetApplication(const std::string& id) {
  MutexLock lock(s_.mu);
  return GetApplicationLocked(id);
}

Result<Json> OfficeRecords::GetApplicationLocked(const std::string& id) {
  MPP_ASSIGN_OR_RETURN(auto rows,
                       QueryAll(s_.db(), "SELECT * FROM applications WHERE id = ?", {id}));
  if (rows.empty()) return MakeError(Errc::kNotFound, "no application with id '" + id + "'");
  Json app = OfficeView(rows[0]);
  MPP_ASSIGN_OR_RETURN(auto events,
                       QueryAll(s_.db(),
                                "SELECT id, from_status, to_status, at, officer, note "
                                "FROM application_events WHERE application_id = ? ORDER BY hlc",
                                {id}));
  MPP_ASSIGN_OR_RETURN(auto payments,
                       QueryAll(s_.db(),
                                "SELECT id, amount_idr, method, reference, paid_at FROM payments "
                                "WHERE application_id = ? ORDER BY hlc",
                                {id}));
  app["events"] = std::move(events);
  app["payments"] = std::move(payments);
  return app;
}

Result<Json> OfficeRecords::ListApplications(const ListQuery& q) {
  if (q.limit < 1 || q.limit > kMaxListLimit) {
    return MakeError(Errc::kOutOfRange, "'limit' must be between 1 and 500");
  }
  std::optional<std::string> from, to, after_time, after_id;
  for (auto [in, out] : {std::pair{&q.from, &from}, std::pair{&q.to, &to}}) {
    if (!*in) continue;
    MPP_ASSIGN_OR_RETURN(auto ms, ParseRfc3339(**in));
    *out = FormatUtc(ms);
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
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(
      auto stmt,
      db.Cached(
          "SELECT * FROM applications WHERE (?1 IS NULL OR status = ?1) "
          "AND (?2 IS NULL OR service_code = ?2) AND (?3 IS NULL OR received_at >= ?3) "
          "AND (?4 IS NULL OR received_at < ?4) AND (?5 IS NULL OR (received_at, id) > (?5, ?6)) "
          "ORDER BY received_at, id LIMIT ?7"));
  db::StatementRef s(stmt);
  s->Bind(1, q.status).Bind(2, q.service).Bind(3, from).Bind(4, to).Bind(5, after_time);
  s->Bind(6, after_id).Bind(7, int64_t{q.limit} + 1);
  Json items = Json::array();
  for (;;) {
    MPP_ASSIGN_OR_RETURN(auto r, s->Step());
    if (!r) break;
    items.push_back(OfficeView(RowToJson(*s)));
  }
  Json next = nullptr;
  if (items.size() > static_cast<size_t>(q.limit)) {
    items.erase(items.end() - 1);
    const Json& last = items.back();
    next = HexEncode(last["received_at"].get<std::string>() + "|" + last["id"].get<std::string>());
  }
  return Json{{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}

Result<Json> OfficeRecords::ListServices() {
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(auto rows,
                       QueryAll(db,
                                "SELECT s.code, s.name, s.agency_code, a.name AS agency_name, "
                                "s.standard_minutes, s.fee_idr, s.active FROM services s "
                                "JOIN agencies a ON a.code = s.agency_code ORDER BY s.code",
                                {}));
  for (Json& r : rows) r["active"] = r["active"].get<int64_t>() != 0;
  return Json{{"items", std::move(rows)}};
}

Result<Json> OfficeRecords::ListCounters() {
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  MPP_ASSIGN_OR_RETURN(auto rows,
                       QueryAll(db,
                                "SELECT code, agency_code, name FROM counters WHERE site_code = ? "
                                "ORDER BY code",
                                {s_.site_code}));
  return Json{{"items", std::move(rows)}};
}

Result<Json> OfficeRecords::StatusSummary() {
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  Json counts = Json::object();
  for (const char* table : {"applications", "application_events", "payments", "surveys",
                            "complaints", "queue_tickets", "counters"}) {
    MPP_ASSIGN_OR_RETURN(auto n, db.QueryInt(std::string("SELECT COUNT(*) FROM ") + table));
    counts[table] = n;
  }
  MPP_ASSIGN_OR_RETURN(auto by_status,
                       QueryAll(db,
                                "SELECT status, COUNT(*) AS n FROM applications GROUP BY status "
                                "ORDER BY status",
                                {}));
  Json statuses = Json::object();
  for (const Json& r : by_status) statuses[r["status"].get<std::string>()] = r["n"];
  MPP_ASSIGN_OR_RETURN(auto pending,
                       db.QueryInt("SELECT COUNT(*) FROM change_log WHERE seq > "
                                   "(SELECT acked_seq FROM sync_state WHERE peer = 'central')"));
  MPP_ASSIGN_OR_RETURN(auto last_seq, db.QueryInt("SELECT COALESCE(MAX(seq), 0) FROM change_log"));
  MPP_ASSIGN_OR_RETURN(auto version, db::SchemaVersion(db));
  MPP_ASSIGN_OR_RETURN(
      auto site, QueryAll(db, "SELECT name, time_zone FROM sites WHERE code = ?", {s_.site_code}));
  Json out = {{"site_code", s_.site_code},
              {"schema_version", version},
              {"counts", std::move(counts)},
              {"applications_by_status", std::move(statuses)},
              {"pending_changes", pending},
              {"last_change_seq", last_seq},
              {"clock",
               {{"now", FormatUtcMillis(s_.stamp_clock.NowMs())},
                {"offset_from_centre_ms", s_.stamp_clock.offset()},
                {"hlc", HlcToString(s_.hlc.Last())}}}};
  out["id_tag"] = s_.id_tag;
  // Which ministry key this site seals NIKs with, and how many wait for the centre.
  out["nik_sealing_key"] = s_.sealer ? Json(s_.sealer->key_id()) : Json(nullptr);
  MPP_ASSIGN_OR_RETURN(
      auto sealed, db.QueryInt("SELECT COUNT(*) FROM applications WHERE nik_sealed IS NOT NULL"));
  out["sealed_niks_waiting"] = sealed;
  if (!site.empty()) {
    out["site_name"] = site[0]["name"];
    out["time_zone"] = site[0]["time_zone"];
  }
  return out;
}

Result<Json> OfficeRecords::ListConflicts(const std::optional<std::string>& status) {
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  return store::ListConflicts(db, status);
}

Result<Json> OfficeRecords::ResolveConflict(const std::string& id, const Json& body) {
  MutexLock lock(s_.mu);
  db::Database& db = s_.db();
  db::Transaction tx(db);
  MPP_RETURN_IF_ERROR(tx.status());
  MPP_ASSIGN_OR_RETURN(auto plan, PlanResolution(db, s_.policy, id, body));
  // The record is the centre's: it settles it when this edit reaches it. Until then the
  // group's version here is this edit, no longer the winner: a second resolution is refused.
  const TablePolicy* t = s_.policy.Find(plan.table);
  MPP_ASSIGN_OR_RETURN(const Json row, LoadRow(db, *t, plan.row_id));
  MPP_ASSIGN_OR_RETURN(const RowVersions versions, LoadVersions(db, plan.table, plan.row_id));
  if (versions.Get(plan.group, t->RankOf(plan.group, row)).hlc != plan.winner_hlc) {
    return MakeError(Errc::kIllegalTransition,
                     "conflict " + id + " was settled here by a later edit of " + plan.table + " " +
                         plan.row_id + "; the next sync closes it at the centre");
  }
  MPP_RETURN_IF_ERROR(UpdateWithChange(db, s_.policy, plan.table, plan.row_id, plan.columns,
                                       {s_.hlc.Now(), s_.site_code}));
  MPP_RETURN_IF_ERROR(tx.Commit());
  return Json{{"id", id},
              {"status", "pending_sync"},
              {"table", plan.table},
              {"row_id", plan.row_id},
              {"columns", plan.columns}};
}

}  // namespace mpp::store
