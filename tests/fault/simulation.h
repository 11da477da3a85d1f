// A deterministic simulation of mppsync in one process: the centre and 3–8 sites, each with its
// real SQLite file, real stores, the real CentralApi and the real Replicator, joined by an
// in-memory network that a seeded schedule breaks: dropped requests and responses, duplicated
// and late (reordered) deliveries, partitions, crashes of any party (also inside a SQLite
// transaction, through tests/support/fault_vfs.h) restarted from its file, I/O errors, clocks
// skewed by ±288 s, stuck at 1970 or 10 years ahead, clocks that jump, and a site's disk
// replaced by an older copy of itself (a restored backup) or by an empty one (set up anew).
//
// Clerks save records all along; a save that returned success is "acknowledged" and goes in
// the oracle. The checker then asserts:
//   - at every step: no site believes the centre holds more of its changes than it does;
//   - once the faults stop and every site has synced: every acknowledged record is at the
//     centre exactly once (but for records a replaced disk took with it before any sync), the
//     centre holds nothing of a site that the site does not hold, the centre's acknowledged point
//     equals the site's last change, and every site's digest equals the centre's view of it
//     (replicas converge).
// A hostile site (a valid certificate of its own, MPP9205) pushes now and then what a modified
// node could: writes to another site's rows, its references and its reference data, rows that
// break the office's rules (5 kB notes, a NIK hidden in free text, a time that is no time, an
// owner or key changed), a zstd body that expands past the limit and a batch of too many
// changes; and, to show the rules refuse only what they must, a valid row of its own. The
// checker asserts that each hostile change is refused (quarantined or 4xx, never 500 and never
// stored), that the valid one is applied, and, at the end, that the centre holds nothing of the
// hostile site but its valid rows and that every honest site still converges.
// The same seed gives the same run, event for event (the trace hash says so). Planted bugs
// show that the checker catches a lost write and a duplicate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mpp::sim {

enum class PlantedBug {
  kNone,
  kForgedAck,          // the network answers a push "stored" without delivering it: lost writes
  kRenumberedResend,   // a batch is sent again with fresh ids and seqs: duplicates at the centre
  kSwallowSiteBehind,  // the network answers site_behind with "stored": a restored site's new
                       // work is taken for replays, as before the centre kept its site_log
  kImpersonation,      // the hostile site's pushes reach the centre under its victim's
                       // certificate, as if the centre trusted the body's site name
};

struct SimOptions {
  uint64_t seed = 1;
  int sites = 0;   // 0: 3..8, from the seed
  int steps = 60;  // steps with faults, before everyone heals and syncs
  PlantedBug bug = PlantedBug::kNone;
  bool verbose = false;  // print every event as it happens
};

struct SimResult {
  std::vector<std::string> violations;   // empty: every promise held
  uint64_t trace_hash = 0;               // of every event, in order
  std::vector<std::string> last_events;  // the tail of the trace, for a failure report
  int sites = 0;
  int64_t acked_writes = 0, syncs = 0, failed_syncs = 0, messages = 0, dropped = 0, duplicated = 0,
          late = 0, site_crashes = 0, centre_crashes = 0, io_errors = 0, partitions = 0,
          clock_jumps = 0, restamped = 0, conflicts = 0, conflict_records = 0, backups = 0,
          restores = 0, empty_disks = 0, recovered = 0, renumbered = 0, quarantined = 0,
          hostile_pushes = 0, hostile_refused = 0;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace mpp::sim
