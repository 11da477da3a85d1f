#include "sync/store/rows.h"

#include <algorithm>
#include <cassert>

namespace mpp::store {
namespace {

[[maybe_unused]] bool IsIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

bool IsStampColumn(std::string_view column) {
  return std::find(kStampColumns.begin(), kStampColumns.end(), column) != kStampColumns.end();
}

void SetStampColumns(const TablePolicy& table, Json& row, HlcStamp stamp, bool new_row) {
  for (std::string_view c : kStampColumns) {
    if ((new_row || c == "updated_hlc") && table.columns.count(std::string(c))) {
      row[std::string(c)] = static_cast<int64_t>(stamp);
    }
  }
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

Json RowToJson(const db::Statement& s) {
  Json row = Json::object();
  for (int i = 0; i < s.ColumnCount(); ++i) {
    std::string name = s.ColumnName(i);
    if (!IsStampColumn(name)) row[name] = s.ColumnJson(i);
  }
  return row;
}

Result<Json> QueryAll(db::Database& db, const std::string& sql,
                      std::initializer_list<std::string_view> params) {
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt, db.Cached(sql));
  db::StatementRef s(stmt);
  int i = 1;
  for (auto p : params) s->Bind(i++, p);
  Json rows = Json::array();
  for (;;) {
    MPP_ASSIGN_OR_RETURN(const bool more, s->Step());
    if (!more) break;
    rows.push_back(RowToJson(*s));
  }
  return rows;
}

Result<Json> ParseStoredJson(std::string_view text, std::string_view what) {
  auto parsed = ParseJson(text);
  if (!parsed) {
    std::string message(what);
    message += " is not JSON: the database file is damaged; run PRAGMA integrity_check";
    return MakeError(Errc::kStorage, message);
  }
  return parsed;
}

Result<Json> LoadRow(db::Database& db, const TablePolicy& t, std::string_view id) {
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt,
                       db.Cached("SELECT * FROM " + t.name + " WHERE " + t.key + " = ?"));
  db::StatementRef s(stmt);
  s->Bind(1, id);
  MPP_ASSIGN_OR_RETURN(const bool found, s->Step());
  if (!found) return Json(nullptr);
  Json row = Json::object();
  for (int i = 0; i < s->ColumnCount(); ++i) row[s->ColumnName(i)] = s->ColumnJson(i);
  return row;
}

Status InsertRow(db::Database& db, std::string_view table, const Json& row) {
  assert(IsIdentifier(table) && !row.empty());
  std::string columns, params;
  for (const auto& [key, _] : row.items()) {
    assert(IsIdentifier(key));
    if (!columns.empty()) {
      columns += ", ";
      params += ", ";
    }
    columns += key;
    params += '?';
  }
  std::string sql = "INSERT INTO ";
  sql.append(table).append(" (").append(columns).append(") VALUES (").append(params).append(")");
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt, db.Cached(sql));
  db::StatementRef s(stmt);
  int i = 1;
  for (const auto& [_, value] : row.items()) BindJson(*s, i++, value);
  return s->Run();
}

Status UpdateRow(db::Database& db, std::string_view table, std::string_view key_column,
                 std::string_view id, const Json& sets) {
  assert(IsIdentifier(table) && IsIdentifier(key_column) && !sets.empty());
  std::string sql = "UPDATE ";
  sql.append(table).append(" SET ");
  bool first = true;
  for (const auto& [key, _] : sets.items()) {
    assert(IsIdentifier(key));
    if (!first) sql += ", ";
    sql.append(key).append(" = ?");
    first = false;
  }
  sql.append(" WHERE ").append(key_column).append(" = ? RETURNING 1");
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt, db.Cached(sql));
  db::StatementRef s(stmt);
  int i = 1;
  for (const auto& [_, value] : sets.items()) BindJson(*s, i++, value);
  s->Bind(i, id);
  MPP_ASSIGN_OR_RETURN(const bool updated, s->Step());
  if (!updated) {
    std::string what = "no ";
    what.append(table).append(" row with id ").append(id);
    return MakeError(Errc::kNotFound, what);
  }
  return s->Run();
}

}  // namespace mpp::store
