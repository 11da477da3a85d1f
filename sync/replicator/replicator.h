// The site's side of a sync: push the outbox, pull the centre's changes, measure the clock,
// verify. It speaks the protocol through a SyncTransport (one request → one response), so the
// same code runs over HTTPS (node/ctl) and in-process in tests. It knows no sockets. Its twin
// at the centre is CentralEndpoint (central_endpoint.h).
//
// Guarantees: a change is marked acknowledged only after the centre answered that it stored
// it; a link cut mid-batch costs at most that batch (it is re-sent, and the centre skips what
// it already has); the pull cursor advances in the same transaction as the pulled changes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sync/core/clock.h"
#include "sync/core/result.h"
#include "sync/http/message.h"
#include "sync/store/site_replica.h"

namespace mpp::replicator {

class SyncTransport {
 public:
  virtual ~SyncTransport() = default;
  // Sends one request to the centre. Transport failures (refused, reset, timeout) are errors;
  // any HTTP status is a response.
  virtual Result<http::Response> Send(const http::Request& request) = 0;
  // Bytes on the wire so far, both ways (HTTP headers and bodies), if the transport counts.
  virtual uint64_t bytes_sent() const { return 0; }
  virtual uint64_t bytes_received() const { return 0; }
};

struct SyncOptions {
  int schema_version = 0;  // this build's schema (schema::Migrations().back())
  size_t initial_batch_bytes = 64 * 1024;
  size_t min_batch_bytes = 16 * 1024;
  size_t max_batch_bytes = 256 * 1024;
  double target_batch_seconds = 5.0;  // batches adapt so one takes about this long
  size_t pull_page_bytes = 1024 * 1024;
  bool compress = true;
  int64_t clock_warning_ms = 2 * 60 * 1000;
};

struct SyncProgress {
  const char* phase;  // "push" or "pull"
  int64_t done;       // changes pushed (stored or already there) or pulled so far
  int64_t total;      // push: the changes pending when it started; -1 when unknown (pull)
  uint64_t bytes_sent, bytes_received;  // on the wire since the sync started
  double seconds;                       // since the sync started
};
using ProgressFn = std::function<void(const SyncProgress&)>;

// What one sync does.
struct SyncRun {
  bool push = true;
  bool pull = true;
  ProgressFn progress;  // called after each batch and page
  // Asked before each batch and page: true stops the sync there, cleanly (what was
  // acknowledged stays so; the next sync goes on from there). E.g. Ctrl-C.
  std::function<bool()> stop;
  // Correct the site's clock from the centre's answers (not from a bundle's, days old).
  bool measure_clock = true;
  // What the sync history records (SiteReplica::SyncRecord): "network" or "bundle"; the
  // direction, when not "both", "push" or "pull" from the flags above (a bundle: "import").
  const char* via = "network";
  const char* direction = nullptr;
};

struct SyncReport {
  int64_t pushed = 0;           // changes the centre newly stored
  int64_t push_duplicates = 0;  // changes it already had
  int push_batches = 0;
  int64_t pulled = 0;  // changes received from the centre
  int pull_pages = 0;
  int64_t conflicts = 0;  // new conflict records about this site (pulled from the centre)
  // Changes the centre refused one by one and set aside (its quarantine), and the first
  // reasons it gave: [{"seq", "code", "message"}]. The rest of the push went on.
  int64_t quarantined = 0;
  Json refused = Json::array();
  int64_t acked_seq = 0;
  int64_t clock_offset_ms = 0;  // centre's clock minus ours
  bool clock_warning = false;   // off by more than options.clock_warning_ms
  int64_t restamped = 0;        // unacknowledged changes stamped again after a clock_skew
  // After site_behind (this disk is older than what the site had sent): this site's own
  // changes fetched back from the centre, and local ones renumbered after them and sent.
  int64_t recovered = 0;
  int64_t renumbered = 0;
  int64_t recovery_refused = 0;  // of the recovered, refused by this site's rules (logged only)
  uint64_t bytes_sent = 0, bytes_received = 0;
  double seconds = 0;
  bool contacted = false;      // the centre answered (2xx) at least once
  bool push_complete = false;  // nothing was left to push when the sync ended
  bool pull_complete = false;  // nothing was left to pull
  bool stopped = false;        // SyncRun::stop ended it early (the outcome is "partial")
  int64_t retry_after_ms = 0;  // the centre's Retry-After with a 429 (rate_limited)
};

// What the centre says of this site when asked (Replicator::Hello).
struct Hello {
  int64_t acked_seq = 0;        // the last change of this site the centre holds
  int64_t clock_offset_ms = 0;  // the centre's clock minus ours
  double round_trip_ms = 0;
};

class Replicator {
 public:
  // `wall_clock` is the PC's own clock (to measure its offset from the centre's, and how long
  // each batch took).
  Replicator(store::SiteReplica& replica, SyncTransport& transport, Clock& wall_clock,
             SyncOptions options);

  // One push of everything pending, then one pull of everything new (or only one of them,
  // as `run` says). A site whose disk went back in time (kSiteBehind) recovers first, within
  // the same sync. Stops at the first error and returns it (what was acknowledged before
  // stays acknowledged; last_report() says what moved). Errors carry the centre's code (e.g.
  // kForbiddenRow, kIncompatibleVersion), or the transport's (kUnreachable, kTlsRefused).
  // Every attempt, whatever its outcome, is recorded in the site's sync history
  // (SiteReplica::RecordSync).
  Result<SyncReport> Sync(const SyncRun& run);
  Result<SyncReport> SyncOnce(const ProgressFn& progress = {}) {
    SyncRun run;
    run.progress = progress;
    return Sync(run);
  }
  // What the last Sync moved, also when it failed.
  const SyncReport& last_report() const { return last_; }

  // Asks the centre whether it answers this site, and what it holds of it (/sync/v1/hello).
  // Changes nothing at either end.
  Result<Hello> SayHello();

  // Compares this site's digest with the centre's view of it:
  // {"in_sync": bool, "differences": [{"table", "count_here", "count_there", "key_hash_buckets"}]}
  Result<Json> Verify();

 private:
  Status Push(SyncReport& report, const SyncRun& run);
  // When the centre holds more of this site's own changes than this disk (it says how far in
  // every page), recovers them before applying the page and sets `recovered`.
  Status Pull(SyncReport& report, const SyncRun& run, bool& recovered);
  // Calls run.progress, if any, with the byte counts and time so far.
  void Report(const SyncRun& run, const char* phase, int64_t done, int64_t total) const;
  // Fetches this site's own changes after `acked` up to `centre_acked` from the centre and
  // has the replica adopt them (SiteReplica::AdoptOwnChanges).
  Status Recover(int64_t acked, int64_t centre_acked, SyncReport& report);
  http::Request MakeRequest(const std::string& method, const std::string& target,
                            const Json* body) const;
  // Parses a response: the JSON body on 2xx, else the centre's error. Measures the clock.
  Result<Json> Receive(const Result<http::Response>& response, int64_t sent_at, SyncReport* report,
                       Json* error_body = nullptr);

  store::SiteReplica& store_;
  SyncTransport& transport_;
  Clock& wall_clock_;
  SyncOptions options_;
  SyncReport last_;
  // The sync in progress: when it started, and the transport's byte counts then.
  int64_t started_us_ = 0;
  uint64_t sent0_ = 0, received0_ = 0;
};

}  // namespace mpp::replicator
