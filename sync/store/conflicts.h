// Conflict records (table `conflicts`). Only the centre keeps them: every edit of a site's
// row meets the centre, so there each concurrent pair is seen once, in one order. The
// centre writes each record like any of its own rows (a change for the row's site to pull),
// so a site holds the centre's records, under the same ids, in the same state. A site
// resolves one by editing the row over the winner; the centre settles it when that edit
// arrives, and the site sees it settled on the same sync's pull.
#pragma once

#include <optional>
#include <string>

#include "sync/core/hlc.h"
#include "sync/core/json.h"
#include "sync/core/merge.h"
#include "sync/db/database.h"
#include "sync/store/apply.h"

namespace mpp::store {

// {"items":[{id, site_code, table, row_id, column, winner:{value,hlc,origin}, loser:{...},
// status, detected_at, resolved_at, resolution}]}, newest first; `status` filters
// (open|resolved).
Result<Json> ListConflicts(db::Database& db, const std::optional<std::string>& status);

struct Resolution {
  std::string table;
  std::string row_id;
  std::string group;
  HlcStamp winner_hlc = 0;
  Json columns;  // column → value to write
};

// Reads conflict `id` and a resolution body {"keep":"winner"|"loser"} or {"value": <value>}
// (a scalar, or an object of the group's columns) into the columns to write. kNotFound,
// kIllegalTransition when already resolved, kInvalidValue/kMissingField for a bad body.
Result<Resolution> PlanResolution(db::Database& db, const MergePolicy& policy,
                                  const std::string& id, const Json& body);

// ---- the centre's side: inside the caller's transaction, each write stamped by `hlc` and
// logged for the row's site.

// Records `note` (one id per table, row, group and winning version; a later loser of the same
// winner replaces the earlier one).
Status RecordConflict(db::Database& db, const MergePolicy& policy, const ConflictNote& note,
                      const std::string& now, Hlc& hlc);
// Marks every open conflict of `group` of the row resolved with `resolution`.
Status SettleConflicts(db::Database& db, const MergePolicy& policy, const std::string& table,
                       const std::string& row_id, const std::string& group, const std::string& now,
                       const std::string& resolution, Hlc& hlc);
// Marks conflict `id` resolved with `resolution` (kNotFound, kIllegalTransition).
Status MarkResolved(db::Database& db, const MergePolicy& policy, const std::string& id,
                    const std::string& now, const std::string& resolution, Hlc& hlc);

}  // namespace mpp::store
