// The rules of the office's records, declared once: which fields each write takes (types,
// ranges, lengths, enumerations, timestamps, no NIK in free text; fields.h checks them) and
// the application's state machine. Every writer applies these same rules.
#pragma once

#include <span>
#include <string_view>

#include "sync/core/json.h"
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

// The time columns that go with a status, for every writer (the office and the centre):
// when `changes` sets the status of `table`'s row `current` and not the time itself, an
// application's completed_at is stamped `now` on a terminal status and cleared otherwise; a
// complaint's resolved_at is stamped `now` when it becomes resolved or closed (and kept when
// it already was one of them), and cleared when it is reopened.
void StampStatusTimes(std::string_view table, const Json& current, Json& changes,
                      const std::string& now);

}  // namespace mpp::store
