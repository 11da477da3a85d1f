#include "sync/store/record_rules.h"

#include <iterator>
#include <string>

#include "sync/store/rows.h"

namespace mpp::store {
namespace {

// What each column may hold, wherever its record is written: the office's requests below take
// their fields from here, and every stored row is checked against the same specs (RowRules).
constexpr std::string_view kAppChannels[] = {"walk_in", "online"};
constexpr std::string_view kAppStatuses[] = {"received",  "verified", "in_process",
                                             "completed", "rejected", "cancelled"};
constexpr std::string_view kStatusTargets[] = {"verified", "in_process", "completed", "rejected",
                                               "cancelled"};
constexpr std::string_view kMethods[] = {"cash", "qris", "transfer", "edc"};
constexpr std::string_view kComplaintChannels[] = {"counter",    "phone", "web",
                                                   "sp4n_lapor", "email", "suggestion_box"};
constexpr std::string_view kCategories[] = {"service_time", "fee",        "staff_conduct",
                                            "requirements", "facilities", "other"};
constexpr std::string_view kComplaintStatuses[] = {"open", "in_progress", "resolved", "closed"};

constexpr FieldSpec kId{"id", FieldType::kUuid, true};
constexpr FieldSpec kSite{"site_code", FieldType::kCode, true, 7, 7};
constexpr FieldSpec kService{"service_code", FieldType::kCode, true, 1, 32};
constexpr FieldSpec kCounter{"counter_code", FieldType::kCode, false, 1, 16};
constexpr FieldSpec kApplicationRef{"application_id", FieldType::kUuid, true};
constexpr FieldSpec kTicketRef{"ticket_id", FieldType::kUuid};
constexpr FieldSpec kOfficer{"officer", FieldType::kString, false, 1, 100};
constexpr FieldSpec kAppChannel{"channel", FieldType::kString, true, 0, 0, kAppChannels};
constexpr FieldSpec kAppStatus{"status", FieldType::kString, true, 0, 0, kAppStatuses};
constexpr FieldSpec kReceivedAt{"received_at", FieldType::kTimestamp, true};
constexpr FieldSpec kNotes{"notes", FieldType::kString, false, 0, 1000};
constexpr FieldSpec kFee{"fee_idr", FieldType::kInteger, true, 0, kMaxIdr};
constexpr FieldSpec kNote{"note", FieldType::kString, false, 0, 1000};
constexpr FieldSpec kAt{"at", FieldType::kTimestamp, true};
constexpr FieldSpec kAmount{"amount_idr", FieldType::kInteger, true, 1, kMaxIdr};
constexpr FieldSpec kMethod{"method", FieldType::kString, true, 0, 0, kMethods};
constexpr FieldSpec kReference{"reference", FieldType::kString, false, 1, 64};
constexpr FieldSpec kPaidAt{"paid_at", FieldType::kTimestamp, true};
constexpr FieldSpec kScore[9] = {
    {"u1", FieldType::kInteger, true, 1, 4}, {"u2", FieldType::kInteger, true, 1, 4},
    {"u3", FieldType::kInteger, true, 1, 4}, {"u4", FieldType::kInteger, true, 1, 4},
    {"u5", FieldType::kInteger, true, 1, 4}, {"u6", FieldType::kInteger, true, 1, 4},
    {"u7", FieldType::kInteger, true, 1, 4}, {"u8", FieldType::kInteger, true, 1, 4},
    {"u9", FieldType::kInteger, true, 1, 4}};
constexpr FieldSpec kComment{"comment", FieldType::kString, false, 0, 1000};
constexpr FieldSpec kSubmittedAt{"submitted_at", FieldType::kTimestamp, true};
constexpr FieldSpec kComplaintChannel{"channel", FieldType::kString, true, 0,
                                      0,         kComplaintChannels};
constexpr FieldSpec kCategory{"category", FieldType::kString, true, 0, 0, kCategories};
constexpr FieldSpec kDescription{"description", FieldType::kString, true, 1, 2000};
constexpr FieldSpec kComplaintStatus{"status", FieldType::kString, true, 0, 0, kComplaintStatuses};
constexpr FieldSpec kResponse{"response", FieldType::kString, false, 1, 2000};

// ---------------------------------------------------------------- the office's requests

const FieldSpec kApplicationFieldsArray[] = {
    Optional(kId),
    kService,
    {"nik", FieldType::kNik},  // never stored: it becomes citizen_ref
    Optional(kAppChannel),
    kCounter,
    kTicketRef,
    Optional(kReceivedAt),
    kOfficer,
    kNotes,
    Optional(kFee),
};

const FieldSpec kStatusFieldsArray[] = {
    {"to", FieldType::kString, true, 0, 0, kStatusTargets},
    kOfficer,
    kNote,
    Optional(kAt),
};

const FieldSpec kPaymentFieldsArray[] = {
    Optional(kId), kApplicationRef, kAmount, kMethod, kReference, Optional(kPaidAt),
};

const FieldSpec kSurveyFieldsArray[] = {
    Optional(kId),
    kService,
    Optional(kApplicationRef),
    kScore[0],
    kScore[1],
    kScore[2],
    kScore[3],
    kScore[4],
    kScore[5],
    kScore[6],
    kScore[7],
    kScore[8],
    kComment,
    Optional(kSubmittedAt),
};

const FieldSpec kComplaintFieldsArray[] = {
    Optional(kId), Optional(kApplicationRef), Optional(kService), kComplaintChannel, kCategory,
    kDescription,  Optional(kReceivedAt),
};

const FieldSpec kComplaintPatchFieldsArray[] = {Optional(kComplaintStatus), kResponse};

const FieldSpec kTicketFieldsArray[] = {Optional(kId), kService, kCounter};

// ---------------------------------------------------------------- stored rows

const FieldSpec kCounterRow[] = {
    kId,
    kSite,
    {"code", FieldType::kCode, true, 1, 16},
    {"agency_code", FieldType::kCode, true, 1, 32},
    {"name", FieldType::kString, true, 1, 100},
};
const FieldSpec kTicketRow[] = {
    kId,
    kSite,
    kService,
    kCounter,
    {"day", FieldType::kDate, true},
    {"number", FieldType::kInteger, true, 1, 1'000'000},
    {"ticket_no", FieldType::kString, true, 1, 48},
    {"issued_at", FieldType::kTimestamp, true},
};
const FieldSpec kApplicationRow[] = {
    kId,
    kSite,
    kService,
    {"citizen_ref", FieldType::kDigest},    // made by the centre only
    {"citizen_key", FieldType::kKeyId},     // made by the centre only
    {"site_ref", FieldType::kDigest},       // the site's own reference
    {"nik_sealed", FieldType::kSealedNik},  // for the centre; dropped once it has it
    kCounter,
    kTicketRef,
    kAppChannel,
    kAppStatus,
    kReceivedAt,
    {"completed_at", FieldType::kTimestamp},
    kFee,
    kOfficer,
    kNotes,
};
const FieldSpec kEventRow[] = {
    kId,
    kSite,
    kApplicationRef,
    Optional(FieldSpec{"from_status", kAppStatus.type, true, 0, 0, kAppStatus.allowed}),
    {"to_status", kAppStatus.type, true, 0, 0, kAppStatus.allowed},
    kAt,
    kOfficer,
    kNote,
};
const FieldSpec kPaymentRow[] = {kId,     kSite,      kApplicationRef, kAmount,
                                 kMethod, kReference, kPaidAt};
const FieldSpec kSurveyRow[] = {
    kId,       kSite,     kService,     Optional(kApplicationRef),
    kScore[0], kScore[1], kScore[2],    kScore[3],
    kScore[4], kScore[5], kScore[6],    kScore[7],
    kScore[8], kComment,  kSubmittedAt,
};
const FieldSpec kComplaintRow[] = {
    kId,
    kSite,
    Optional(kApplicationRef),
    Optional(kService),
    kComplaintChannel,
    kCategory,
    kDescription,
    kComplaintStatus,
    kResponse,
    kReceivedAt,
    {"resolved_at", FieldType::kTimestamp},
};

struct TableRules {
  std::string_view table;
  std::span<const FieldSpec> columns;
};

const TableRules kRowRules[] = {
    {"counters", kCounterRow},         {"queue_tickets", kTicketRow},
    {"applications", kApplicationRow}, {"application_events", kEventRow},
    {"payments", kPaymentRow},         {"surveys", kSurveyRow},
    {"complaints", kComplaintRow},
};

// A column that names another row: of reference data (any site may name it), or of a site's
// own records (`same_site`: only rows of the same site), found by `key` (and by site_code too
// when `by_site`: a counter's code is unique per site only).
struct Reference {
  std::string_view column;
  std::string_view table;
  std::string_view key;
  bool same_site;
  bool by_site;
  Errc missing;
  std::string_view noun;
};

const Reference kReferences[] = {
    {"service_code", "services", "code", false, false, Errc::kUnknownService, "service"},
    {"agency_code", "agencies", "code", false, false, Errc::kInvalidValue, "agency"},
    {"counter_code", "counters", "code", true, true, Errc::kUnknownCounter, "counter"},
    {"application_id", "applications", "id", true, false, Errc::kUnknownApplication, "application"},
    {"ticket_id", "queue_tickets", "id", true, false, Errc::kInvalidValue, "queue ticket"},
};

}  // namespace

bool IsCentreDerivedColumn(std::string_view column) {
  return column == "citizen_ref" || column == "citizen_key";
}

bool IsPerEndColumn(std::string_view column) {
  return IsCentreDerivedColumn(column) || column == kSealedNikColumn;
}

const std::span<const FieldSpec> kApplicationFields = kApplicationFieldsArray;
const std::span<const FieldSpec> kStatusFields = kStatusFieldsArray;
const std::span<const FieldSpec> kPaymentFields = kPaymentFieldsArray;
const std::span<const FieldSpec> kSurveyFields = kSurveyFieldsArray;
const std::span<const FieldSpec> kComplaintFields = kComplaintFieldsArray;
const std::span<const FieldSpec> kComplaintPatchFields = kComplaintPatchFieldsArray;
const std::span<const FieldSpec> kTicketFields = kTicketFieldsArray;

std::optional<std::span<const FieldSpec>> RowRules(std::string_view table) {
  for (const TableRules& r : kRowRules) {
    if (r.table == table) return r.columns;
  }
  return std::nullopt;
}

Status CheckRow(db::Database& db, std::string_view table, const Json& row, bool whole,
                std::string_view site) {
  auto rules = RowRules(table);
  if (!rules) return {};  // reference data and the centre's own records
  Json columns = row;     // the stamp columns are the writer's, not the record's
  for (auto it = columns.begin(); it != columns.end();) {
    it = IsStampColumn(it.key()) ? columns.erase(it) : std::next(it);
  }
  MPP_RETURN_IF_ERROR(CheckStoredColumns(table, columns, *rules, whole));
  for (const Reference& ref : kReferences) {
    auto v = columns.find(ref.column);
    if (v == columns.end() || v->is_null()) continue;
    const std::string& named = v->get_ref<const std::string&>();
    const std::string what =
        std::string(table) + "." + std::string(ref.column) + " '" + named + "'";
    std::string sql = "SELECT site_code FROM " + std::string(ref.table) + " WHERE " +
                      std::string(ref.key) + " = ?";
    if (!ref.same_site) {
      MPP_ASSIGN_OR_RETURN(auto found, db.QueryText("SELECT 1" + sql.substr(16), {named}));
      if (!found) {
        return MakeError(ref.missing, what + " names no " + std::string(ref.noun) +
                                          " of the catalogue (GET /api/v1/services lists it)");
      }
      continue;
    }
    std::optional<std::string> owner;
    if (ref.by_site) {
      MPP_ASSIGN_OR_RETURN(owner, db.QueryText(sql + " AND site_code = ?", {named, site}));
    } else {
      MPP_ASSIGN_OR_RETURN(owner, db.QueryText(sql, {named}));
    }
    if (!owner) {
      return MakeError(ref.missing,
                       what + " names no " + std::string(ref.noun) + " of " + std::string(site));
    }
    if (*owner != site) {
      return MakeError(Errc::kForbiddenRow,
                       what + " names a " + std::string(ref.noun) + " of another site");
    }
  }
  return {};
}

Result<Json> NormaliseRow(std::string_view table, const Json& columns) {
  auto rules = RowRules(table);
  if (!rules) return columns;
  return NormaliseColumns(table, columns, *rules);
}

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

void StampStatusTimes(std::string_view table, const Json& current, Json& changes,
                      const std::string& now) {
  auto status = changes.find("status");
  if (status == changes.end() || !status->is_string()) return;
  const std::string& to = status->get_ref<const std::string&>();
  if (table == "applications" && !changes.contains("completed_at")) {
    changes["completed_at"] = IsTerminal(to) ? Json(now) : Json(nullptr);
  } else if (table == "complaints" && !changes.contains("resolved_at")) {
    auto done = [](const Json& s) { return s == "resolved" || s == "closed"; };
    if (!done(to)) {
      changes["resolved_at"] = nullptr;
    } else if (!done(current.value("status", Json())) ||
               current.value("resolved_at", Json()).is_null()) {
      changes["resolved_at"] = now;
    } else {
      changes["resolved_at"] = current["resolved_at"];  // resolved before: keep when
    }
  }
}

}  // namespace mpp::store
