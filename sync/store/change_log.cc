#include "sync/store/change_log.h"

#include <cassert>

#include "sync/store/versions.h"

namespace mpp::store {
namespace {

[[maybe_unused]] bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status AppendChange(db::Database& db, std::string_view table, std::string_view row_id,
                    std::string_view op, const Json& columns, const Json& base,
                    const ChangeStamp& stamp) {
  Json data = Json::object();
  for (const auto& [key, value] : columns.items()) {
    if (!IsStampColumn(key)) data[key] = value;
  }
  auto stmt = db.Cached(
      "INSERT INTO change_log (hlc, origin_site, table_name, row_id, op, data, base, audience) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
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
  auto stmt = db.Cached(audience ? columns + "WHERE seq > ?1 AND audience IN ('*', ?2) ORDER BY seq"
                                 : columns + "WHERE seq > ?1 ORDER BY seq");
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  s->Bind(1, after_seq);
  if (audience) s->Bind(2, *audience);
  LogPage page;
  for (;;) {
    auto r = s->Step();
    if (!r) return r.error();
    if (!*r) break;
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
    auto parsed = ParseJson(data);
    if (!parsed)
      return MakeError(Errc::kStorage,
                       "change_log.data of seq " + std::to_string(c.seq) + " is not JSON");
    c.data = std::move(parsed).value();
    if (!s->ColumnIsNull(7)) {
      auto base = ParseJson(s->ColumnText(7));
      if (!base)
        return MakeError(Errc::kStorage,
                         "change_log.base of seq " + std::to_string(c.seq) + " is not JSON");
      c.base = std::move(base).value();
    }
    page.bytes += size;
    page.changes.push_back(std::move(c));
  }
  return page;
}

void BindJson(db::Statement& stmt, int index, const Json& value) {
  if (value.is_null()) {
    stmt.BindNull(index);
  } else if (value.is_number_integer()) {
    stmt.Bind(index, value.get<int64_t>());
  } else if (value.is_number_float()) {
    stmt.Bind(index, value.get<double>());
  } else if (value.is_boolean()) {
    stmt.Bind(index, int64_t{value.get<bool>() ? 1 : 0});
  } else if (value.is_string()) {
    stmt.Bind(index, value.get_ref<const std::string&>());
  } else {
    stmt.Bind(index, value.dump());
  }
}

Status InsertWithChange(db::Database& db, const MergePolicy& policy, std::string_view table,
                        const Json& row, const ChangeStamp& stamp) {
  assert(db.InTransaction() && IsIdentifier(table));
  std::string columns, params;
  for (const auto& [key, _] : row.items()) {
    assert(IsIdentifier(key));
    columns += (columns.empty() ? "" : ", ") + key;
    params += params.empty() ? "?" : ", ?";
  }
  auto stmt =
      db.Cached("INSERT INTO " + std::string(table) + " (" + columns + ") VALUES (" + params + ")");
  if (!stmt) return stmt.error();
  {
    db::StatementRef s(*stmt);
    int i = 1;
    for (const auto& [_, value] : row.items()) BindJson(*s, i++, value);
    MPP_RETURN_IF_ERROR(s->Run());
  }
  const TablePolicy* t = policy.Find(table);
  assert(t);
  const std::string id = row.at(t->key).get<std::string>();
  RowVersions v;
  v.hlc = stamp.hlc;
  v.origin = std::string(stamp.origin_site);
  MPP_RETURN_IF_ERROR(SaveVersions(db, table, id, v));
  return AppendChange(db, table, id, "insert", row, Json::object(), stamp);
}

Status UpdateWithChange(db::Database& db, const MergePolicy& policy, std::string_view table,
                        std::string_view id, const Json& changes, const ChangeStamp& stamp) {
  assert(db.InTransaction() && IsIdentifier(table) && !changes.empty());
  const TablePolicy* t = policy.Find(table);
  assert(t);
  // The versions this write overwrites become its base; it becomes the new version.
  auto versions = LoadVersions(db, table, id);
  if (!versions) return versions.error();
  int current_rank = 0;
  if (!t->state_machine_group.empty()) {
    auto st = db.Cached("SELECT " + t->state_machine_group + " FROM " + std::string(table) +
                        " WHERE " + t->key + " = ?");
    if (!st) return st.error();
    db::StatementRef s(*st);
    s->Bind(1, id);
    auto r = s->Step();
    if (!r) return r.error();
    if (*r) current_rank = t->RankOf(t->state_machine_group, Json(s->ColumnText(0)));
  }
  Json base = Json::object();
  for (const auto& [col, value] : changes.items()) {
    if (IsStampColumn(col)) continue;
    const std::string group = t->GroupOf(col);
    if (base.contains(group)) continue;
    const int rank_before = group == t->state_machine_group ? current_rank : 0;
    const Version before = versions->Get(group, rank_before);
    if (stamp.hlc <= before.hlc) {
      return MakeError(Errc::kInternal, std::string(table) + " " + std::string(id) +
                                            ": the new stamp is not after the version of " + group +
                                            " it overwrites (clock error)");
    }
    base[group] = Json::array({before.hlc, before.origin});
    const int rank_after = t->RankOf(group, changes);
    if (group == t->state_machine_group && rank_after < rank_before) {
      // The merge orders a state machine by rank first, so a step back could never win
      // elsewhere: refuse it here rather than let replicas diverge.
      return MakeError(Errc::kIllegalTransition, std::string(table) + " " + std::string(id) + ": " +
                                                     group +
                                                     " cannot move back to an earlier stage");
    }
    versions->Set(group, Version{rank_after, stamp.hlc, std::string(stamp.origin_site)});
  }
  if (!versions->stored) {  // a row from before schema 3: its insert reads as version 0
    versions->origin = "";
    versions->hlc = 0;
  }
  std::string sets;
  for (const auto& [key, _] : changes.items()) {
    assert(IsIdentifier(key));
    sets += (sets.empty() ? "" : ", ") + key + " = ?";
  }
  auto stmt =
      db.Cached("UPDATE " + std::string(table) + " SET " + sets + " WHERE " + t->key + " = ?");
  if (!stmt) return stmt.error();
  {
    db::StatementRef s(*stmt);
    int i = 1;
    for (const auto& [_, value] : changes.items()) BindJson(*s, i++, value);
    s->Bind(i, id);
    MPP_RETURN_IF_ERROR(s->Run());
  }
  auto count = db.Cached("SELECT changes()");
  if (!count) return count.error();
  db::StatementRef c(*count);
  auto row = c->Step();
  if (!row) return row.error();
  if (c->ColumnInt(0) == 0) {
    return MakeError(Errc::kNotFound,
                     "no " + std::string(table) + " row with id " + std::string(id));
  }
  MPP_RETURN_IF_ERROR(SaveVersions(db, table, id, *versions));
  return AppendChange(db, table, id, "update", changes, base, stamp);
}

Status RecordSeenStamp(db::Database& db, HlcStamp stamp) {
  auto s = db.Cached(
      "INSERT INTO meta (key, value) VALUES ('hlc_seen', CAST(?1 AS TEXT)) "
      "ON CONFLICT (key) DO UPDATE SET value = CAST(?1 AS TEXT) "
      "WHERE CAST(value AS INTEGER) < ?1");
  if (!s) return s.error();
  db::StatementRef r(*s);
  r->Bind(1, static_cast<int64_t>(stamp));
  return r->Run();
}

Result<HlcStamp> HighestPersistedStamp(db::Database& db) {
  auto v = db.QueryInt(
      "SELECT MAX((SELECT COALESCE(MAX(hlc), 0) FROM change_log), "
      "(SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'hlc_seen'))");
  if (!v) return v.error();
  return static_cast<HlcStamp>(*v);
}

}  // namespace mpp::store
