#include "sync/db/migrate.h"

namespace mpp::db {

Result<int> SchemaVersion(Database& db) {
  MPP_ASSIGN_OR_RETURN(auto stmt, db.Prepare("PRAGMA user_version"));
  MPP_RETURN_IF_ERROR(stmt->Step());
  return static_cast<int>(stmt->ColumnInt(0));
}

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
    Transaction tx(db);
    MPP_RETURN_IF_ERROR(tx.status());
    Status s = db.Exec(m.sql);
    if (!s) {
      return MakeError(Errc::kStorage, "migration " + std::to_string(m.version) + " (" +
                                           std::string(m.name) + ") failed: " + s.error().message);
    }
    MPP_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(m.version)));
    MPP_RETURN_IF_ERROR(tx.Commit());
  }
  return {};
}

}  // namespace mpp::db
