// SiteStore: a site's replica in one SQLite file: the MPP's transactions, the reference data
// it was shipped or pulled, and the change log that sync reads.
//
// Every write validates its input, then in ONE transaction (BEGIN IMMEDIATE, commit with
// synchronous=FULL) writes its rows and appends one change_log entry per row, stamped with
// the node's hybrid logical clock and this site's code. When a write returns, the record is on
// disk; when it fails, nothing was written.
//
// Inputs and outputs are JSON objects shaped as in docs/api.md; the HTTP layer only routes.
// Errors: request-shape codes (kInvalidType, kUnknownField, kMissingField, kOutOfRange,
// kInvalidValue), domain codes (kUnknownService, kInactiveService, kUnknownCounter,
// kUnknownApplication, kIllegalTransition, kDuplicate, kNotFound) and kStorage when SQLite
// fails (nothing written).
//
// Thread-safe: calls are serialised on one connection by an internal mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync/core/clock.h"
#include "sync/core/hlc.h"
#include "sync/core/json_util.h"
#include "sync/core/merge.h"
#include "sync/core/result.h"
#include "sync/db/database.h"
#include "sync/store/apply.h"

namespace mpp::store {

struct InitOptions {
  std::string site_code;  // must be in the reference sites table, e.g. "MPP7301"
  std::string nik_key;    // national matching key (raw bytes); empty: a random one (dev only)
};

struct ListQuery {
  std::optional<std::string> status;
  std::optional<std::string> service;
  std::optional<std::string> from;  // RFC 3339, inclusive, on received_at
  std::optional<std::string> to;    // RFC 3339, exclusive
  std::optional<std::string> cursor;
  int limit = 50;  // 1..500
};

class SiteStore {
 public:
  // Creates the database at `path`, applies the migrations, records the site and key, and sets
  // up one counter (gerai) per agency. kAlreadyInitialised if `path` exists; kInvalidValue
  // for a site code not in the reference data.
  static Status Initialise(const std::string& path, const InitOptions& options, Clock& clock,
                           Random& random);

  // Opens an initialised database, applying any newer migrations. kNotInitialised when the
  // file is missing; kSchemaTooNew when a newer binary wrote it.
  static Result<std::unique_ptr<SiteStore>> Open(const std::string& path, Clock& clock,
                                                 Random& random,
                                                 db::OpenOptions options = {.create = false});

  const std::string& site_code() const { return site_code_; }

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

  // ---- sync: what the replicator (sync/replicator) calls ----
  struct Outbox {
    std::vector<Change> changes;
    size_t bytes = 0;  // their JSON size
  };
  // This site's own changes after `after_seq`, in order, about `max_bytes` of JSON (always at
  // least one change when there is one).
  Result<Outbox> ReadOutbox(int64_t after_seq, size_t max_bytes);
  Result<int64_t> AckedSeq();
  // Records that the centre has stored every change up to `seq`. Never moves backwards.
  Status MarkAcked(int64_t seq);
  // Moves the acknowledged point back to `seq`: the centre lost changes (a restored backup)
  // and they must be sent again. The outbox keeps every change, so nothing is lost.
  Status ResetAcked(int64_t seq);
  Result<int64_t> PullCursor();
  // Applies a page of changes pulled from the centre (each must come from the centre) and
  // advances the pull cursor to `next_cursor`, in one transaction.
  Result<ApplyStats> ApplyPulled(const std::vector<Change>& changes, int64_t next_cursor);
  // The digest of what this site holds (store/digest.h).
  Result<Json> Digest();
  Result<Json> ListConflicts(const std::optional<std::string>& status);
  // Resolves a conflict by a new local edit of the column, which syncs like any other.
  Result<Json> ResolveConflict(const std::string& id, const Json& body);
  // The offset of this PC's clock from the centre's, measured at a sync. Stamps and times
  // follow the centre's clock from then on, and the offset survives restarts.
  Status SetClockOffset(int64_t offset_ms);
  int64_t clock_offset_ms() const { return stamp_clock_.offset(); }
  // Changes stamped while this PC's clock ran ahead of the centre's are refused by the centre.
  // As long as they are unacknowledged no other replica has seen them, so they can be stamped
  // again: every unacknowledged change stamped above `limit` gets a fresh stamp from the
  // (now corrected) clock, in seq order, and the row versions and later bases that named the
  // old stamp follow. Returns how many changes were restamped.
  Result<int64_t> RestampFutureChanges(HlcStamp limit);

  // The database connection, for tests that inject faults. Not for production callers.
  db::Database& database_for_testing() { return *db_; }

 private:
  SiteStore(std::unique_ptr<db::Database> db, Clock& clock, Random& random);
  Status LoadIdentity();
  std::string NewId();
  std::string NowUtc();
  Result<Json> GetApplicationLocked(const std::string& id);
  Result<Json> LoadService(const std::string& code);
  Status CheckCounter(const Json& fields);
  Status CheckApplicationExists(const Json& fields);

  std::mutex mu_;
  std::unique_ptr<db::Database> db_;  // guarded by mu_
  OffsetClock stamp_clock_;           // the PC's clock corrected to the centre's
  Random& random_;
  Hlc hlc_;
  std::string site_code_;
  std::string nik_key_;
  MergePolicy policy_;
  int tz_offset_minutes_ = 0;
};

}  // namespace mpp::store
