// SiteStore: the write side. Each call validates, then writes its rows and their change
// records in one BEGIN IMMEDIATE transaction.
#include <cstdio>

#include "sync/core/nik.h"
#include "sync/core/time_util.h"
#include "sync/store/change_log.h"
#include "sync/store/fields.h"
#include "sync/store/site_store.h"

namespace mpp::store {
namespace {

constexpr int64_t kMaxIdr = 100'000'000'000;  // 100 billion rupiah

const FieldSpec kApplicationFields[] = {
    {"id", FieldType::kUuid},
    {"service_code", FieldType::kString, true, 1, 32},
    {"nik", FieldType::kString, false, 1, 32},
    {"channel", FieldType::kString, false, 0, 0, {"walk_in", "online"}},
    {"counter_code", FieldType::kString, false, 1, 16},
    {"ticket_id", FieldType::kUuid},
    {"received_at", FieldType::kTimestamp},
    {"officer", FieldType::kString, false, 1, 100},
    {"notes", FieldType::kFreeText, false, 0, 1000},
    {"fee_idr", FieldType::kInteger, false, 0, kMaxIdr},
};

const FieldSpec kStatusFields[] = {
    {"to",
     FieldType::kString,
     true,
     0,
     0,
     {"verified", "in_process", "completed", "rejected", "cancelled"}},
    {"officer", FieldType::kString, false, 1, 100},
    {"note", FieldType::kFreeText, false, 0, 1000},
    {"at", FieldType::kTimestamp},
};

const FieldSpec kPaymentFields[] = {
    {"id", FieldType::kUuid},
    {"application_id", FieldType::kUuid, true},
    {"amount_idr", FieldType::kInteger, true, 1, kMaxIdr},
    {"method", FieldType::kString, true, 0, 0, {"cash", "qris", "transfer", "edc"}},
    {"reference", FieldType::kString, false, 1, 64},
    {"paid_at", FieldType::kTimestamp},
};

const FieldSpec kSurveyFields[] = {
    {"id", FieldType::kUuid},
    {"service_code", FieldType::kString, true, 1, 32},
    {"application_id", FieldType::kUuid},
    {"u1", FieldType::kInteger, true, 1, 4},
    {"u2", FieldType::kInteger, true, 1, 4},
    {"u3", FieldType::kInteger, true, 1, 4},
    {"u4", FieldType::kInteger, true, 1, 4},
    {"u5", FieldType::kInteger, true, 1, 4},
    {"u6", FieldType::kInteger, true, 1, 4},
    {"u7", FieldType::kInteger, true, 1, 4},
    {"u8", FieldType::kInteger, true, 1, 4},
    {"u9", FieldType::kInteger, true, 1, 4},
    {"comment", FieldType::kFreeText, false, 0, 1000},
    {"submitted_at", FieldType::kTimestamp},
};

const FieldSpec kComplaintFields[] = {
    {"id", FieldType::kUuid},
    {"application_id", FieldType::kUuid},
    {"service_code", FieldType::kString, false, 1, 32},
    {"channel",
     FieldType::kString,
     true,
     0,
     0,
     {"counter", "phone", "web", "sp4n_lapor", "email", "suggestion_box"}},
    {"category",
     FieldType::kString,
     true,
     0,
     0,
     {"service_time", "fee", "staff_conduct", "requirements", "facilities", "other"}},
    {"description", FieldType::kFreeText, true, 1, 2000},
    {"received_at", FieldType::kTimestamp},
};

const FieldSpec kComplaintPatchFields[] = {
    {"status", FieldType::kString, false, 0, 0, {"open", "in_progress", "resolved", "closed"}},
    {"response", FieldType::kFreeText, false, 1, 2000},
};

const FieldSpec kTicketFields[] = {
    {"id", FieldType::kUuid},
    {"service_code", FieldType::kString, true, 1, 32},
    {"counter_code", FieldType::kString, false, 1, 16},
};

// The application state machine: received → verified → in_process → completed, with
// rejected and cancelled possible from any stage before a terminal one.
bool LegalTransition(std::string_view from, std::string_view to) {
  const bool open = from == "received" || from == "verified" || from == "in_process";
  if (!open) return false;
  if (to == "rejected" || to == "cancelled") return true;
  return (from == "received" && to == "verified") || (from == "verified" && to == "in_process") ||
         (from == "in_process" && to == "completed");
}

bool IsTerminal(std::string_view status) {
  return status == "completed" || status == "rejected" || status == "cancelled";
}

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

Result<bool> Exists(db::Database& db, const std::string& sql, std::string_view key) {
  auto found = db.QueryText(sql, {key});
  if (!found) return found.error();
  return found->has_value();
}

}  // namespace

Status SiteStore::CheckCounter(const Json& fields) {
  auto it = fields.find("counter_code");
  if (it == fields.end()) return {};
  auto found = db_->QueryText("SELECT 1 FROM counters WHERE site_code = ? AND code = ?",
                              {site_code_, it->get_ref<const std::string&>()});
  if (!found) return found.error();
  if (!*found) {
    return MakeError(Errc::kUnknownCounter,
                     "counter_code '" + it->get<std::string>() + "' is not a counter of this site");
  }
  return {};
}

Status SiteStore::CheckApplicationExists(const Json& fields) {
  auto it = fields.find("application_id");
  if (it == fields.end()) return {};
  auto found = Exists(*db_, "SELECT 1 FROM applications WHERE id = ?", it->get<std::string>());
  if (!found) return found.error();
  if (!*found) {
    return MakeError(Errc::kUnknownApplication,
                     "application_id '" + it->get<std::string>() + "' names no application");
  }
  return {};
}

Result<Json> SiteStore::CreateApplication(const Json& body) {
  auto f = ValidateFields(body, kApplicationFields);
  if (!f) return f.error();
  std::optional<std::string> citizen_ref;
  if (auto nik = f->find("nik"); nik != f->end()) {
    MPP_RETURN_IF_ERROR(ValidateNik(nik->get<std::string>()));
    citizen_ref = CitizenRef(nik_key_, nik->get<std::string>());
  }
  std::lock_guard lock(mu_);
  auto service = LoadService((*f)["service_code"]);
  if (!service) return service.error();
  if ((*service)["active"].get<int64_t>() == 0) {
    return MakeError(Errc::kInactiveService, "service '" + (*service)["code"].get<std::string>() +
                                                 "' is no longer offered");
  }
  MPP_RETURN_IF_ERROR(CheckCounter(*f));
  if (auto t = f->find("ticket_id"); t != f->end()) {
    auto found = Exists(*db_, "SELECT 1 FROM queue_tickets WHERE id = ?", t->get<std::string>());
    if (!found) return found.error();
    if (!*found) return MakeError(Errc::kInvalidValue, "'ticket_id' names no queue ticket");
  }
  const std::string id = f->value("id", NewId());
  auto written = InTransaction(*db_, [&]() -> Result<Json> {
    const HlcStamp t = hlc_.Now();
    const auto stamp_value = static_cast<int64_t>(t);
    const std::string received_at = f->value("received_at", NowUtc());
    Json row = {{"id", id},
                {"site_code", site_code_},
                {"service_code", (*f)["service_code"]},
                {"citizen_ref", citizen_ref ? Json(*citizen_ref) : Json(nullptr)},
                {"counter_code", Optional(*f, "counter_code")},
                {"ticket_id", Optional(*f, "ticket_id")},
                {"channel", f->value("channel", "walk_in")},
                {"status", "received"},
                {"received_at", received_at},
                {"fee_idr", f->contains("fee_idr") ? (*f)["fee_idr"] : (*service)["fee_idr"]},
                {"officer", Optional(*f, "officer")},
                {"notes", Optional(*f, "notes")},
                {"created_hlc", stamp_value},
                {"updated_hlc", stamp_value}};
    MPP_RETURN_IF_ERROR(InsertWithChange(*db_, policy_, "applications", row, {t, site_code_}));
    Json event = {{"id", NewId()},
                  {"site_code", site_code_},
                  {"application_id", id},
                  {"from_status", nullptr},
                  {"to_status", "received"},
                  {"at", received_at},
                  {"officer", Optional(*f, "officer")},
                  {"note", nullptr},
                  {"hlc", stamp_value}};
    MPP_RETURN_IF_ERROR(
        InsertWithChange(*db_, policy_, "application_events", event, {t, site_code_}));
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

Result<Json> SiteStore::ChangeStatus(const std::string& id, const Json& body) {
  auto f = ValidateFields(body, kStatusFields);
  if (!f) return f.error();
  std::lock_guard lock(mu_);
  auto written = InTransaction(*db_, [&]() -> Result<Json> {
    auto current = db_->QueryText("SELECT status FROM applications WHERE id = ?", {id});
    if (!current) return current.error();
    if (!*current) return MakeError(Errc::kNotFound, "no application with id '" + id + "'");
    const std::string from = **current;
    const std::string to = (*f)["to"];
    if (!LegalTransition(from, to)) {
      return MakeError(Errc::kIllegalTransition,
                       "an application in status '" + from + "' cannot move to '" + to +
                           "'; allowed: received→verified→in_process→completed, or rejected/"
                           "cancelled before completion");
    }
    const HlcStamp t = hlc_.Now();
    const std::string at = f->value("at", NowUtc());
    Json changes = {{"status", to}, {"updated_hlc", static_cast<int64_t>(t)}};
    if (IsTerminal(to)) changes["completed_at"] = at;
    if (f->contains("officer")) changes["officer"] = (*f)["officer"];
    MPP_RETURN_IF_ERROR(
        UpdateWithChange(*db_, policy_, "applications", id, changes, {t, site_code_}));
    Json event = {{"id", NewId()},
                  {"site_code", site_code_},
                  {"application_id", id},
                  {"from_status", from},
                  {"to_status", to},
                  {"at", at},
                  {"officer", Optional(*f, "officer")},
                  {"note", Optional(*f, "note")},
                  {"hlc", static_cast<int64_t>(t)}};
    MPP_RETURN_IF_ERROR(
        InsertWithChange(*db_, policy_, "application_events", event, {t, site_code_}));
    return Json();
  });
  if (!written) return written.error();
  return GetApplicationLocked(id);
}

Result<Json> SiteStore::RecordPayment(const Json& body) {
  auto f = ValidateFields(body, kPaymentFields);
  if (!f) return f.error();
  std::lock_guard lock(mu_);
  MPP_RETURN_IF_ERROR(CheckApplicationExists(*f));
  return InTransaction(*db_, [&]() -> Result<Json> {
    const HlcStamp t = hlc_.Now();
    Json row = {{"id", f->value("id", NewId())},
                {"site_code", site_code_},
                {"application_id", (*f)["application_id"]},
                {"amount_idr", (*f)["amount_idr"]},
                {"method", (*f)["method"]},
                {"reference", Optional(*f, "reference")},
                {"paid_at", f->value("paid_at", NowUtc())},
                {"hlc", static_cast<int64_t>(t)}};
    MPP_RETURN_IF_ERROR(InsertWithChange(*db_, policy_, "payments", row, {t, site_code_}));
    row.erase("hlc");
    return row;
  });
}

Result<Json> SiteStore::RecordSurvey(const Json& body) {
  auto f = ValidateFields(body, kSurveyFields);
  if (!f) return f.error();
  std::lock_guard lock(mu_);
  auto service = LoadService((*f)["service_code"]);
  if (!service) return service.error();
  MPP_RETURN_IF_ERROR(CheckApplicationExists(*f));
  return InTransaction(*db_, [&]() -> Result<Json> {
    const HlcStamp t = hlc_.Now();
    Json row = {{"id", f->value("id", NewId())},
                {"site_code", site_code_},
                {"service_code", (*f)["service_code"]},
                {"application_id", Optional(*f, "application_id")}};
    for (const char* u : {"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}) row[u] = (*f)[u];
    row["comment"] = Optional(*f, "comment");
    row["submitted_at"] = f->value("submitted_at", NowUtc());
    row["hlc"] = static_cast<int64_t>(t);
    MPP_RETURN_IF_ERROR(InsertWithChange(*db_, policy_, "surveys", row, {t, site_code_}));
    row.erase("hlc");
    return row;
  });
}

Result<Json> SiteStore::CreateComplaint(const Json& body) {
  auto f = ValidateFields(body, kComplaintFields);
  if (!f) return f.error();
  std::lock_guard lock(mu_);
  if (f->contains("service_code")) {
    auto service = LoadService((*f)["service_code"]);
    if (!service) return service.error();
  }
  MPP_RETURN_IF_ERROR(CheckApplicationExists(*f));
  return InTransaction(*db_, [&]() -> Result<Json> {
    const HlcStamp t = hlc_.Now();
    const auto stamp_value = static_cast<int64_t>(t);
    Json row = {{"id", f->value("id", NewId())},
                {"site_code", site_code_},
                {"application_id", Optional(*f, "application_id")},
                {"service_code", Optional(*f, "service_code")},
                {"channel", (*f)["channel"]},
                {"category", (*f)["category"]},
                {"description", (*f)["description"]},
                {"status", "open"},
                {"response", nullptr},
                {"received_at", f->value("received_at", NowUtc())},
                {"resolved_at", nullptr},
                {"created_hlc", stamp_value},
                {"updated_hlc", stamp_value}};
    MPP_RETURN_IF_ERROR(InsertWithChange(*db_, policy_, "complaints", row, {t, site_code_}));
    row.erase("created_hlc");
    row.erase("updated_hlc");
    return row;
  });
}

Result<Json> SiteStore::UpdateComplaint(const std::string& id, const Json& body) {
  auto f = ValidateFields(body, kComplaintPatchFields);
  if (!f) return f.error();
  if (f->empty()) {
    return MakeError(Errc::kMissingField, "send at least one of 'status' and 'response'");
  }
  std::lock_guard lock(mu_);
  auto written = InTransaction(*db_, [&]() -> Result<Json> {
    auto current = db_->QueryText("SELECT status FROM complaints WHERE id = ?", {id});
    if (!current) return current.error();
    if (!*current) return MakeError(Errc::kNotFound, "no complaint with id '" + id + "'");
    const std::string from = **current;
    if (from == "closed") {
      return MakeError(Errc::kIllegalTransition,
                       "complaint is closed; file a new complaint instead of editing it");
    }
    const HlcStamp t = hlc_.Now();
    Json changes = *f;
    changes["updated_hlc"] = static_cast<int64_t>(t);
    if (f->contains("status")) {
      const std::string to = (*f)["status"];
      if (to == "resolved" || to == "closed") {
        if (from != "resolved") changes["resolved_at"] = NowUtc();
      } else {
        changes["resolved_at"] = nullptr;
      }
    }
    MPP_RETURN_IF_ERROR(
        UpdateWithChange(*db_, policy_, "complaints", id, changes, {t, site_code_}));
    return Json();
  });
  if (!written) return written.error();
  auto stmt = db_->Cached("SELECT * FROM complaints WHERE id = ?");
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  s->Bind(1, id);
  auto row = s->Step();
  if (!row) return row.error();
  Json out = Json::object();
  for (int i = 0; i < s->ColumnCount(); ++i) {
    const std::string name = s->ColumnName(i);
    if (name != "created_hlc" && name != "updated_hlc") out[name] = s->ColumnJson(i);
  }
  return out;
}

Result<Json> SiteStore::IssueTicket(const Json& body) {
  auto f = ValidateFields(body, kTicketFields);
  if (!f) return f.error();
  std::lock_guard lock(mu_);
  auto service = LoadService((*f)["service_code"]);
  if (!service) return service.error();
  MPP_RETURN_IF_ERROR(CheckCounter(*f));
  const int64_t now = stamp_clock_.NowMs();
  const std::string day = LocalDate(now, tz_offset_minutes_);
  const std::string prefix =
      f->contains("counter_code") ? (*f)["counter_code"] : (*service)["agency_code"];
  return InTransaction(*db_, [&]() -> Result<Json> {
    auto stmt = db_->Cached(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM queue_tickets "
        "WHERE site_code = ?1 AND day = ?2 AND substr(ticket_no, 1, length(?3) + 1) = ?3 || '-'");
    if (!stmt) return stmt.error();
    int64_t number = 1;
    {
      db::StatementRef s(*stmt);
      s->Bind(1, site_code_).Bind(2, day).Bind(3, prefix);
      auto r = s->Step();
      if (!r) return r.error();
      number = s->ColumnInt(0);
    }
    char no[48];
    std::snprintf(no, sizeof no, "%s-%03lld", prefix.c_str(), static_cast<long long>(number));
    const HlcStamp t = hlc_.Now();
    Json row = {{"id", f->value("id", NewId())},
                {"site_code", site_code_},
                {"service_code", (*f)["service_code"]},
                {"counter_code", Optional(*f, "counter_code")},
                {"day", day},
                {"number", number},
                {"ticket_no", no},
                {"issued_at", FormatUtc(now)},
                {"hlc", static_cast<int64_t>(t)}};
    MPP_RETURN_IF_ERROR(InsertWithChange(*db_, policy_, "queue_tickets", row, {t, site_code_}));
    row.erase("hlc");
    return row;
  });
}

}  // namespace mpp::store
