#include "sync/store/change_log.h"

#include <cassert>

#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

Status AppendChange(db::Database& db, std::string_view table, std::string_view row_id,
                    std::string_view op, const Json& columns, const Json& base,
                    const ChangeStamp& stamp) {
  Json data = Json::object();
  for (const auto& [key, value] : columns.items()) {
    if (!IsStampColumn(key)) data[key] = value;
  }
  MPP_ASSIGN_OR_RETURN(
      db::Statement * stmt,
      db.Cached("INSERT INTO change_log (hlc, origin_site, table_name, row_id, op, data, base, "
                "audience) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  db::StatementRef s(stmt);
  s->Bind(1, static_cast<int64_t>(stamp.hlc))
      .Bind(2, stamp.origin_site)
      .Bind(3, table)
      .Bind(4, row_id)
      .Bind(5, op)
      .Bind(6, data.dump());
  if (base.empty()) {
    s->BindNull(7);
  } else {
    s->Bind(7, base.dump());
  }
  s->Bind(8, stamp.audience);
  return s->Run();
}

}  // namespace

Result<LogPage> ReadChangeLog(db::Database& db, int64_t after_seq,
                              const std::optional<std::string>& audience, size_t max_bytes,
                              size_t max_changes) {
  const std::string columns =
      "SELECT seq, hlc, origin_site, table_name, row_id, op, data, base FROM change_log ";
  MPP_ASSIGN_OR_RETURN(
      db::Statement * stmt,
      db.Cached(audience ? columns + "WHERE seq > ?1 AND audience IN ('*', ?2) ORDER BY seq"
                         : columns + "WHERE seq > ?1 ORDER BY seq"));
  db::StatementRef s(stmt);
  s->Bind(1, after_seq);
  if (audience) s->Bind(2, *audience);
  LogPage page;
  for (;;) {
    MPP_ASSIGN_OR_RETURN(const bool more, s->Step());
    if (!more) break;
    const std::string data = s->ColumnText(6);
    const size_t size = data.size() + 96;
    if (!page.changes.empty() &&
        (page.bytes + size > max_bytes || page.changes.size() >= max_changes)) {
      page.more = true;
      break;
    }
    Change c;
    c.seq = s->ColumnInt(0);
    c.hlc = static_cast<HlcStamp>(s->ColumnInt(1));
    c.origin = s->ColumnText(2);
    c.table = s->ColumnText(3);
    c.row_id = s->ColumnText(4);
    c.op = s->ColumnText(5);
    MPP_ASSIGN_OR_RETURN(c.data,
                         ParseStoredJson(data, "change_log.data of seq " + std::to_string(c.seq)));
    if (!s->ColumnIsNull(7)) {
      MPP_ASSIGN_OR_RETURN(c.base, ParseStoredJson(s->ColumnText(7), "change_log.base of seq " +
                                                                         std::to_string(c.seq)));
    }
    page.bytes += size;
    page.changes.push_back(std::move(c));
  }
  return page;
}

Status InsertWithChange(db::Database& db, const MergePolicy& policy, std::string_view table,
                        const Json& row, const ChangeStamp& stamp) {
  assert(db.InTransaction());
  const TablePolicy* t = policy.Find(table);
  assert(t);
  MPP_RETURN_IF_ERROR(CheckRow(db, table, row, /*whole=*/true, row.value("site_code", "")));
  Json stamped = row;
  SetStampColumns(*t, stamped, stamp.hlc, /*new_row=*/true);
  MPP_RETURN_IF_ERROR(InsertRow(db, table, stamped));
  const std::string id = row.at(t->key).get<std::string>();
  RowVersions v;
  v.hlc = stamp.hlc;
  v.origin = std::string(stamp.origin_site);
  MPP_RETURN_IF_ERROR(SaveVersions(db, table, id, v));
  return AppendChange(db, table, id, "insert", row, Json::object(), stamp);
}

Status UpdateWithChange(db::Database& db, const MergePolicy& policy, std::string_view table,
                        std::string_view id, const Json& changes, const ChangeStamp& stamp) {
  assert(db.InTransaction() && !changes.empty());
  const TablePolicy* t = policy.Find(table);
  assert(t);
  // The versions this write overwrites become its base; it becomes the new version.
  MPP_ASSIGN_OR_RETURN(RowVersions versions, LoadVersions(db, table, id));
  MPP_ASSIGN_OR_RETURN(const Json row, LoadRow(db, *t, id));
  if (row.is_null()) {
    return MakeError(Errc::kNotFound,
                     "no " + std::string(table) + " row with id " + std::string(id));
  }
  const int current_rank =
      t->state_machine_group.empty() ? 0 : t->RankOf(t->state_machine_group, row);
  // A group is written whole: a column of it the writer left out keeps its value, and the
  // change carries it, so every replica that takes the group takes all of it.
  Json whole = changes;
  for (const auto& [col, value] : changes.items()) {
    if (IsStampColumn(col)) continue;
    for (const std::string& c : t->ColumnsOf(t->GroupOf(col))) {
      if (!whole.contains(c)) whole[c] = row.value(c, Json(nullptr));
    }
  }
  MPP_RETURN_IF_ERROR(CheckRow(db, table, whole, /*whole=*/false, row.value("site_code", "")));
  Json base = Json::object();
  for (const auto& [col, value] : whole.items()) {
    if (IsStampColumn(col)) continue;
    const std::string group = t->GroupOf(col);
    if (base.contains(group)) continue;
    const int rank_before = group == t->state_machine_group ? current_rank : 0;
    const Version before = versions.Get(group, rank_before);
    if (stamp.hlc <= before.hlc) {
      return MakeError(Errc::kInternal, std::string(table) + " " + std::string(id) +
                                            ": the new stamp is not after the version of " + group +
                                            " it overwrites (clock error)");
    }
    base[group] = Json::array({before.hlc, before.origin});
    const int rank_after = t->RankOf(group, whole);
    if (group == t->state_machine_group && rank_after < rank_before) {
      // The merge orders a state machine by rank first, so a step back could never win
      // elsewhere: refuse it here rather than let replicas diverge.
      return MakeError(Errc::kIllegalTransition, std::string(table) + " " + std::string(id) + ": " +
                                                     group +
                                                     " cannot move back to an earlier stage");
    }
    versions.Set(group, Version{rank_after, stamp.hlc, std::string(stamp.origin_site)});
  }
  if (!versions.stored) {  // a row from before schema 3: its insert reads as version 0
    versions.origin = "";
    versions.hlc = 0;
  }
  Json stamped = whole;
  SetStampColumns(*t, stamped, stamp.hlc, /*new_row=*/false);
  MPP_RETURN_IF_ERROR(UpdateRow(db, table, t->key, id, stamped));
  MPP_RETURN_IF_ERROR(SaveVersions(db, table, id, versions));
  return AppendChange(db, table, id, "update", whole, base, stamp);
}

Status RecordSeenStamp(db::Database& db, HlcStamp stamp) {
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt,
                       db.Cached("INSERT INTO meta (key, value) VALUES ('hlc_seen', CAST(?1 AS "
                                 "TEXT)) ON CONFLICT (key) DO UPDATE SET value = CAST(?1 AS TEXT) "
                                 "WHERE CAST(value AS INTEGER) < ?1"));
  db::StatementRef s(stmt);
  s->Bind(1, static_cast<int64_t>(stamp));
  return s->Run();
}

Result<HlcStamp> HighestPersistedStamp(db::Database& db) {
  MPP_ASSIGN_OR_RETURN(
      const int64_t v,
      db.QueryInt("SELECT MAX((SELECT COALESCE(MAX(hlc), 0) FROM change_log), "
                  "(SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM meta WHERE key = "
                  "'hlc_seen'))"));
  return static_cast<HlcStamp>(v);
}

}  // namespace mpp::store
