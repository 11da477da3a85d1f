#include "sync/db/migrate.h"

#include <string_view>

namespace mpp::db {

Result<int> SchemaVersion(Database& db) {
  MPP_ASSIGN_OR_RETURN(auto stmt, db.Prepare("PRAGMA user_version"));
  MPP_RETURN_IF_ERROR(stmt->Step());
  return static_cast<int>(stmt->ColumnInt(0));
}

namespace {

Status ApplyOne(Database& db, const Migration& m, bool check_foreign_keys) {
  Transaction tx(db);
  MPP_RETURN_IF_ERROR(tx.status());
  Status s = db.Exec(m.sql);
  if (s && check_foreign_keys) {
    MPP_ASSIGN_OR_RETURN(const int64_t broken,
                         db.QueryInt("SELECT COUNT(*) FROM pragma_foreign_key_check"));
    if (broken > 0) {
      s = MakeError(Errc::kStorage, std::to_string(broken) + " rows break a foreign key");
    }
  }
  if (!s) {
    return MakeError(Errc::kStorage, "migration " + std::to_string(m.version) + " (" +
                                         std::string(m.name) + ") failed: " + s.error().message);
  }
  MPP_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(m.version)));
  return tx.Commit();
}

}  // namespace

Status Migrate(Database& db, std::span<const Migration> migrations) {
  MPP_ASSIGN_OR_RETURN(auto current, SchemaVersion(db));
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return MakeError(Errc::kSchemaTooNew,
                     db.path() + " has schema version " + std::to_string(current) +
                         " but this program knows only up to " + std::to_string(latest) +
                         "; install the newer mppsync release that wrote it");
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    // A migration that rebuilds a table runs with foreign keys off (SQLite's documented way),
    // and they are checked before it commits.
    const bool fk_off = std::string_view(m.sql).starts_with("-- mpp:foreign_keys=off");
    if (fk_off) MPP_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=OFF"));
    Status s = ApplyOne(db, m, fk_off);
    if (fk_off) MPP_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys=ON"));
    MPP_RETURN_IF_ERROR(s);
  }
  return {};
}

}  // namespace mpp::db
