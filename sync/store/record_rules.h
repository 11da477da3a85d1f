// The rules of the office's records, declared once: which fields each write takes (types,
// ranges, lengths, enumerations, timestamps, no NIK in free text; fields.h checks them) and
// the application's state machine. Every writer applies these same rules.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "sync/core/json.h"
#include "sync/db/database.h"
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

// The rules of a stored row of a site's table (counters, queue_tickets, applications,
// application_events, payments, surveys, complaints): one spec per column but the stamp
// columns. None for reference data and the centre's own records.
std::optional<std::span<const FieldSpec>> RowRules(std::string_view table);

// Checks what a write puts in `table`, for every writer: the office, the centre's own edits,
// and a change received from another replica. `columns` is a whole row (`whole`) or the
// columns an update sets, in stored form (CheckStoredColumns), and every column that names
// another row must name one that exists: reference data (kUnknownService, ...) or a record of
// `site`, the row's own site (kUnknownApplication, kUnknownCounter, ...; kForbiddenRow when it
// names another site's).
Status CheckRow(db::Database& db, std::string_view table, const Json& row, bool whole,
                std::string_view site);

// Columns a person sends for `table` (the centre's operator) checked by the same specs, with
// times normalised to UTC; CheckRow then checks them as stored.
Result<Json> NormaliseRow(std::string_view table, const Json& columns);

// The citizen columns of an application (sync/core/nik_seal.h). Only the centre makes
// citizen_ref and citizen_key, from the NIK a site sealed in nik_sealed; each end keeps its
// own of them (a site holds nik_sealed until the centre has it, the centre the national
// reference), so the two ends never compare them (digest.h) and the centre keeps a site's
// change without the sealed NIK.
inline constexpr std::string_view kSealedNikColumn = "nik_sealed";
bool IsCentreDerivedColumn(std::string_view column);  // citizen_ref, citizen_key
bool IsPerEndColumn(std::string_view column);         // those and nik_sealed

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
