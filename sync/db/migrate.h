// Schema migrations as versioned data, tracked by PRAGMA user_version.
//
// Migration N (1-based, contiguous) runs inside its own BEGIN IMMEDIATE transaction together
// with `PRAGMA user_version = N`, so a crash leaves the database at N-1 or N, never between.
// A shipped migration is never edited; changes come as a new one.
#pragma once

#include <span>
#include <string_view>

#include "sync/core/result.h"
#include "sync/db/database.h"

namespace mpp::db {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The database's PRAGMA user_version.
Result<int> SchemaVersion(Database& db);

// Applies every migration newer than the database. Returns kSchemaTooNew (changing nothing)
// when the database is newer than the newest migration given, kStorage when one fails (that
// migration is rolled back; earlier ones stay).
Status Migrate(Database& db, std::span<const Migration> migrations);

}  // namespace mpp::db
