// The centre's store: every site's rows, the reference data, and the feed of the centre's own
// changes that sites pull. An interface, so a server database can replace SQLite without
// touching the protocol; OpenSqliteCentralStore is the default (one file, embedded).
//
// All methods are thread-safe. Errors are as documented per call; kStorage when the database
// fails (nothing written).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/clock.h"
#include "sync/core/json.h"
#include "sync/core/nik_seal.h"
#include "sync/core/result.h"
#include "sync/db/database.h"
#include "sync/store/apply.h"

namespace mpp::store {

struct PushOutcome {
  int64_t acked_seq = 0;  // every change of the site up to here is stored (or set aside)
  ApplyStats stats;
  Json refused = Json::array();  // the first quarantined changes: {"seq", "code", "message"}
};

struct FeedPage {
  std::vector<Change> changes;
  int64_t next_cursor = 0;
  bool more = false;
};

class CentralStore {
 public:
  virtual ~CentralStore() = default;

  // Applies a site's batch exactly once, in one transaction: changes with seq up to the site's
  // acknowledged point are skipped as duplicates when they are the change stored under that
  // seq, and refuse the batch with kSiteBehind when they are another (the site's disk is
  // older than what it sent: nothing is dropped, the site must recover); the rest must follow
  // on without a gap (kSequenceGap, message naming the expected seq, nothing written). Every
  // change's origin is `site`. A change that ApplyChange refuses for what it does (another
  // site's row, reference data, a value the rules refuse) is set aside in the quarantine with
  // its reason and audited, writing nothing else, and the batch goes on: one bad change never
  // stops the site's later ones. A new change stamped too far ahead of the centre's clock
  // refuses the whole batch (kClockSkew).
  virtual Result<PushOutcome> ApplyPush(const std::string& site, int64_t first_seq,
                                        const std::vector<Change>& changes, int protocol,
                                        int schema_version) = 0;
  virtual Result<int64_t> AckedSeq(const std::string& site) = 0;
  // A pull of `site` that said it holds the feed up to `after`: kept as its pull cursor
  // (the start of the next bundle for it) with the time, its last contact.
  virtual Status NotePull(const std::string& site, int64_t after) = 0;
  // The pull cursor last noted for `site`; 0 when it never pulled.
  virtual Result<int64_t> PullCursor(const std::string& site) = 0;
  // Whether `site` is one of the sites of the reference data (table sites).
  virtual Result<bool> KnowsSite(const std::string& site) = 0;
  // The changes `site` pushed, as stored, after `after` (its own seq), about `max_bytes`.
  virtual Result<FeedPage> ReadOwnLog(const std::string& site, int64_t after, size_t max_bytes) = 0;
  // The centre's own changes that `site` may see, after `after`, about `max_bytes` of JSON.
  virtual Result<FeedPage> ReadFeed(const std::string& site, int64_t after, size_t max_bytes) = 0;
  virtual Result<Json> Digest(const std::string& site) = 0;
  virtual Result<Json> ListConflicts(const std::optional<std::string>& status) = 0;
  virtual Result<Json> ResolveConflict(const std::string& id, const Json& body,
                                       const std::string& who) = 0;
  // A decision taken centrally by `who` (the operator's certificate): sets `columns` of a row
  // (reference data, or the centre_writes columns of a site's row), and records who set which
  // columns (not their values) in the audit log, in the same transaction. It reaches the row's
  // site on its next pull.
  virtual Result<Json> UpdateRow(const std::string& table, const std::string& id,
                                 const Json& columns, const std::string& who) = 0;
  // The quarantined changes, newest first (`status` open|dismissed filters), and dismissing
  // one (kNotFound; kIllegalTransition when it was dismissed already).
  virtual Result<Json> ListQuarantine(const std::optional<std::string>& status) = 0;
  virtual Result<Json> DismissQuarantine(int64_t id, const std::string& who) = 0;
  // Records a refused request (never a body).
  virtual Status Audit(const std::string& peer, const std::string& action, const Error& error) = 0;
  virtual Result<Json> AuditLog(int limit) = 0;
  // Per site: acknowledged seq, last push, rows held.
  virtual Result<Json> Summary() = 0;
  // The centre's HLC, for the stamp on every response. (Stamps in a push are merged, and
  // checked against the drift bound, by ApplyPush.)
  virtual HlcStamp NowStamp() = 0;
};

// Opens (creating and migrating if needed) the centre's SQLite store at `path`. `keys` open the
// NIKs sites seal into the national citizen_ref (sync/core/nik_seal.h); without them a sealed
// NIK is kept in its row, and opened when the store is next opened with a key that opens it.
Result<std::unique_ptr<CentralStore>> OpenSqliteCentralStore(
    const std::string& path, Clock& clock, db::OpenOptions options = {},
    std::shared_ptr<const CitizenKeys> keys = nullptr);

}  // namespace mpp::store
