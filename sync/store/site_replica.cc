// The SQLite SiteReplica: the sync side of a site's database (site_replica.h).
#include "sync/store/site_replica.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "sync/core/time_util.h"
#include "sync/store/change_log.h"
#include "sync/store/digest.h"
#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "sync/store/site_state.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

constexpr int64_t kSyncHistoryKept = 1000;

Status RunSql(db::Database& db, const std::string& sql, int64_t value) {
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt, db.Cached(sql));
  db::StatementRef s(stmt);
  s->Bind(1, value);
  return s->Run();
}

// Writes `c` into this site's log under `seq` (recovery: the number the centre knows it by).
Status InsertLogEntry(db::Database& db, int64_t seq, const Change& c) {
  MPP_ASSIGN_OR_RETURN(db::Statement * stmt,
                       db.Cached("INSERT INTO change_log (seq, hlc, origin_site, table_name, "
                                 "row_id, op, data, base) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  db::StatementRef s(stmt);
  s->Bind(1, seq).Bind(2, static_cast<int64_t>(c.hlc)).Bind(3, c.origin).Bind(4, c.table);
  s->Bind(5, c.row_id).Bind(6, c.op).Bind(7, c.data.dump());
  if (c.base.empty()) {
    s->BindNull(8);
  } else {
    s->Bind(8, c.base.dump());
  }
  return s->Run();
}

// The centre holds this site's changes in (after, upto]: the NIKs they sealed for it are no
// longer needed here, in the rows or in the outbox (sync/core/nik_seal.h).
Status DropSealedNiks(db::Database& db, int64_t after, int64_t upto) {
  const std::string in_range =
      " FROM change_log WHERE seq > ?1 AND seq <= ?2 AND table_name = 'applications' AND "
      "json_type(data, '$.nik_sealed') = 'text'";
  for (const std::string& sql :
       {"UPDATE applications SET nik_sealed = NULL WHERE nik_sealed IS NOT NULL AND id IN "
        "(SELECT row_id" +
            in_range + ")",
        "UPDATE change_log SET data = json_remove(data, '$.nik_sealed') WHERE seq IN (SELECT seq" +
            in_range + ")"}) {
    MPP_ASSIGN_OR_RETURN(db::Statement * stmt, db.Cached(sql));
    db::StatementRef s(stmt);
    s->Bind(1, after).Bind(2, upto);
    MPP_RETURN_IF_ERROR(s->Run());
  }
  return {};
}

// A change as both ends compare it: without the sealed NIK, which the centre takes and
// drops (its copy has it null) and this site drops once acknowledged (its copy has none).
Json WithoutSealedNik(Json data) {
  data.erase(std::string(kSealedNikColumn));
  return data;
}

class SqliteSiteReplica final : public SiteReplica {
 public:
  explicit SqliteSiteReplica(SiteState& state) : s_(state) {}

  const std::string& site_code() const override { return s_.site_code; }
  int64_t clock_offset_ms() const override { return s_.stamp_clock.offset(); }

  Result<Outbox> ReadOutbox(int64_t after_seq, size_t max_bytes) override {
    MutexLock lock(s_.mu);
    MPP_ASSIGN_OR_RETURN(auto page, ReadChangeLog(s_.db(), after_seq, std::nullopt, max_bytes));
    return Outbox{std::move(page.changes), page.bytes};
  }

  Result<int64_t> AckedSeq() override {
    MutexLock lock(s_.mu);
    return s_.db().QueryInt("SELECT acked_seq FROM sync_state WHERE peer = 'central'");
  }

  Status MarkAcked(int64_t seq) override {
    MutexLock lock(s_.mu);
    db::Database& db = s_.db();
    db::Transaction tx(db);
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(const int64_t acked,
                         db.QueryInt("SELECT acked_seq FROM sync_state WHERE peer = 'central'"));
    if (seq <= acked) return {};
    MPP_RETURN_IF_ERROR(DropSealedNiks(db, acked, seq));
    MPP_RETURN_IF_ERROR(
        RunSql(db, "UPDATE sync_state SET acked_seq = ? WHERE peer = 'central'", seq));
    return tx.Commit();
  }

  Status ResetAcked(int64_t seq) override {
    MutexLock lock(s_.mu);
    return RunSql(s_.db(), "UPDATE sync_state SET acked_seq = ? WHERE peer = 'central'", seq);
  }

  Result<int64_t> PullCursor() override {
    MutexLock lock(s_.mu);
    return s_.db().QueryInt(
        "SELECT CAST(COALESCE(NULLIF(pull_cursor, ''), '0') AS INTEGER) FROM sync_state "
        "WHERE peer = 'central'");
  }

  Result<ApplyStats> ApplyPulled(const std::vector<Change>& changes, int64_t next_cursor) override {
    MutexLock lock(s_.mu);
    db::Transaction tx(s_.db());
    MPP_RETURN_IF_ERROR(tx.status());
    ApplyStats stats;
    HlcStamp seen = 0;
    for (const Change& c : changes) {
      if (c.origin != kCentreOrigin) {
        return MakeError(Errc::kForbiddenRow, "a pulled change must come from the centre");
      }
      MPP_RETURN_IF_ERROR(ApplyChange(s_.db(), s_.policy, c, stats));
      if (c.table == "conflicts" && c.op == "insert") ++stats.conflicts;  // recorded for us
      // Our later stamps order after what we have seen, even when our own clock is still off
      // (the centre's clock is the reference, so no drift bound here), and after a restart.
      s_.hlc.Observe(c.hlc);
      seen = std::max(seen, c.hlc);
    }
    if (seen) MPP_RETURN_IF_ERROR(RecordSeenStamp(s_.db(), seen));
    MPP_RETURN_IF_ERROR(RunSql(
        s_.db(), "UPDATE sync_state SET pull_cursor = CAST(? AS TEXT) WHERE peer = 'central'",
        next_cursor));
    MPP_RETURN_IF_ERROR(tx.Commit());
    return stats;
  }

  Result<Json> Digest() override {
    MutexLock lock(s_.mu);
    return ComputeDigest(s_.db(), s_.policy, s_.site_code);
  }

  Result<int64_t> RestampFutureChanges(HlcStamp limit) override {
    MutexLock lock(s_.mu);
    db::Transaction tx(s_.db());
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(
        auto acked, s_.db().QueryInt("SELECT acked_seq FROM sync_state WHERE peer = 'central'"));
    // The clock restarts from the largest stamp below the limit, never below a stamp the
    // centre already holds (an acknowledged change: stamps must stay unique) nor one pulled
    // from it (a restamped edit must still follow what it overwrote).
    MPP_ASSIGN_OR_RETURN(
        auto floor,
        s_.db().Cached(
            "SELECT MAX((SELECT COALESCE(MAX(hlc), 0) FROM change_log WHERE hlc <= ?1), "
            "(SELECT COALESCE(MAX(hlc), 0) FROM change_log WHERE seq <= ?2), "
            "(SELECT COALESCE(MAX(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'hlc_seen'))"));
    {
      db::StatementRef s(floor);
      s->Bind(1, static_cast<int64_t>(limit)).Bind(2, acked);
      MPP_RETURN_IF_ERROR(s->Step());  // MAX() always returns one row
      s_.hlc.ResetTo(static_cast<HlcStamp>(s->ColumnInt(0)));
    }
    struct Row {
      int64_t seq;
      HlcStamp hlc;
      std::string table, row_id, base;
    };
    std::vector<Row> rows;
    {
      MPP_ASSIGN_OR_RETURN(
          auto stmt,
          s_.db().Cached("SELECT seq, hlc, table_name, row_id, COALESCE(base, '') FROM change_log "
                         "WHERE seq > ? AND hlc > ? ORDER BY seq"));
      db::StatementRef s(stmt);
      s->Bind(1, acked).Bind(2, static_cast<int64_t>(limit));
      for (;;) {
        MPP_ASSIGN_OR_RETURN(auto r, s->Step());
        if (!r) break;
        rows.push_back({s->ColumnInt(0), static_cast<HlcStamp>(s->ColumnInt(1)), s->ColumnText(2),
                        s->ColumnText(3), s->ColumnText(4)});
      }
    }
    std::map<HlcStamp, HlcStamp> renamed;
    auto rename = [&](Json& pair) {  // [hlc, origin] naming one of ours
      if (pair.is_array() && pair.size() >= 2 && pair[1] == s_.site_code) {
        auto it = renamed.find(pair[0].get<HlcStamp>());
        if (it != renamed.end()) pair[0] = it->second;
      }
    };
    for (const Row& row : rows) {
      HlcStamp fresh = renamed.count(row.hlc) ? renamed[row.hlc] : s_.hlc.Now();
      renamed[row.hlc] = fresh;
      Json base = Json::object();
      if (!row.base.empty()) {
        MPP_ASSIGN_OR_RETURN(base, ParseStoredJson(row.base, "change_log.base"));
      }
      for (auto& [_, v] : base.items()) rename(v);
      MPP_ASSIGN_OR_RETURN(auto upd,
                           s_.db().Cached("UPDATE change_log SET hlc = ?, base = ? WHERE seq = ?"));
      {
        db::StatementRef s(upd);
        s->Bind(1, static_cast<int64_t>(fresh));
        if (base.empty()) {
          s->BindNull(2);
        } else {
          s->Bind(2, base.dump());
        }
        s->Bind(3, row.seq);
        MPP_RETURN_IF_ERROR(s->Run());
      }
      MPP_ASSIGN_OR_RETURN(auto versions, LoadVersions(s_.db(), row.table, row.row_id));
      if (versions.stored) {
        if (versions.origin == s_.site_code && renamed.count(versions.hlc)) {
          versions.hlc = renamed[versions.hlc];
          MPP_ASSIGN_OR_RETURN(
              auto fix, s_.db().Cached(
                            "UPDATE row_versions SET hlc = ? WHERE table_name = ? AND row_id = ?"));
          db::StatementRef s(fix);
          s->Bind(1, static_cast<int64_t>(versions.hlc)).Bind(2, row.table).Bind(3, row.row_id);
          MPP_RETURN_IF_ERROR(s->Run());
        }
        for (auto& [_, v] : versions.cols.items()) rename(v);
        MPP_RETURN_IF_ERROR(SaveVersions(s_.db(), row.table, row.row_id, versions));
      }
      // The rows' own hlc columns are local bookkeeping (never replicated, never merged on) and
      // append-only rows cannot change: they keep the old stamps.
    }
    MPP_RETURN_IF_ERROR(tx.Commit());
    return static_cast<int64_t>(rows.size());
  }

  Result<Recovery> AdoptOwnChanges(const std::vector<Change>& own, int64_t centre_acked) override {
    MutexLock lock(s_.mu);
    db::Database& db = s_.db();
    db::Transaction tx(db);
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(const int64_t acked,
                         db.QueryInt("SELECT acked_seq FROM sync_state WHERE peer = 'central'"));
    // The centre's copy, by seq. Seqs it has no copy of (pushed before it kept one, schema 4)
    // are missing from `own`: a local change under such a seq is taken as the one it stored.
    std::map<int64_t, const Change*> theirs;
    int64_t last = acked;
    for (const Change& c : own) {
      if (c.seq <= last || c.seq > centre_acked) {
        return MakeError(Errc::kSequenceGap,
                         "the centre's copy of this site's changes is out of "
                         "order after seq " +
                             std::to_string(last));
      }
      if (c.origin != s_.site_code && c.origin != "") {
        return MakeError(Errc::kForbiddenRow, "the centre sent another site's change as ours");
      }
      theirs[c.seq] = &c;
      last = c.seq;
    }
    MPP_ASSIGN_OR_RETURN(LogPage local, ReadChangeLog(db, acked, std::nullopt, SIZE_MAX, SIZE_MAX));
    auto same = [](const Change& a, const Change& b) {
      return a.hlc == b.hlc && a.table == b.table && a.row_id == b.row_id && a.op == b.op &&
             WithoutSealedNik(a.data) == WithoutSealedNik(b.data);
    };
    Recovery out;
    std::vector<Change> moved;  // made here since the restore: the centre has none of them
    std::set<int64_t> kept;     // the centre's changes this disk still has, same seq
    for (const Change& c : local.changes) {
      auto it = theirs.find(c.seq);
      const bool unknown = it == theirs.end() && c.seq <= centre_acked;
      if (unknown || (it != theirs.end() && same(c, *it->second))) {
        kept.insert(c.seq);
      } else {
        moved.push_back(c);
      }
    }
    for (const Change& mine : moved) {
      MPP_RETURN_IF_ERROR(RunSql(db, "DELETE FROM change_log WHERE seq = ?", mine.seq));
    }
    ApplyStats stats;
    HlcStamp seen = 0;
    for (const Change& c : own) {
      if (kept.count(c.seq)) continue;
      Change adopted = c;
      adopted.origin = s_.site_code;
      // One the rules here refuse is logged (the centre holds it under that seq) but not
      // applied, and counted: the rest of the recovery goes on.
      MPP_RETURN_IF_ERROR(db.Exec("SAVEPOINT adopt"));
      Status applied = ApplyChange(db, s_.policy, adopted, stats);
      if (!applied &&
          (applied.error().code == Errc::kStorage || applied.error().code == Errc::kInternal)) {
        return applied.error();
      }
      if (!applied) {
        MPP_RETURN_IF_ERROR(db.Exec("ROLLBACK TO adopt"));
        ++out.refused;
      }
      MPP_RETURN_IF_ERROR(db.Exec("RELEASE adopt"));
      MPP_RETURN_IF_ERROR(InsertLogEntry(db, adopted.seq, adopted));
      s_.hlc.Observe(c.hlc);
      seen = std::max(seen, c.hlc);
      ++out.adopted;
    }
    int64_t next = centre_acked;
    for (const Change& mine : moved) {
      MPP_RETURN_IF_ERROR(InsertLogEntry(db, ++next, mine));
      ++out.renumbered;
    }
    if (seen) MPP_RETURN_IF_ERROR(RecordSeenStamp(db, seen));
    MPP_RETURN_IF_ERROR(DropSealedNiks(db, acked, centre_acked));
    MPP_RETURN_IF_ERROR(
        RunSql(db, "UPDATE sync_state SET acked_seq = ? WHERE peer = 'central'", centre_acked));
    MPP_RETURN_IF_ERROR(tx.Commit());
    return out;
  }

  Status SetClockOffset(int64_t offset_ms) override {
    MutexLock lock(s_.mu);
    MPP_ASSIGN_OR_RETURN(
        auto stmt,
        s_.db().Cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('clock_offset_ms', ?)"));
    db::StatementRef s(stmt);
    s->Bind(1, std::to_string(offset_ms));
    MPP_RETURN_IF_ERROR(s->Run());
    s_.stamp_clock.SetOffset(offset_ms);
    return {};
  }

  Result<Pending> PendingChanges() override {
    MutexLock lock(s_.mu);
    MPP_ASSIGN_OR_RETURN(
        auto rows,
        QueryAll(s_.db(),
                 "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(data)), 0) AS bytes FROM change_log "
                 "WHERE seq > (SELECT acked_seq FROM sync_state WHERE peer = 'central')"));
    return Pending{rows[0]["n"].get<int64_t>(), rows[0]["bytes"].get<int64_t>()};
  }

  Status RecordSync(const SyncRecord& r) override {
    MutexLock lock(s_.mu);
    db::Database& db = s_.db();
    db::Transaction tx(db);
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(
        db::Statement * stmt,
        db.Cached("INSERT INTO sync_history (started_at, finished_at, via, direction, outcome, "
                  "pushed, pulled, bytes_sent, bytes_received, contacted, push_complete, "
                  "pull_complete, error_code, error_message) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    db::StatementRef st(stmt);
    st->Bind(1, FormatUtc(r.started_ms)).Bind(2, FormatUtc(r.finished_ms)).Bind(3, r.via);
    st->Bind(4, r.direction).Bind(5, r.outcome).Bind(6, r.pushed).Bind(7, r.pulled);
    st->Bind(8, static_cast<int64_t>(r.bytes_sent)).Bind(9, static_cast<int64_t>(r.bytes_received));
    st->Bind(10, r.contacted ? 1 : 0).Bind(11, r.push_complete ? 1 : 0);
    st->Bind(12, r.pull_complete ? 1 : 0);
    if (r.error_code.empty()) {
      st->BindNull(13).BindNull(14);
    } else {
      st->Bind(13, r.error_code).Bind(14, r.error_message);
    }
    MPP_RETURN_IF_ERROR(st->Run());
    MPP_RETURN_IF_ERROR(
        RunSql(db, "DELETE FROM sync_history WHERE id <= (SELECT MAX(id) FROM sync_history) - ?",
               kSyncHistoryKept));
    return tx.Commit();
  }

  Result<Json> SyncHistory(int limit) override {
    MutexLock lock(s_.mu);
    MPP_ASSIGN_OR_RETURN(
        Json rows,
        QueryAll(s_.db(),
                 "SELECT * FROM (SELECT id, started_at, finished_at, via, direction, outcome, "
                 "pushed, pulled, bytes_sent, bytes_received, contacted, push_complete, "
                 "pull_complete, error_code, error_message FROM sync_history ORDER BY id DESC "
                 "LIMIT CAST(? AS INTEGER)) ORDER BY id",
                 {std::to_string(limit)}));
    for (Json& r : rows) {
      for (const char* flag : {"contacted", "push_complete", "pull_complete"}) {
        r[flag] = r[flag].get<int64_t>() != 0;
      }
      r["error"] = r["error_code"].is_null()
                       ? Json(nullptr)
                       : Json{{"code", r["error_code"]}, {"message", r["error_message"]}};
      r.erase("error_code");
      r.erase("error_message");
      r.erase("id");
    }
    return rows;
  }

 private:
  SiteState& s_;
};

}  // namespace

std::unique_ptr<SiteReplica> NewSqliteSiteReplica(SiteState& state) {
  return std::make_unique<SqliteSiteReplica>(state);
}

}  // namespace mpp::store
