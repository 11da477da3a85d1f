// OfficeRecords: a site's records as the office works with them (docs/api.md): applications
// and their status changes, payments, SKM surveys, complaints, queue tickets; the catalogue
// and counters; the site's status; the conflicts sync recorded here. mpp-node's office API
// calls it; the replicator does not (it has site_replica.h).
//
// Every write checks its input against the rules declared once in record_rules.h, then in
// ONE transaction (BEGIN IMMEDIATE, commit with synchronous=FULL) writes its rows and appends
// one change_log entry per row, stamped with the node's hybrid logical clock and this site's
// code. When a write returns, the record is on disk; when it fails, nothing was written.
//
// Inputs and outputs are JSON objects shaped as in docs/api.md. Errors: request-shape codes
// (kInvalidType, kUnknownField, kMissingField, kOutOfRange, kInvalidValue), domain codes
// (kUnknownService, kInactiveService, kUnknownCounter, kUnknownApplication,
// kIllegalTransition, kDuplicate, kNotFound) and kStorage when SQLite fails (nothing written).
//
// Thread-safe: calls are serialised on the site's one connection.
#pragma once

#include <optional>
#include <string>

#include "sync/core/json.h"
#include "sync/core/result.h"
#include "sync/store/site_state.h"

namespace mpp::store {

struct ListQuery {
  std::optional<std::string> status;
  std::optional<std::string> service;
  std::optional<std::string> from;  // RFC 3339, inclusive, on received_at
  std::optional<std::string> to;    // RFC 3339, exclusive
  std::optional<std::string> cursor;
  int limit = 50;  // 1..500
};

class OfficeRecords {
 public:
  explicit OfficeRecords(SiteState& state) : s_(state) {}

  const std::string& site_code() const { return s_.site_code; }

  // POST /api/v1/applications. Returns the stored application.
  Result<Json> CreateApplication(const Json& body);
  // kNotFound if absent. Includes its status events and payments.
  Result<Json> GetApplication(const std::string& id);
  // {"items": [...], "next_cursor": "..." | null}, ordered by (received_at, id).
  Result<Json> ListApplications(const ListQuery& query);
  // POST /api/v1/applications/{id}/status: {"to": ..., "officer"?, "note"?, "at"?}.
  Result<Json> ChangeStatus(const std::string& id, const Json& body);
  Result<Json> RecordPayment(const Json& body);
  Result<Json> RecordSurvey(const Json& body);
  Result<Json> CreateComplaint(const Json& body);
  Result<Json> UpdateComplaint(const std::string& id, const Json& body);
  Result<Json> IssueTicket(const Json& body);

  Result<Json> ListServices();
  // The counters (gerai) of this site.
  Result<Json> ListCounters();
  // Site identity, record counts, changes not yet acknowledged by the centre, clock state.
  Result<Json> StatusSummary();

  // The concurrent edits sync recorded here (store/conflicts.h); `status` filters.
  Result<Json> ListConflicts(const std::optional<std::string>& status);
  // Resolves a conflict by a new local edit of the column, which syncs like any other.
  Result<Json> ResolveConflict(const std::string& id, const Json& body);

 private:
  Result<Json> GetApplicationLocked(const std::string& id) REQUIRES(s_.mu);
  Result<Json> LoadService(const std::string& code) REQUIRES(s_.mu);
  // The id of a new record: the client's, if it carries this site's tag, else a new one.
  Result<std::string> RecordId(const Json& fields) REQUIRES(s_.mu);

  SiteState& s_;
};

}  // namespace mpp::store
