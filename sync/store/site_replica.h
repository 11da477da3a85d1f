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
};

}  // namespace mpp::store
