// Row writes that carry their change record: the only way the store modifies synced tables.
//
// Each call writes the row and appends one change_log entry (hlc, origin site, table, row id,
// op, the columns written as JSON) on the same connection. Callers hold a db::Transaction,
// so the row and its change commit together or not at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/hlc.h"
#include "sync/core/json.h"
#include "sync/core/merge.h"
#include "sync/core/result.h"
#include "sync/db/database.h"

namespace mpp::store {

struct ChangeStamp {
  HlcStamp hlc;
  std::string_view origin_site;
  // At the centre: the site whose rows this change concerns ('*' for reference data), so
  // that site pulls it. Empty at a site, whose log is its outbox.
  std::optional<std::string> audience = std::nullopt;
};

// INSERT INTO `table` the columns of `row` (an object whose keys are column names, including
// the table's key, without the stamp columns: they are set from `stamp`), record the row's
// version, and append an 'insert' change. kDuplicate when the key exists; kInvalidValue on a
// CHECK or foreign-key failure; kStorage otherwise.
Status InsertWithChange(db::Database& db, const MergePolicy& policy, std::string_view table,
                        const Json& row, const ChangeStamp& stamp);

// UPDATE `table` SET the columns of `changes` (and updated_hlc, if the table has it, to
// `stamp`) WHERE key = `id`, move the versions of the columns written, and append an 'update'
// change holding just those columns and the versions they overwrote (its base). kNotFound when no
// row has that key. kInternal, and nothing written, when `stamp` is not above a version it
// overwrites: every other replica would then keep the old value while this one keeps the new (the
// caller's clock did not observe it).
Status UpdateWithChange(db::Database& db, const MergePolicy& policy, std::string_view table,
                        std::string_view id, const Json& changes, const ChangeStamp& stamp);

struct LogPage {
  std::vector<Change> changes;
  size_t bytes = 0;   // their JSON size, about
  bool more = false;  // the page stopped at max_bytes or max_changes
};

// Reads change_log entries after `after_seq`, in seq order, about `max_bytes` of JSON (always
// at least one entry when there is one) and at most `max_changes`. With `audience`, only the
// entries for that site or for all ('*'): the centre's feed. kStorage on a corrupt entry.
Result<LogPage> ReadChangeLog(db::Database& db, int64_t after_seq,
                              const std::optional<std::string>& audience, size_t max_bytes,
                              size_t max_changes = kMaxBatchChanges);

// Stamps received from other replicas are persisted as a high-water mark in the same
// transaction as the changes that carry them, so a restarted replica's clock starts above
// every stamp it holds, its own (change_log) and the ones it merged (row versions).
Status RecordSeenStamp(db::Database& db, HlcStamp stamp);
Result<HlcStamp> HighestPersistedStamp(db::Database& db);

}  // namespace mpp::store
