// SiteStore: the sync side (outbox, acknowledgements, pulled changes, digest, conflicts).
#include <cstdlib>
#include <map>

#include "sync/core/time_util.h"
#include "sync/store/change_log.h"
#include "sync/store/conflicts.h"
#include "sync/store/digest.h"
#include "sync/store/site_store.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

Status RunSql(db::Database& db, const std::string& sql, int64_t value) {
  auto stmt = db.Cached(sql);
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  s->Bind(1, value);
  return s->Run();
}

}  // namespace

Result<SiteStore::Outbox> SiteStore::ReadOutbox(int64_t after_seq, size_t max_bytes) {
  std::lock_guard lock(mu_);
  auto page = ReadChangeLog(*db_, after_seq, std::nullopt, max_bytes);
  if (!page) return page.error();
  return Outbox{std::move(page->changes), page->bytes};
}

Result<int64_t> SiteStore::AckedSeq() {
  std::lock_guard lock(mu_);
  return db_->QueryInt("SELECT acked_seq FROM sync_state WHERE peer = 'central'");
}

Status SiteStore::MarkAcked(int64_t seq) {
  std::lock_guard lock(mu_);
  return RunSql(*db_, "UPDATE sync_state SET acked_seq = max(acked_seq, ?) WHERE peer = 'central'",
                seq);
}

Status SiteStore::ResetAcked(int64_t seq) {
  std::lock_guard lock(mu_);
  return RunSql(*db_, "UPDATE sync_state SET acked_seq = ? WHERE peer = 'central'", seq);
}

Result<int64_t> SiteStore::PullCursor() {
  std::lock_guard lock(mu_);
  return db_->QueryInt(
      "SELECT CAST(COALESCE(NULLIF(pull_cursor, ''), '0') AS INTEGER) FROM sync_state "
      "WHERE peer = 'central'");
}

Result<ApplyStats> SiteStore::ApplyPulled(const std::vector<Change>& changes, int64_t next_cursor) {
  std::lock_guard lock(mu_);
  db::Transaction tx(*db_);
  if (!tx.status()) return tx.status().error();
  ApplyStats stats;
  const std::string now = NowUtc();
  HlcStamp seen = 0;
  for (const Change& c : changes) {
    if (c.origin != kCentreOrigin) {
      return MakeError(Errc::kForbiddenRow, "a pulled change must come from the centre");
    }
    MPP_RETURN_IF_ERROR(ApplyChange(*db_, policy_, c, now, stats));
    // Our later stamps order after what we have seen, even when our own clock is still off
    // (the centre's clock is the reference, so no drift bound here), and after a restart.
    hlc_.Observe(c.hlc);
    seen = std::max(seen, c.hlc);
  }
  if (seen) MPP_RETURN_IF_ERROR(RecordSeenStamp(*db_, seen));
  MPP_RETURN_IF_ERROR(
      RunSql(*db_, "UPDATE sync_state SET pull_cursor = CAST(? AS TEXT) WHERE peer = 'central'",
             next_cursor));
  MPP_RETURN_IF_ERROR(tx.Commit());
  return stats;
}

Result<Json> SiteStore::Digest() {
  std::lock_guard lock(mu_);
  return ComputeDigest(*db_, policy_, site_code_);
}

Result<Json> SiteStore::ListConflicts(const std::optional<std::string>& status) {
  std::lock_guard lock(mu_);
  return store::ListConflicts(*db_, status);
}

Result<Json> SiteStore::ResolveConflict(const std::string& id, const Json& body) {
  std::lock_guard lock(mu_);
  return store::ResolveConflict(
      *db_, policy_, id, body, NowUtc(), "resolved by hand at " + site_code_,
      [&](const Resolution& plan) -> Status {
        const HlcStamp t = hlc_.Now();
        Json cols = plan.columns;
        const TablePolicy* tp = policy_.Find(plan.table);
        if (tp && tp->columns.count("updated_hlc")) cols["updated_hlc"] = static_cast<int64_t>(t);
        return UpdateWithChange(*db_, policy_, plan.table, plan.row_id, cols, {t, site_code_});
      });
}

Result<int64_t> SiteStore::RestampFutureChanges(HlcStamp limit) {
  std::lock_guard lock(mu_);
  db::Transaction tx(*db_);
  if (!tx.status()) return tx.status().error();
  auto acked = db_->QueryInt("SELECT acked_seq FROM sync_state WHERE peer = 'central'");
  if (!acked) return acked.error();
  // The clock restarts from the largest stamp below the limit, never below a stamp the
  // centre already holds (an acknowledged change: stamps must stay unique) nor one pulled
  // from it (a restamped edit must still follow what it overwrote).
  auto floor = db_->Cached(
      "SELECT MAX((SELECT COALESCE(MAX(hlc), 0) FROM change_log WHERE hlc <= ?1), "
      "(SELECT COALESCE(MAX(hlc), 0) FROM change_log WHERE seq <= ?2), "
      "(SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'hlc_seen'))");
  if (!floor) return floor.error();
  {
    db::StatementRef s(*floor);
    s->Bind(1, static_cast<int64_t>(limit)).Bind(2, *acked);
    auto r = s->Step();
    if (!r) return r.error();
    hlc_.ResetTo(static_cast<HlcStamp>(s->ColumnInt(0)));
  }
  struct Row {
    int64_t seq;
    HlcStamp hlc;
    std::string table, row_id, base;
  };
  std::vector<Row> rows;
  {
    auto stmt = db_->Cached(
        "SELECT seq, hlc, table_name, row_id, COALESCE(base, '') FROM change_log "
        "WHERE seq > ? AND hlc > ? ORDER BY seq");
    if (!stmt) return stmt.error();
    db::StatementRef s(*stmt);
    s->Bind(1, *acked).Bind(2, static_cast<int64_t>(limit));
    for (;;) {
      auto r = s->Step();
      if (!r) return r.error();
      if (!*r) break;
      rows.push_back({s->ColumnInt(0), static_cast<HlcStamp>(s->ColumnInt(1)), s->ColumnText(2),
                      s->ColumnText(3), s->ColumnText(4)});
    }
  }
  std::map<HlcStamp, HlcStamp> renamed;
  auto rename = [&](Json& pair) {  // [hlc, origin] naming one of ours
    if (pair.is_array() && pair.size() >= 2 && pair[1] == site_code_) {
      auto it = renamed.find(pair[0].get<HlcStamp>());
      if (it != renamed.end()) pair[0] = it->second;
    }
  };
  for (const Row& row : rows) {
    HlcStamp fresh = renamed.count(row.hlc) ? renamed[row.hlc] : hlc_.Now();
    renamed[row.hlc] = fresh;
    Json base = row.base.empty() ? Json::object() : Json::parse(row.base);
    for (auto& [_, v] : base.items()) rename(v);
    auto upd = db_->Cached("UPDATE change_log SET hlc = ?, base = ? WHERE seq = ?");
    if (!upd) return upd.error();
    {
      db::StatementRef s(*upd);
      s->Bind(1, static_cast<int64_t>(fresh));
      if (base.empty()) {
        s->BindNull(2);
      } else {
        s->Bind(2, base.dump());
      }
      s->Bind(3, row.seq);
      MPP_RETURN_IF_ERROR(s->Run());
    }
    auto versions = LoadVersions(*db_, row.table, row.row_id);
    if (!versions) return versions.error();
    if (versions->stored) {
      if (versions->origin == site_code_ && renamed.count(versions->hlc)) {
        versions->hlc = renamed[versions->hlc];
        auto fix =
            db_->Cached("UPDATE row_versions SET hlc = ? WHERE table_name = ? AND row_id = ?");
        if (!fix) return fix.error();
        db::StatementRef s(*fix);
        s->Bind(1, static_cast<int64_t>(versions->hlc)).Bind(2, row.table).Bind(3, row.row_id);
        MPP_RETURN_IF_ERROR(s->Run());
      }
      for (auto& [_, v] : versions->cols.items()) rename(v);
      MPP_RETURN_IF_ERROR(SaveVersions(*db_, row.table, row.row_id, *versions));
    }
    // The rows' own hlc columns are local bookkeeping (never replicated, never merged on) and
    // append-only rows cannot change: they keep the old stamps.
  }
  MPP_RETURN_IF_ERROR(tx.Commit());
  return static_cast<int64_t>(rows.size());
}

Status SiteStore::SetClockOffset(int64_t offset_ms) {
  std::lock_guard lock(mu_);
  auto stmt = db_->Cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset_ms', ?)");
  if (!stmt) return stmt.error();
  db::StatementRef s(*stmt);
  s->Bind(1, std::to_string(offset_ms));
  MPP_RETURN_IF_ERROR(s->Run());
  stamp_clock_.SetOffset(offset_ms);
  return {};
}

}  // namespace mpp::store
