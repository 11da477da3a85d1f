#include "sync/store/record_rules.h"

namespace mpp::store {
namespace {

const FieldSpec kApplicationFieldsArray[] = {
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

const FieldSpec kStatusFieldsArray[] = {
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

const FieldSpec kPaymentFieldsArray[] = {
    {"id", FieldType::kUuid},
    {"application_id", FieldType::kUuid, true},
    {"amount_idr", FieldType::kInteger, true, 1, kMaxIdr},
    {"method", FieldType::kString, true, 0, 0, {"cash", "qris", "transfer", "edc"}},
    {"reference", FieldType::kString, false, 1, 64},
    {"paid_at", FieldType::kTimestamp},
};

const FieldSpec kSurveyFieldsArray[] = {
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

const FieldSpec kComplaintFieldsArray[] = {
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

const FieldSpec kComplaintPatchFieldsArray[] = {
    {"status", FieldType::kString, false, 0, 0, {"open", "in_progress", "resolved", "closed"}},
    {"response", FieldType::kFreeText, false, 1, 2000},
};

const FieldSpec kTicketFieldsArray[] = {
    {"id", FieldType::kUuid},
    {"service_code", FieldType::kString, true, 1, 32},
    {"counter_code", FieldType::kString, false, 1, 16},
};

}  // namespace

const std::span<const FieldSpec> kApplicationFields = kApplicationFieldsArray;
const std::span<const FieldSpec> kStatusFields = kStatusFieldsArray;
const std::span<const FieldSpec> kPaymentFields = kPaymentFieldsArray;
const std::span<const FieldSpec> kSurveyFields = kSurveyFieldsArray;
const std::span<const FieldSpec> kComplaintFields = kComplaintFieldsArray;
const std::span<const FieldSpec> kComplaintPatchFields = kComplaintPatchFieldsArray;
const std::span<const FieldSpec> kTicketFields = kTicketFieldsArray;

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
