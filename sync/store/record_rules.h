// The rules of the office's records, declared once: which fields each write takes (types,
// ranges, lengths, enumerations, timestamps, no NIK in free text; fields.h checks them) and
// the application's state machine. Every writer applies these same rules.
#pragma once

#include <span>
#include <string_view>

#include "sync/store/fields.h"

namespace mpp::store {

// POST /api/v1/applications
extern const std::span<const FieldSpec> kApplicationFields;
// POST /api/v1/applications/{id}/status
extern const std::span<const FieldSpec> kStatusFields;
// POST /api/v1/payments
extern const std::span<const FieldSpec> kPaymentFields;
// POST /api/v1/surveys (SKM: nine elements u1..u9 scored 1-4)
extern const std::span<const FieldSpec> kSurveyFields;
// POST /api/v1/complaints
extern const std::span<const FieldSpec> kComplaintFields;
// PATCH /api/v1/complaints/{id}
extern const std::span<const FieldSpec> kComplaintPatchFields;
// POST /api/v1/tickets
extern const std::span<const FieldSpec> kTicketFields;

// The largest amount of money a record may carry, in rupiah.
constexpr int64_t kMaxIdr = 100'000'000'000;

// The application state machine: received → verified → in_process → completed, with
// rejected and cancelled possible from any stage before a terminal one.
bool LegalTransition(std::string_view from, std::string_view to);
// completed, rejected and cancelled: no transition leaves them.
bool IsTerminal(std::string_view status);

}  // namespace mpp::store
