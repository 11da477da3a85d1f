#include "sync/store/change_log.h"

#include <cassert>

namespace mpp::store {
namespace {

[[maybe_unused]] bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Columns that stamp the row itself; the change record carries its own hlc instead.
bool IsStampColumn(std::string_view column) {
  return column == "hlc" || column == "created_hlc" || column == "updated_hlc";
}

Status AppendChange(db::Database& db, std::string_view table, std::string_view row_id,
                    std::string_view op, const Json& columns, const ChangeStamp& stamp) {
  Json data = Json::object();
  for (const auto& [key, value] : columns.items()) {
    if (!IsStampColumn(key)) data[key] = value;
  }
  auto stmt = db.Cached(
      "INSERT INTO change_log (hlc, origin_site, table_name, row_id, op, data) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  s->Bind(1, static_cast<int64_t>(stamp.hlc))
      .Bind(2, stamp.origin_site)
      .Bind(3, table)
      .Bind(4, row_id)
      .Bind(5, op)
      .Bind(6, data.dump());
  return s->Run();
}

}  // namespace

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

Status InsertWithChange(db::Database& db, std::string_view table, const Json& row,
                        const ChangeStamp& stamp) {
  assert(db.InTransaction() && IsIdentifier(table));
  std::string columns, params;
  for (const auto& [key, _] : row.items()) {
    assert(IsIdentifier(key));
    columns += (columns.empty() ? "" : ", ") + key;
    params += params.empty() ? "?" : ", ?";
  }
  auto stmt = db.Cached("INSERT INTO " + std::string(table) + " (" + columns + ") VALUES (" +
                        params + ")");
  if (!stmt) return stmt.error();
  {
    db::StatementRef s(*stmt);
    int i = 1;
    for (const auto& [_, value] : row.items()) BindJson(*s, i++, value);
    MPP_RETURN_IF_ERROR(s->Run());
  }
  return AppendChange(db, table, row.at("id").get<std::string>(), "insert", row, stamp);
}

Status UpdateWithChange(db::Database& db, std::string_view table, std::string_view id,
                        const Json& changes, const ChangeStamp& stamp) {
  assert(db.InTransaction() && IsIdentifier(table) && !changes.empty());
  std::string sets;
  for (const auto& [key, _] : changes.items()) {
    assert(IsIdentifier(key));
    sets += (sets.empty() ? "" : ", ") + key + " = ?";
  }
  auto stmt = db.Cached("UPDATE " + std::string(table) + " SET " + sets + " WHERE id = ?");
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
    return MakeError(Errc::kNotFound, "no " + std::string(table) + " row with id " + std::string(id));
  }
  return AppendChange(db, table, id, "update", changes, stamp);
}

}  // namespace mpp::store
