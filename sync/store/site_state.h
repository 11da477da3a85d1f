// What a site's two faces share: the office's records (office_records.h) and the replica the
// replicator syncs (site_replica.h) work on one SQLite connection, one clock and one identity.
// Internal to sync/store: SiteStore (site_store.h) makes it and owns it.
//
// Thread-safety: the connection is used only while holding `mu` (the compiler checks it in
// the clang build); the clocks are thread-safe themselves; the identity is set before the
// store is shared and never changes after.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sync/core/clock.h"
#include "sync/core/hlc.h"
#include "sync/core/merge.h"
#include "sync/core/mutex.h"
#include "sync/core/nik_seal.h"
#include "sync/core/result.h"
#include "sync/db/database.h"

namespace mpp::store {

class SiteReplica;

struct SiteState {
  SiteState(std::unique_ptr<db::Database> database, MergePolicy merge_policy, Clock& clock,
            Random& rng)
      : stamp_clock(clock),
        random(rng),
        hlc(stamp_clock),
        policy(std::move(merge_policy)),
        db_(std::move(database)) {}

  // Reads the identity (site code, sealing key, clock offset, time zone) and the site's
  // reference key (its file beside the database: made anew, with a warning, when it is
  // missing), and sets the clock above every persisted stamp. kNotInitialised when the file
  // has no site identity; kConfig when the key file or the sealing key is damaged.
  Status LoadIdentity();

  db::Database& db() REQUIRES(mu) { return *db_; }
  // A new UUIDv7 id ending in this site's tag, and the time now as RFC 3339 UTC, from the stamping
  // clock.
  std::string NewId();
  std::string NowUtc();

  Mutex mu;
  OffsetClock stamp_clock;  // the PC's clock corrected to the centre's
  Random& random;
  Hlc hlc;
  std::string site_code;
  std::string id_tag;               // every id minted here ends in it (ids.h)
  std::string site_ref_key;         // this site's own (site_store.h, SiteRefKeyPath)
  std::optional<NikSealer> sealer;  // the ministry's public key; none: NIKs are not sealed
  MergePolicy policy;
  int tz_offset_minutes = 0;

 private:
  std::unique_ptr<db::Database> db_ PT_GUARDED_BY(mu);
};

// The replica over `state` (site_replica.cc).
std::unique_ptr<SiteReplica> NewSqliteSiteReplica(SiteState& state);

}  // namespace mpp::store
