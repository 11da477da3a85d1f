// The default CentralStore: one SQLite file, the same schema as a site.
#include "sync/store/central_store.h"

#include <algorithm>
#include <set>

#include "schema/migrations.h"
#include "sync/core/hlc.h"
#include "sync/core/log.h"
#include "sync/core/mutex.h"
#include "sync/core/nik.h"
#include "sync/core/time_util.h"
#include "sync/db/migrate.h"
#include "sync/store/change_log.h"
#include "sync/store/conflicts.h"
#include "sync/store/digest.h"
#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

// Open quarantine entries one site may have; beyond, its batches are refused whole until an
// operator deals with them (a broken or hostile site must not fill the centre's disk).
constexpr int64_t kMaxOpenQuarantine = 1000;

// A site's change as the centre applies it (sync/core/nik_seal.h): the NIK it sealed opened
// into the national citizen_ref, with the id of the key that made it, and dropped; one that
// no key here opens is kept in the row until a key is given (OpenPendingSealedNiks). Only
// the centre sets those columns: a site that sends them is refused.
Result<Change> OpenSealedNik(const CitizenKeys* keys, Change c) {
  if (c.table != "applications") return c;
  for (const auto& [col, value] : c.data.items()) {
    if (IsCentreDerivedColumn(col)) {  // even null: a site neither sets nor clears them
      return MakeError(Errc::kForbiddenColumn,
                       "applications." + col +
                           " is made by the centre from nik_sealed; a site "
                           "never sends it (a node older than schema 7 must be upgraded)");
    }
  }
  auto sealed = c.data.find(std::string(kSealedNikColumn));
  if (sealed == c.data.end()) return c;
  if (c.op != "insert") {  // else a site could ask the centre to open one NIK after another
    return MakeError(Errc::kForbiddenColumn,
                     "applications.nik_sealed comes once, with the application it was sealed "
                     "for; it never changes after");
  }
  if (!sealed->is_string()) return c;  // CheckRow refuses it
  auto id = SealedNikKeyId(sealed->get_ref<const std::string&>());
  if (!id) return c;  // CheckRow refuses it
  if (!keys || !keys->can_open() || !keys->has_sealing_key(*id)) {
    // Kept unopened, so never one that could be a NIK in clear, split over its parts or not.
    if (ContainsNikLikeNumber(sealed->get_ref<const std::string&>())) {
      return MakeError(Errc::kInvalidValue,
                       "applications.nik_sealed names no sealing key of this centre");
    }
    return c;  // kept in the row until the centre is given the key (OpenPendingSealedNiks)
  }
  auto ref = keys->CitizenRefOf(sealed->get_ref<const std::string&>(), c.origin, c.row_id);
  if (!ref) {
    return MakeError(Errc::kInvalidValue, "applications.nik_sealed: " + ref.error().message);
  }
  c.data.erase(sealed);
  c.data["citizen_ref"] = *ref;
  c.data["citizen_key"] = keys->citizen_key_id();
  return c;
}

// A site's change as the centre keeps it (site_log, quarantine): without the sealed NIK,
// which only the row needed, and only until it was opened. Nulled rather than left out, so
// that no change is kept with no column at all.
Change WithoutSealedNik(Change c) {
  if (auto it = c.data.find(std::string(kSealedNikColumn)); it != c.data.end()) *it = nullptr;
  return c;
}

class SqliteCentralStore final : public CentralStore {
 public:
  SqliteCentralStore(std::unique_ptr<db::Database> db, MergePolicy policy, Clock& clock,
                     std::shared_ptr<const CitizenKeys> keys)
      : db_(std::move(db)),
        policy_(std::move(policy)),
        clock_(clock),
        hlc_(clock),
        keys_(std::move(keys)) {}

  // Opens the sealed NIKs the centre kept because no key of its own opened them then.
  Result<int64_t> OpenPendingSealedNiks() {
    if (!keys_ || !keys_->can_open()) return int64_t{0};
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(
        auto pending,
        QueryAll(*db_,
                 "SELECT id, site_code, nik_sealed FROM applications WHERE nik_sealed IS NOT NULL",
                 {}));
    int64_t opened = 0;
    db::Transaction tx(*db_);
    MPP_RETURN_IF_ERROR(tx.status());
    for (const Json& row : pending) {
      auto ref =
          keys_->CitizenRefOf(row["nik_sealed"].get<std::string>(),
                              row["site_code"].get<std::string>(), row["id"].get<std::string>());
      if (!ref) continue;  // still no key for it, or it never opens: kept as it came
      MPP_ASSIGN_OR_RETURN(auto stmt, db_->Cached("UPDATE applications SET citizen_ref = ?, "
                                                  "citizen_key = ?, nik_sealed = NULL "
                                                  "WHERE id = ?"));
      db::StatementRef st(stmt);
      st->Bind(1, *ref).Bind(2, keys_->citizen_key_id()).Bind(3, row["id"].get<std::string>());
      MPP_RETURN_IF_ERROR(st->Run());
      ++opened;
    }
    MPP_RETURN_IF_ERROR(tx.Commit());
    if (static_cast<size_t>(opened) < pending.size()) {
      Log(LogLevel::kWarn, "sealed_niks_pending",
          {{"count", std::to_string(pending.size() - static_cast<size_t>(opened))},
           {"message",
            "sealed NIKs no sealing key of this centre opens: give the key (--nik-sealing-key) "
            "and restart"}});
    }
    return opened;
  }

  Status Init() {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(auto last, HighestPersistedStamp(*db_));
    hlc_.Observe(last);
    return {};
  }

  Result<PushOutcome> ApplyPush(const std::string& site, int64_t first_seq,
                                const std::vector<Change>& changes, int protocol,
                                int schema_version) override {
    // Opening sealed NIKs costs an RSA decryption each: done before the store is locked, and
    // only for a batch that will be applied as far as can be told without applying it (in
    // order from the acknowledged point, replays the same, stamps within the drift bound).
    // A batch refused anyway costs none.
    int64_t acked_before = 0;
    {
      MutexLock lock(mu_);
      MPP_ASSIGN_OR_RETURN(acked_before, AckedLocked(site));
      MPP_RETURN_IF_ERROR(CheckBatchLocked(site, first_seq, changes, acked_before));
    }
    std::vector<Result<Change>> opened;
    opened.reserve(changes.size());
    for (const Change& c : changes) {
      Change mine = c;
      mine.origin = site;  // from the certificate, never from the body
      opened.push_back(c.seq > acked_before ? OpenSealedNik(keys_.get(), std::move(mine))
                                            : Result<Change>(std::move(mine)));
    }
    MutexLock lock(mu_);
    db::Transaction tx(*db_);
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(auto acked, AckedLocked(site));
    PushOutcome out;
    out.acked_seq = acked;
    // Checked again now the store is held: another push of this site may have come between.
    MPP_RETURN_IF_ERROR(CheckBatchLocked(site, first_seq, changes, acked));
    const std::string now = FormatUtc(clock_.NowMs());
    int64_t open_quarantine = -1;  // read when the first change is set aside
    HlcStamp seen = 0;
    for (size_t i = 0; i < changes.size(); ++i) {
      const Change& c = changes[i];
      if (c.seq <= out.acked_seq) {  // redelivered: the change stored under this seq
        ++out.stats.duplicates;
        continue;
      }
      // A change stamped beyond our clock + the drift bound would win every merge for years
      // (CheckBatchLocked refuses the batch for it); only new changes count.
      MPP_RETURN_IF_ERROR(hlc_.Update(c.hlc));
      // Each change in a savepoint: a refused one leaves nothing behind and is set aside.
      MPP_RETURN_IF_ERROR(db_->Exec("SAVEPOINT change"));
      MergeNotes notes;
      Status applied = opened[i] ? ApplyChange(*db_, policy_, *opened[i], out.stats, &notes)
                                 : Status(opened[i].error());
      if (!applied && !RefusesOneChange(applied.error().code)) return applied.error();
      if (applied) MPP_RETURN_IF_ERROR(KeepConflictRecords(*opened[i], notes, now));
      if (!applied) {
        MPP_RETURN_IF_ERROR(db_->Exec("ROLLBACK TO change"));
        if (open_quarantine < 0) {
          MPP_ASSIGN_OR_RETURN(open_quarantine,
                               db_->QueryInt("SELECT COUNT(*) FROM quarantine WHERE site_code = ? "
                                             "AND status = 'open'",
                                             {site}));
        }
        if (open_quarantine >= kMaxOpenQuarantine) {
          return MakeError(Errc::kForbiddenRow,
                           site + " already has " + std::to_string(open_quarantine) +
                               " changes set aside; an operator must deal with them "
                               "(GET /api/v1/quarantine) before it may send more. This one: " +
                               applied.error().message.substr(0, 200));
        }
        ++open_quarantine;
        MPP_RETURN_IF_ERROR(Quarantine(site, WithoutSealedNik(c), applied.error(), now));
        ++out.stats.quarantined;
        if (out.refused.size() < 20) {
          out.refused.push_back(
              {{"seq", c.seq},
               {"code", ErrcName(applied.error().code)},
               {"message", MaskNikLikeNumbers(applied.error().message.substr(0, 300))}});
        }
      }
      MPP_RETURN_IF_ERROR(db_->Exec("RELEASE change"));
      // A refused change is logged with its text masked: it may hold the NIK it was refused
      // for, and this log is served back (GET /sync/v1/own).
      MPP_RETURN_IF_ERROR(applied ? LogSiteChange(site, WithoutSealedNik(c))
                                  : LogSiteChange(site, Masked(WithoutSealedNik(c))));
      out.acked_seq = c.seq;
      seen = std::max(seen, c.hlc);
    }
    if (seen) MPP_RETURN_IF_ERROR(RecordSeenStamp(*db_, seen));
    if (out.stats.quarantined > 0) {  // one audit row for the batch, not one per change
      MPP_RETURN_IF_ERROR(AuditLocked(
          "mpp:site:" + site,
          "push seq " + std::to_string(first_seq) + ".." + std::to_string(out.acked_seq),
          MakeError(ErrcFromName(out.refused[0].value("code", "")),
                    std::to_string(out.stats.quarantined) +
                        " changes set aside; first: " + out.refused[0].value("message", ""))));
    }
    MPP_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached(
            "INSERT INTO site_cursors (site_code, acked_seq, last_push_at, protocol, "
            "schema_version) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (site_code) DO UPDATE SET acked_seq = ?2, "
            "last_push_at = ?3, protocol = ?4, schema_version = ?5"));
    {
      db::StatementRef s(stmt);
      s->Bind(1, site)
          .Bind(2, out.acked_seq)
          .Bind(3, now)
          .Bind(4, protocol)
          .Bind(5, schema_version);
      MPP_RETURN_IF_ERROR(s->Run());
    }
    MPP_RETURN_IF_ERROR(tx.Commit());
    return out;
  }

  Result<int64_t> AckedSeq(const std::string& site) override {
    MutexLock lock(mu_);
    return AckedLocked(site);
  }

  Status NotePull(const std::string& site, int64_t after) override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached("INSERT INTO site_cursors (site_code, pull_cursor, last_contact_at) "
                    "VALUES (?1, ?2, ?3) ON CONFLICT (site_code) DO UPDATE SET pull_cursor = ?2, "
                    "last_contact_at = ?3"));
    db::StatementRef s(stmt);
    s->Bind(1, site).Bind(2, after).Bind(3, FormatUtc(clock_.NowMs()));
    return s->Run();
  }

  Result<int64_t> PullCursor(const std::string& site) override {
    MutexLock lock(mu_);
    return db_->QueryInt("SELECT COALESCE(pull_cursor, 0) FROM site_cursors WHERE site_code = ?",
                         {site});
  }

  Result<bool> KnowsSite(const std::string& site) override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(auto found,
                         db_->QueryText("SELECT code FROM sites WHERE code = ?", {site}));
    return found.has_value();
  }

  Result<FeedPage> ReadOwnLog(const std::string& site, int64_t after, size_t max_bytes) override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(
        db::Statement * stmt,
        db_->Cached("SELECT seq, hlc, table_name, row_id, op, data, base FROM site_log "
                    "WHERE site_code = ? AND seq > ? ORDER BY seq"));
    db::StatementRef s(stmt);
    s->Bind(1, site).Bind(2, after);
    FeedPage page;
    page.next_cursor = after;
    size_t bytes = 0;
    for (;;) {
      MPP_ASSIGN_OR_RETURN(const bool more, s->Step());
      if (!more) break;
      const std::string data = s->ColumnText(5);
      const size_t size = data.size() + s->ColumnText(6).size() + 96;
      if (!page.changes.empty() &&
          (bytes + size > max_bytes || page.changes.size() >= kMaxBatchChanges)) {
        page.more = true;
        break;
      }
      Change c;
      c.seq = s->ColumnInt(0);
      c.hlc = static_cast<HlcStamp>(s->ColumnInt(1));
      c.origin = site;
      c.table = s->ColumnText(2);
      c.row_id = s->ColumnText(3);
      c.op = s->ColumnText(4);
      MPP_ASSIGN_OR_RETURN(c.data, ParseStoredJson(data, "site_log.data"));
      if (!s->ColumnIsNull(6)) {
        MPP_ASSIGN_OR_RETURN(c.base, ParseStoredJson(s->ColumnText(6), "site_log.base"));
      }
      bytes += size;
      page.next_cursor = c.seq;
      page.changes.push_back(std::move(c));
    }
    return page;
  }

  Result<FeedPage> ReadFeed(const std::string& site, int64_t after, size_t max_bytes) override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(auto page, ReadChangeLog(*db_, after, site, max_bytes, kMaxBatchChanges));
    FeedPage out;
    out.next_cursor = page.changes.empty() ? after : page.changes.back().seq;
    out.more = page.more;
    out.changes = std::move(page.changes);
    return out;
  }

  Result<Json> Digest(const std::string& site) override {
    MutexLock lock(mu_);
    return ComputeDigest(*db_, policy_, site);
  }

  Result<Json> ListConflicts(const std::optional<std::string>& status) override {
    MutexLock lock(mu_);
    return store::ListConflicts(*db_, status);
  }

  Result<Json> ResolveConflict(const std::string& id, const Json& body,
                               const std::string& who) override {
    MutexLock lock(mu_);
    db::Transaction tx(*db_);
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(auto plan, PlanResolution(*db_, policy_, id, body));
    // Marked first, so the edit below (which settles the group's open conflicts as
    // superseded) leaves this one with the operator's words.
    MPP_RETURN_IF_ERROR(MarkResolved(*db_, policy_, id, FormatUtc(clock_.NowMs()),
                                     "resolved by hand by " + who, hlc_));
    MPP_RETURN_IF_ERROR(UpdateLocked(plan.table, plan.row_id, plan.columns));
    MPP_RETURN_IF_ERROR(
        AuditLocked(who, "resolve conflict " + id.substr(0, 64),
                    MakeError(Errc::kOk, body.contains("keep") ? "kept the " + body["keep"].dump()
                                                               : std::string("set a new value"))));
    MPP_RETURN_IF_ERROR(tx.Commit());
    return Json{{"id", id},
                {"status", "resolved"},
                {"table", plan.table},
                {"row_id", plan.row_id},
                {"columns", plan.columns}};
  }

  Result<Json> UpdateRow(const std::string& table, const std::string& id, const Json& columns,
                         const std::string& who) override {
    MutexLock lock(mu_);
    db::Transaction tx(*db_);
    MPP_RETURN_IF_ERROR(tx.status());
    MPP_ASSIGN_OR_RETURN(auto written, UpdateLocked(table, id, columns));
    std::string set;
    for (const auto& [col, v] : written["columns"].items()) set += (set.empty() ? "" : ", ") + col;
    MPP_RETURN_IF_ERROR(AuditLocked(who, "edit " + table + " " + id.substr(0, 64),
                                    MakeError(Errc::kOk, "set " + set)));
    MPP_RETURN_IF_ERROR(tx.Commit());
    return written;
  }

  Status Audit(const std::string& peer, const std::string& action, const Error& error) override {
    MutexLock lock(mu_);
    return AuditLocked(peer, action, error);
  }

  Result<Json> ListQuarantine(const std::optional<std::string>& status) override {
    if (status && *status != "open" && *status != "dismissed") {
      return MakeError(Errc::kOutOfRange, "'status' must be open or dismissed");
    }
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(
        db::Statement * stmt,
        db_->Cached("SELECT id, site_code, seq, table_name, row_id, op, code, reason, at, status, "
                    "resolved_at, resolved_by FROM quarantine WHERE ?1 IS NULL OR status = ?1 "
                    "ORDER BY id DESC LIMIT 1000"));
    db::StatementRef s(stmt);
    s->Bind(1, status);
    Json items = Json::array();
    for (;;) {
      MPP_ASSIGN_OR_RETURN(const bool more, s->Step());
      if (!more) break;
      items.push_back({{"id", s->ColumnInt(0)},
                       {"site_code", s->ColumnText(1)},
                       {"seq", s->ColumnInt(2)},
                       {"table", s->ColumnText(3)},
                       {"row_id", s->ColumnText(4)},
                       {"op", s->ColumnText(5)},
                       {"code", s->ColumnText(6)},
                       {"reason", s->ColumnText(7)},
                       {"at", s->ColumnText(8)},
                       {"status", s->ColumnText(9)},
                       {"resolved_at", s->ColumnJson(10)},
                       {"resolved_by", s->ColumnJson(11)}});
    }
    return Json{{"items", std::move(items)}};
  }

  Result<Json> DismissQuarantine(int64_t id, const std::string& who) override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(auto status, db_->QueryText("SELECT status FROM quarantine WHERE id = ?",
                                                     {std::to_string(id)}));
    if (!status) return MakeError(Errc::kNotFound, "no quarantined change " + std::to_string(id));
    if (*status != "open") {
      return MakeError(Errc::kIllegalTransition,
                       "quarantined change " + std::to_string(id) + " is dismissed already");
    }
    MPP_ASSIGN_OR_RETURN(db::Statement * stmt,
                         db_->Cached("UPDATE quarantine SET status = 'dismissed', resolved_at = ?, "
                                     "resolved_by = ? WHERE id = ?"));
    db::StatementRef s(stmt);
    s->Bind(1, FormatUtc(clock_.NowMs())).Bind(2, who).Bind(3, id);
    MPP_RETURN_IF_ERROR(s->Run());
    return Json{{"id", id}, {"status", "dismissed"}};
  }

 private:
  Status AuditLocked(const std::string& peer, const std::string& action, const Error& error)
      REQUIRES(mu_) {
    MPP_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached(
            "INSERT INTO audit_log (at, peer, action, code, detail) VALUES (?, ?, ?, ?, ?)"));
    db::StatementRef s(stmt);
    // Every column masked: a peer's certificate, a path and a message are all the peer's words.
    s->Bind(1, FormatUtcMillis(clock_.NowMs()))
        .Bind(2, MaskNikLikeNumbers(peer.substr(0, 200)))
        .Bind(3, MaskNikLikeNumbers(action.substr(0, 200)));
    s->Bind(4, ErrcName(error.code)).Bind(5, MaskNikLikeNumbers(error.message.substr(0, 500)));
    return s->Run();
  }

 public:
  Result<Json> AuditLog(int limit) override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached(
            "SELECT at, peer, action, code, detail FROM audit_log ORDER BY id DESC LIMIT ?"));
    db::StatementRef s(stmt);
    s->Bind(1, limit);
    Json items = Json::array();
    for (;;) {
      MPP_ASSIGN_OR_RETURN(auto r, s->Step());
      if (!r) break;
      items.push_back({{"at", s->ColumnText(0)},
                       {"peer", s->ColumnText(1)},
                       {"action", s->ColumnText(2)},
                       {"code", s->ColumnText(3)},
                       {"detail", s->ColumnText(4)}});
    }
    return Json{{"items", std::move(items)}};
  }

  Result<Json> Summary() override {
    MutexLock lock(mu_);
    MPP_ASSIGN_OR_RETURN(
        auto stmt,
        db_->Cached(
            "SELECT s.code, s.name, c.acked_seq, c.last_push_at, c.protocol, c.schema_version, "
            "(SELECT COUNT(*) FROM applications a WHERE a.site_code = s.code), "
            "(SELECT COUNT(*) FROM payments p WHERE p.site_code = s.code), "
            "(SELECT COUNT(*) FROM surveys v WHERE v.site_code = s.code) "
            "FROM sites s LEFT JOIN site_cursors c ON c.site_code = s.code ORDER BY s.code"));
    db::StatementRef s(stmt);
    Json sites = Json::array();
    for (;;) {
      MPP_ASSIGN_OR_RETURN(auto r, s->Step());
      if (!r) break;
      sites.push_back({{"site_code", s->ColumnText(0)},
                       {"name", s->ColumnText(1)},
                       {"acked_seq", s->ColumnJson(2)},
                       {"last_push_at", s->ColumnJson(3)},
                       {"protocol", s->ColumnJson(4)},
                       {"schema_version", s->ColumnJson(5)},
                       {"applications", s->ColumnInt(6)},
                       {"payments", s->ColumnInt(7)},
                       {"surveys", s->ColumnInt(8)}});
    }
    MPP_ASSIGN_OR_RETURN(auto open,
                         db_->Cached("SELECT COUNT(*) FROM conflicts WHERE status = 'open'"));
    db::StatementRef o(open);
    MPP_RETURN_IF_ERROR(o->Step());
    return Json{
        {"sites", std::move(sites)},
        {"open_conflicts", o->ColumnInt(0)},
        {"clock", {{"now", FormatUtcMillis(clock_.NowMs())}, {"hlc", HlcToString(hlc_.Last())}}}};
  }

  HlcStamp NowStamp() override { return hlc_.Now(); }

 private:
  // A refusal of what one change does, as opposed to a failure of the centre itself.
  static bool RefusesOneChange(Errc code) {
    return code != Errc::kStorage && code != Errc::kInternal && code != Errc::kClockSkew;
  }

  Status Quarantine(const std::string& site, const Change& c, const Error& why,
                    const std::string& now) REQUIRES(mu_) {
    MPP_ASSIGN_OR_RETURN(
        db::Statement * stmt,
        db_->Cached("INSERT INTO quarantine (site_code, seq, table_name, row_id, op, data, code, "
                    "reason, at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')"));
    {
      db::StatementRef s(stmt);
      s->Bind(1, site)
          .Bind(2, c.seq)
          .Bind(3, MaskNikLikeNumbers(c.table.substr(0, 64)))
          .Bind(4, MaskNikLikeNumbers(c.row_id.substr(0, 64)));
      // A change refused for a NIK in its text must not leave the NIK in the centre's file.
      s->Bind(5, c.op.substr(0, 16)).Bind(6, MaskNikLikeNumbers(DumpJson(c.data)));
      s->Bind(7, ErrcName(why.code)).Bind(8, MaskNikLikeNumbers(why.message.substr(0, 500)));
      s->Bind(9, now);
      MPP_RETURN_IF_ERROR(s->Run());
    }
    return {};
  }

  // Whether `c` is the change stored as `site`'s seq c.seq: the same stamp, row, operation
  // and values (true when none is stored: the
  // site pushed it before the centre kept a log, so a replay cannot be told apart).
  // What ApplyPush refuses a whole batch for, checked before any work on it: a gap, seqs not
  // consecutive, a replay that differs from what is stored, a stamp beyond the drift bound.
  // ApplyPush checks each again as it applies them (the same errors).
  Status CheckBatchLocked(const std::string& site, int64_t first_seq,
                          const std::vector<Change>& changes, int64_t acked) REQUIRES(mu_) {
    if (first_seq > acked + 1) {
      return MakeError(Errc::kSequenceGap,
                       "site " + site + " sent changes from seq " + std::to_string(first_seq) +
                           " but the centre has stored up to " + std::to_string(acked) +
                           "; expected_seq=" + std::to_string(acked + 1));
    }
    int64_t expect = first_seq;
    for (const Change& c : changes) {
      if (c.seq != expect++) {
        return MakeError(Errc::kSequenceGap,
                         "changes in a batch must have consecutive seq; "
                         "expected " +
                             std::to_string(expect - 1) + ", got " + std::to_string(c.seq));
      }
      if (c.seq <= acked) {
        MPP_ASSIGN_OR_RETURN(const bool same, SameAsLogged(site, c));
        if (!same) {
          // The site's disk went back in time: refuse, never drop it.
          return MakeError(
              Errc::kSiteBehind,
              "change " + std::to_string(c.seq) + " of " + site +
                  " differs from the one the centre stored under that number: this site's "
                  "database is older than what it already sent (restored from a backup, or "
                  "made anew). Nothing was dropped; the next sync recovers it (it fetches the "
                  "site's own " +
                  std::to_string(acked) +
                  " changes from the centre and sends the work done since after them)");
        }
      } else if (!hlc_.WithinDrift(c.hlc)) {
        return MakeError(Errc::kClockSkew,
                         "change " + std::to_string(c.seq) + " is stamped " + HlcToString(c.hlc) +
                             ", too far ahead of the centre's clock; set the site PC's clock "
                             "and sync again");
      }
    }
    return {};
  }

  Result<bool> SameAsLogged(const std::string& site, const Change& c) REQUIRES(mu_) {
    MPP_ASSIGN_OR_RETURN(db::Statement * stmt,
                         db_->Cached("SELECT hlc, table_name, row_id, op, data FROM site_log "
                                     "WHERE site_code = ? AND seq = ?"));
    db::StatementRef s(stmt);
    s->Bind(1, site).Bind(2, c.seq);
    MPP_ASSIGN_OR_RETURN(const bool found, s->Step());
    if (!found) return true;
    // The stamp counts: a copy restamped after a clock_skew answer, when a late copy of the
    // first push had been stored meanwhile, is told apart too. The site then takes the
    // centre's copy back and sends its own again as a later change of the same row.
    if (static_cast<HlcStamp>(s->ColumnInt(0)) != c.hlc || s->ColumnText(1) != c.table ||
        s->ColumnText(2) != c.row_id || s->ColumnText(3) != c.op) {
      return false;
    }
    // Without the sealed NIK at both ends: the log holds it null, and a site that resends a
    // change it had acknowledged (mppctl export --all) has dropped it.
    MPP_ASSIGN_OR_RETURN(Json stored, ParseStoredJson(s->ColumnText(4), "site_log.data"));
    if (stored.is_object()) stored.erase(std::string(kSealedNikColumn));
    Change plain = c;
    if (plain.data.is_object()) plain.data.erase(std::string(kSealedNikColumn));
    return stored == plain.data || stored == Masked(plain).data;
  }

  // What the merge of one pushed change found, kept as the conflict records every replica
  // then holds: concurrent edits recorded, and the open conflicts of a group the site wrote
  // over what it had seen settled.
  Status KeepConflictRecords(const Change& c, const MergeNotes& notes, const std::string& now)
      REQUIRES(mu_) {
    for (const ConflictNote& n : notes.conflicts) {
      MPP_RETURN_IF_ERROR(RecordConflict(*db_, policy_, n, now, hlc_));
    }
    for (const std::string& g : notes.superseded_groups) {
      MPP_RETURN_IF_ERROR(SettleConflicts(*db_, policy_, c.table, c.row_id, g, now,
                                          "superseded by a later edit of " + c.origin, hlc_));
    }
    return {};
  }

  // `c` with every string value of its data masked (MaskNikLikeNumbers); numbers and stamps
  // as they are.
  static Change Masked(const Change& c) {
    Change out = c;
    out.row_id = MaskNikLikeNumbers(out.row_id);
    out.table = MaskNikLikeNumbers(out.table);
    out.base = Json::object();  // refused: what it overwrote matters to no one
    for (auto it = out.data.begin(); it != out.data.end(); ++it) {
      if (it->is_string()) *it = MaskNikLikeNumbers(it->get<std::string>());
    }
    return out;
  }

  Status LogSiteChange(const std::string& site, const Change& c) REQUIRES(mu_) {
    MPP_ASSIGN_OR_RETURN(
        db::Statement * stmt,
        // A row already there for a seq beyond the acknowledged point is stale (a centre put
        // back from a backup by hand): the change now applied under that seq replaces it.
        db_->Cached("INSERT OR REPLACE INTO site_log (site_code, seq, hlc, table_name, row_id, "
                    "op, data, base) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    db::StatementRef s(stmt);
    s->Bind(1, site).Bind(2, c.seq).Bind(3, static_cast<int64_t>(c.hlc)).Bind(4, c.table);
    s->Bind(5, c.row_id).Bind(6, c.op).Bind(7, c.data.dump());
    if (c.base.empty()) {
      s->BindNull(8);
    } else {
      s->Bind(8, c.base.dump());
    }
    return s->Run();
  }

  Result<int64_t> AckedLocked(const std::string& site) REQUIRES(mu_) {
    return db_->QueryInt("SELECT acked_seq FROM site_cursors WHERE site_code = ?", {site});
  }

  // A central edit inside the caller's transaction: checks the columns against the merge
  // rules, writes them with a centre stamp, and logs the change for the row's site to pull.
  Result<Json> UpdateLocked(const std::string& table, const std::string& id, const Json& columns)
      REQUIRES(mu_) {
    const TablePolicy* t = policy_.Find(table);
    if (!t) return MakeError(Errc::kNotFound, "no replicated table '" + table + "'");
    if (t->kept_by_centre) {
      return MakeError(Errc::kForbiddenTable,
                       "'" + table +
                           "' is kept by the centre itself; resolve a "
                           "conflict with POST /api/v1/conflicts/ID/resolve");
    }
    if (!columns.is_object() || columns.empty()) {
      return MakeError(Errc::kMissingField, "send an object of the columns to set");
    }
    for (const auto& [col, v] : columns.items()) {
      if (!t->columns.count(col) || IsStampColumn(col) || col == t->key ||
          (!t->centre_owned && !t->centre_writes.count(col))) {
        return MakeError(Errc::kForbiddenColumn, "the centre may not set " + table + "." + col);
      }
      if (v.is_object() || v.is_array()) {
        return MakeError(Errc::kInvalidType, "'" + col + "' must be a scalar");
      }
    }
    std::string audience = "*";
    if (!t->centre_owned) {
      MPP_ASSIGN_OR_RETURN(
          auto owner,
          db_->QueryText("SELECT site_code FROM " + table + " WHERE " + t->key + " = ?", {id}));
      if (!owner) return MakeError(Errc::kNotFound, "no " + table + " row with id '" + id + "'");
      audience = *owner;
    }
    // The office's rules, with times the operator wrote in any offset made UTC; the write
    // below checks the row as stored (UpdateWithChange).
    MPP_ASSIGN_OR_RETURN(Json cols, NormaliseRow(table, columns));
    // A status set by hand brings its time along, by the same rule as at the office.
    if (!t->centre_owned) {
      MPP_ASSIGN_OR_RETURN(const Json current, LoadRow(*db_, *t, id));
      StampStatusTimes(table, current, cols, FormatUtc(clock_.NowMs()));
    }
    const HlcStamp stamp = hlc_.Now();
    MPP_RETURN_IF_ERROR(
        UpdateWithChange(*db_, policy_, table, id, cols, {stamp, kCentreOrigin, audience}));
    if (!t->centre_owned) {  // an edit made over what the centre holds settles its conflicts
      std::set<std::string> groups;
      for (const auto& [col, _] : cols.items()) groups.insert(t->GroupOf(col));
      for (const std::string& g : groups) {
        MPP_RETURN_IF_ERROR(SettleConflicts(*db_, policy_, table, id, g, FormatUtc(clock_.NowMs()),
                                            "superseded by a later edit of the centre", hlc_));
      }
    }
    return Json{{"table", table}, {"id", id}, {"columns", cols}, {"hlc", std::to_string(stamp)}};
  }

  Mutex mu_;
  std::unique_ptr<db::Database> db_ PT_GUARDED_BY(mu_);
  MergePolicy policy_;
  Clock& clock_;
  Hlc hlc_;
  std::shared_ptr<const CitizenKeys> keys_;
};

}  // namespace

Result<std::unique_ptr<CentralStore>> OpenSqliteCentralStore(
    const std::string& path, Clock& clock, db::OpenOptions options,
    std::shared_ptr<const CitizenKeys> keys) {
  MPP_ASSIGN_OR_RETURN(auto db, db::Database::Open(path, options));
  MPP_RETURN_IF_ERROR(db::Migrate(*db, schema::Migrations()));
  MPP_RETURN_IF_ERROR(
      db->Exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('role', 'central')"));
  MPP_ASSIGN_OR_RETURN(auto policy, LoadMergePolicy(*db));
  auto store = std::make_unique<SqliteCentralStore>(std::move(db), std::move(policy), clock,
                                                    std::move(keys));
  MPP_RETURN_IF_ERROR(store->Init());
  MPP_RETURN_IF_ERROR(store->OpenPendingSealedNiks());
  return std::unique_ptr<CentralStore>(std::move(store));
}

}  // namespace mpp::store
