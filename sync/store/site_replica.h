// SiteReplica: a site's data as the replicator (sync/replicator) sees it: the outbox of this
// site's own changes and how far the centre has acknowledged it, the pull cursor and the
// merge of pulled changes, the digest that `verify` compares, and the clock correction. The
// narrow counterpart of the centre's CentralStore; the office's records are behind their own
// interface (office_records.h).
//
// Every call is one transaction or one read; errors are kStorage when SQLite fails (nothing
// written) unless a call says otherwise. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/hlc.h"
#include "sync/core/json.h"
#include "sync/core/result.h"
#include "sync/store/apply.h"

namespace mpp::store {

class SiteReplica {
 public:
  virtual ~SiteReplica() = default;

  virtual const std::string& site_code() const = 0;

  struct Outbox {
    std::vector<Change> changes;
    size_t bytes = 0;  // their JSON size
  };
  // This site's own changes after `after_seq`, in order, about `max_bytes` of JSON (always at
  // least one change when there is one).
  virtual Result<Outbox> ReadOutbox(int64_t after_seq, size_t max_bytes) = 0;
  virtual Result<int64_t> AckedSeq() = 0;
  // Records that the centre has stored every change up to `seq`. Never moves backwards.
  virtual Status MarkAcked(int64_t seq) = 0;
  // Moves the acknowledged point back to `seq`: the centre lost changes (a restored backup)
  // and they must be sent again. The outbox keeps every change, so nothing is lost.
  virtual Status ResetAcked(int64_t seq) = 0;
  virtual Result<int64_t> PullCursor() = 0;
  // Applies a page of changes pulled from the centre (each must come from the centre:
  // kForbiddenRow otherwise) and advances the pull cursor to `next_cursor`, in one
  // transaction; merge errors as store::ApplyChange.
  virtual Result<ApplyStats> ApplyPulled(const std::vector<Change>& changes,
                                         int64_t next_cursor) = 0;
  // The digest of what this site holds (store/digest.h).
  virtual Result<Json> Digest() = 0;
  // The offset of this PC's clock from the centre's, measured at a sync. Stamps and times
  // follow the centre's clock from then on, and the offset survives restarts.
  virtual Status SetClockOffset(int64_t offset_ms) = 0;
  virtual int64_t clock_offset_ms() const = 0;
  // Changes stamped while this PC's clock ran ahead of the centre's are refused by the
  // centre. As long as they are unacknowledged no other replica has seen them, so they can be
  // stamped again: every unacknowledged change stamped above `limit` gets a fresh stamp from
  // the (now corrected) clock, in seq order, and the row versions and later bases that named
  // the old stamp follow. Returns how many changes were restamped.
  virtual Result<int64_t> RestampFutureChanges(HlcStamp limit) = 0;

  // What is waiting to be pushed: changes after the acknowledged point and their JSON size.
  struct Pending {
    int64_t changes = 0;
    int64_t bytes = 0;
  };
  virtual Result<Pending> PendingChanges() = 0;

  // One sync attempt, over the network or by bundle, as `mppctl log` shows it (table
  // sync_history; the newest 1,000 are kept). Times are the PC's own clock, Unix ms.
  struct SyncRecord {
    int64_t started_ms = 0;
    int64_t finished_ms = 0;
    std::string via = "network";     // "network" | "bundle"
    std::string direction = "both";  // "both" | "push" | "pull" | "export" | "import"
    std::string outcome;             // "complete" | "partial" (stopped) | "failed"
    int64_t pushed = 0, pulled = 0;
    uint64_t bytes_sent = 0, bytes_received = 0;
    bool contacted = false;      // the centre answered at least once
    bool push_complete = false;  // nothing was left to push when it ended
    bool pull_complete = false;  // nothing was left to pull
    std::string error_code, error_message;
  };
  virtual Status RecordSync(const SyncRecord& record) = 0;
  // The newest `limit` attempts, oldest first: [{"started_at", "finished_at", "via",
  // "direction", "outcome", "pushed", "pulled", "bytes_sent", "bytes_received", "contacted",
  // "push_complete", "pull_complete", "error": {"code", "message"} | null}].
  virtual Result<Json> SyncHistory(int limit) = 0;

  struct Recovery {
    int64_t adopted = 0;     // changes of this site the centre held and this disk had lost
    int64_t renumbered = 0;  // local changes the centre never saw, moved after them
    int64_t refused = 0;     // of the adopted ones, refused by this replica's rules: logged,
                             // not applied (verify then shows the difference)
  };
  // Brings back a site whose disk is older than what it already sent (the centre answered
  // kSiteBehind): `own` is every change of this site the centre stored after this replica's
  // acknowledged point, in order, up to `centre_acked`. In one transaction: each of them this
  // disk lacks is merged in (store::ApplyChange) and logged under its own seq; every local
  // change the centre does not hold (made since the restore) keeps its content and stamp and
  // is renumbered after `centre_acked`, so the next push sends it; the acknowledged point
  // becomes `centre_acked`. Nothing is dropped. A seq missing from `own` (the centre kept no
  // copy of it) is taken as the local change under it. kSequenceGap when `own` is out of
  // order; kForbiddenRow when it holds another site's change.
  virtual Result<Recovery> AdoptOwnChanges(const std::vector<Change>& own,
                                           int64_t centre_acked) = 0;
};

}  // namespace mpp::store
