// Applying a remote change to this replica: the column-level merge (sync/core/merge.h) made
// durable in SQLite, with the rules of who may write what enforced. What the merge found
// (concurrent edits, conflicts a change supersedes) is handed back as MergeNotes: only the
// centre records conflicts (conflicts.h), and its records reach the sites with the pull.
#pragma once

#include <string>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/merge.h"
#include "sync/db/database.h"

namespace mpp::store {

struct ApplyStats {
  int applied = 0;      // changes that wrote at least one column
  int duplicates = 0;   // changes this replica already had
  int kept_local = 0;   // changes older than what this replica holds
  int conflicts = 0;    // new conflicts: recorded (centre) or their records pulled (site)
  int quarantined = 0;  // refused one by one and set aside (centre only)
};

// One concurrent edit of a column group, with the version that won and the one that lost.
struct ConflictNote {
  std::string table;
  std::string row_id;
  std::string site_code;  // of the row
  std::string group;
  Version winner;
  Json winner_value;
  Version loser;
  Json loser_value;
};

// What applying one change found, for the replica that keeps conflict records.
struct MergeNotes {
  std::vector<ConflictNote> conflicts;
  // Groups the change wrote over the version it had seen: their open conflicts are settled.
  std::vector<std::string> superseded_groups;
  std::string site_code;  // of the row the change wrote
};

// Applies `change` inside the caller's transaction. `change.origin` must be the verified
// writer (a site code, or kCentreOrigin), never taken from a peer's word. Rules:
//  - a site writes only site-owned tables and only rows whose site_code is its own; it never
//    updates an append-only row;
//  - the centre writes reference tables, and on a site's rows only the columns the merge
//    rules list under centre_writes; it never creates a site's row.
// Returns kForbiddenTable / kForbiddenRow / kForbiddenColumn for a write that is not allowed,
// kMissingRow for an update of a row never seen, kInvalidValue for an unknown column or a key
// that does not match, kStorage when SQLite fails. On error the caller rolls back.
// `notes`, when given, is filled with what the merge found.
Status ApplyChange(db::Database& db, const MergePolicy& policy, const Change& change,
                   ApplyStats& stats, MergeNotes* notes = nullptr);

}  // namespace mpp::store
