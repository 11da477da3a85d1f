// The sync agent of mpp-node (--sync-every S, off by default): syncs the site with the
// centre in the background, when the *centre* answers (a hello first, with the site's
// certificate), on the schedule of replicator::SyncSchedule (every S seconds with jitter;
// backoff after failures; the centre's Retry-After; an optional daily window) and under an
// optional bandwidth cap. It takes the data directory's sync lock for each sync, so it and a
// manual `mppctl sync` never run at once (a manual one running: the agent waits its turn). A
// sync is cut by no timeout while it makes progress (each request has its own). Every attempt
// is in the sync history; the agent's own state is in DIR/sync-agent.json (mppctl status).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sync/core/clock.h"
#include "sync/core/json.h"
#include "sync/replicator/schedule.h"
#include "sync/store/site_store.h"

namespace mpp::site {

struct AgentOptions {
  std::string data_dir;
  int64_t every_s = 0;
  std::optional<replicator::SyncWindow> window;
  int64_t limit_kbps = 0;  // 0: no cap
  int schema_version = 0;
};

class SyncAgent {
 public:
  SyncAgent(store::SiteStore& store, AgentOptions options, Clock& clock, Random& random);
  ~SyncAgent();  // Stop()
  SyncAgent(const SyncAgent&) = delete;
  SyncAgent& operator=(const SyncAgent&) = delete;

  void Start();
  // Wakes the agent and waits for it: a sync in progress stops after its batch.
  void Stop();

 private:
  void Run();
  // One attempt; returns when to try next (Unix ms).
  int64_t Attempt();
  void SaveState(int64_t next_ms, const std::string& outcome, const std::string& error);
  Json Window() const;  // "HH:MM-HH:MM" or null

  store::SiteStore& store_;
  const AgentOptions options_;
  Clock& clock_;
  replicator::SyncSchedule schedule_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Minutes east of UTC of a site's time zone name (WIB, WITA, WIT); 0 for another.
int TimeZoneOffsetMinutes(const std::string& zone);

}  // namespace mpp::site
