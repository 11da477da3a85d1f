// Rows of the replicated tables as JSON objects, and the one place that turns such an object
// into SQL. Column names come from the merge policy (PRAGMA table_info), never from a peer,
// so they are the only names pasted into SQL; values are always bound.
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>

#include "sync/core/hlc.h"
#include "sync/core/json.h"
#include "sync/core/merge.h"
#include "sync/core/result.h"
#include "sync/db/database.h"

namespace mpp::store {

// The columns that stamp a row itself: local bookkeeping, set from the stamp of the change
// that wrote the row, never replicated, never merged on, never shown to a client.
inline constexpr std::array<std::string_view, 3> kStampColumns = {"hlc", "created_hlc",
                                                                  "updated_hlc"};
bool IsStampColumn(std::string_view column);
// Sets the stamp columns `table` has to `stamp`: all of them for a new row, only
// updated_hlc for an update.
void SetStampColumns(const TablePolicy& table, Json& row, HlcStamp stamp, bool new_row);

// Binds a JSON scalar (string, integer, real, boolean as 0/1, null) to parameter `index`;
// an array or object is bound as its JSON text.
void BindJson(db::Statement& stmt, int index, const Json& value);
// The current row of `s`, every column but the stamp columns.
Json RowToJson(const db::Statement& s);
// Every row `sql` returns with `params` bound in order, as RowToJson objects.
Result<Json> QueryAll(db::Database& db, const std::string& sql,
                      std::initializer_list<std::string_view> params = {});
// JSON this replica stored itself (change data, versions, conflict values); kStorage naming
// `what` when it does not parse: the file was damaged.
Result<Json> ParseStoredJson(std::string_view text, std::string_view what);
// Every column of the row of `table` whose key is `id`, stamps included; null when absent.
Result<Json> LoadRow(db::Database& db, const TablePolicy& table, std::string_view id);

// INSERT INTO `table` the columns of `row` (column → value). kDuplicate when the key exists,
// kInvalidValue on a CHECK or foreign-key failure, kStorage otherwise.
Status InsertRow(db::Database& db, std::string_view table, const Json& row);
// UPDATE `table` SET the columns of `sets` WHERE `key_column` = `id`. kNotFound when no row
// has that key; errors as InsertRow.
Status UpdateRow(db::Database& db, std::string_view table, std::string_view key_column,
                 std::string_view id, const Json& sets);

}  // namespace mpp::store
