// The per-row column versions kept in row_versions (schema 0003), shared by local writes and
// by the merge that applies remote changes.
#pragma once

#include <string>
#include <string_view>

#include "sync/core/change.h"
#include "sync/core/merge.h"
#include "sync/db/database.h"

namespace mpp::store {

struct RowVersions {
  bool stored = false;  // a row_versions row exists
  HlcStamp hlc = 0;     // the insert's version: every group not in `cols`
  std::string origin;
  Json cols = Json::object();  // group → [hlc, origin, rank]

  // The version of `group`; `current_rank` is the rank of the row's current value of it.
  Version Get(const std::string& group, int current_rank) const;
  void Set(const std::string& group, const Version& v);
};

// Rows that predate schema 3 (or reference rows shipped in a migration) have none stored:
// they read as version {rank, 0, ""}, older than any write.
Result<RowVersions> LoadVersions(db::Database& db, std::string_view table, std::string_view row_id);
Status SaveVersions(db::Database& db, std::string_view table, std::string_view row_id,
                    const RowVersions& v);

// Fills each table's `columns` from the database (PRAGMA table_info): the only column names
// ever written into SQL from a change.
Status LoadPolicyColumns(db::Database& db, MergePolicy& policy);
// The policy of schema/merge_rules.json with columns from `db`.
Result<MergePolicy> LoadMergePolicy(db::Database& db);

}  // namespace mpp::store
