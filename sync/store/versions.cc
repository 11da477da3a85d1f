#include "sync/store/versions.h"

#include "schema/migrations.h"
#include "sync/store/rows.h"

namespace mpp::store {

Version RowVersions::Get(const std::string& group, int current_rank) const {
  auto it = cols.find(group);
  if (it != cols.end()) {
    return Version{(*it)[2].get<int>(), (*it)[0].get<HlcStamp>(), (*it)[1].get<std::string>()};
  }
  return Version{current_rank, hlc, origin};
}

void RowVersions::Set(const std::string& group, const Version& v) {
  cols[group] = Json::array({v.hlc, v.origin, v.rank});
}

Result<RowVersions> LoadVersions(db::Database& db, std::string_view table,
                                 std::string_view row_id) {
  MPP_ASSIGN_OR_RETURN(
      auto stmt,
      db.Cached("SELECT hlc, origin, cols FROM row_versions WHERE table_name = ? AND row_id = ?"));
  db::StatementRef s(stmt);
  s->Bind(1, table).Bind(2, row_id);
  MPP_ASSIGN_OR_RETURN(const bool row, s->Step());
  RowVersions v;
  if (!row) return v;
  v.stored = true;
  v.hlc = static_cast<HlcStamp>(s->ColumnInt(0));
  v.origin = s->ColumnText(1);
  MPP_ASSIGN_OR_RETURN(v.cols, ParseStoredJson(s->ColumnText(2), "row_versions.cols"));
  return v;
}

Status SaveVersions(db::Database& db, std::string_view table, std::string_view row_id,
                    const RowVersions& v) {
  MPP_ASSIGN_OR_RETURN(
      auto stmt,
      db.Cached(
          "INSERT INTO row_versions (table_name, row_id, hlc, origin, cols) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (table_name, row_id) DO UPDATE SET cols = excluded.cols"));
  db::StatementRef s(stmt);
  s->Bind(1, table).Bind(2, row_id).Bind(3, static_cast<int64_t>(v.hlc)).Bind(4, v.origin);
  s->Bind(5, v.cols.dump());
  return s->Run();
}

Status LoadPolicyColumns(db::Database& db, MergePolicy& policy) {
  for (const auto& [name, _] : policy.tables()) {
    TablePolicy* t = policy.FindMutable(name);
    MPP_ASSIGN_OR_RETURN(auto stmt, db.Prepare("SELECT name FROM pragma_table_info(?)"));
    stmt->Bind(1, name);
    for (;;) {
      MPP_ASSIGN_OR_RETURN(auto r, stmt->Step());
      if (!r) break;
      t->columns.insert(stmt->ColumnText(0));
    }
    if (t->columns.empty()) {
      return MakeError(Errc::kConfig, "merge rules name table '" + name + "' the schema lacks");
    }
  }
  return {};
}

Result<MergePolicy> LoadMergePolicy(db::Database& db) {
  MPP_ASSIGN_OR_RETURN(auto policy, MergePolicy::Parse(schema::MergeRulesJson()));
  MPP_RETURN_IF_ERROR(LoadPolicyColumns(db, policy));
  return policy;
}

}  // namespace mpp::store
