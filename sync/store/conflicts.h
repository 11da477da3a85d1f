// Reading and resolving recorded conflicts (table `conflicts`), shared by site and centre.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "sync/core/json.h"
#include "sync/core/merge.h"
#include "sync/db/database.h"

namespace mpp::store {

// {"items":[{id, table, row_id, column, winner:{value,hlc,origin}, loser:{...}, status,
// detected_at, resolved_at, resolution}]}, newest first; `status` filters (open|resolved).
Result<Json> ListConflicts(db::Database& db, const std::optional<std::string>& status);

struct Resolution {
  std::string table;
  std::string row_id;
  std::string group;
  Json columns;  // column → value to write
};

// Reads conflict `id` and a resolution body {"keep":"winner"|"loser"} or {"value": <value>}
// (a scalar, or an object of the group's columns) into the columns to write. kNotFound,
// kIllegalTransition when already resolved, kInvalidValue/kMissingField for a bad body.
Result<Resolution> PlanResolution(db::Database& db, const MergePolicy& policy,
                                  const std::string& id, const Json& body);

Status MarkResolved(db::Database& db, const std::string& id, const std::string& now,
                    const std::string& how);

// Resolves conflict `id` in one transaction: plans it from `body`, lets `write` set the
// columns through the caller's own kind of edit (so the resolution syncs like any other
// change), and marks the conflict resolved with `how`. Errors as PlanResolution, or write's.
Result<Json> ResolveConflict(db::Database& db, const MergePolicy& policy, const std::string& id,
                             const Json& body, const std::string& now, const std::string& how,
                             const std::function<Status(const Resolution&)>& write);

}  // namespace mpp::store
