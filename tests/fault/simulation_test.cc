// The deterministic simulation (simulation.h) over many seeds, split into shards that CTest
// runs in parallel. MPP_SIM_SEEDS sets how many seeds in all (default 10,000); a failing seed
// prints itself and the command that replays it with every event:
//   MPP_SIM_SEED=<seed> build/tests/fault_simulation_test --gtest_filter=Simulation.ReplayOneSeed
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/fault/simulation.h"

namespace mpp::sim {
namespace {

constexpr int kShards = 10;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

std::string Report(uint64_t seed, const SimResult& r) {
  std::string s =
      "seed " + std::to_string(seed) + " (" + std::to_string(r.sites) +
      " sites) broke a promise; replay it with\n  MPP_SIM_SEED=" + std::to_string(seed) +
      " build/tests/fault_simulation_test --gtest_filter=Simulation.ReplayOneSeed\n"
      "violations:\n";
  for (const auto& v : r.violations) s += "  " + v + "\n";
  s += "last events:\n";
  for (const auto& e : r.last_events) s += "  " + e + "\n";
  return s;
}

class SimulationShard : public ::testing::TestWithParam<int> {};

TEST_P(SimulationShard, EveryAcknowledgedWriteReachesTheCentreOnceAndReplicasConverge) {
  const int64_t seeds = EnvInt("MPP_SIM_SEEDS", 10'000);
  SimResult sum;
  int64_t runs = 0, failing = 0;
  for (int64_t seed = GetParam(); seed < seeds; seed += kShards) {
    const SimResult r = RunSimulation({.seed = static_cast<uint64_t>(seed)});
    ++runs;
    sum.sites += r.sites;
    sum.acked_writes += r.acked_writes;
    sum.syncs += r.syncs;
    sum.failed_syncs += r.failed_syncs;
    sum.messages += r.messages;
    sum.dropped += r.dropped;
    sum.duplicated += r.duplicated;
    sum.late += r.late;
    sum.site_crashes += r.site_crashes;
    sum.centre_crashes += r.centre_crashes;
    sum.io_errors += r.io_errors;
    sum.partitions += r.partitions;
    sum.clock_jumps += r.clock_jumps;
    sum.restamped += r.restamped;
    sum.conflicts += r.conflicts;
    sum.conflict_records += r.conflict_records;
    sum.backups += r.backups;
    sum.restores += r.restores;
    sum.empty_disks += r.empty_disks;
    sum.recovered += r.recovered;
    sum.renumbered += r.renumbered;
    sum.hostile_pushes += r.hostile_pushes;
    sum.hostile_refused += r.hostile_refused;
    if (!r.violations.empty()) {
      ADD_FAILURE() << Report(static_cast<uint64_t>(seed), r);
      if (++failing >= 3) break;
    }
  }
  std::printf(
      "simulation shard %d: %lld seeds, %d site replicas, %lld acknowledged writes, %lld syncs "
      "(%lld failed), %lld messages: %lld dropped, %lld duplicated, %lld late; %lld site "
      "crashes, %lld centre crashes, %lld I/O errors, %lld partitions, %lld clock jumps, %lld "
      "restamped, %lld conflicts (%lld records, the same at both ends); %lld backups, %lld disks "
      "restored from them, %lld disks "
      "replaced by empty ones, %lld changes recovered from the centre, %lld renumbered; %lld "
      "hostile pushes (%lld refused); %lld seeds with violations\n",
      GetParam(), static_cast<long long>(runs), sum.sites, static_cast<long long>(sum.acked_writes),
      static_cast<long long>(sum.syncs), static_cast<long long>(sum.failed_syncs),
      static_cast<long long>(sum.messages), static_cast<long long>(sum.dropped),
      static_cast<long long>(sum.duplicated), static_cast<long long>(sum.late),
      static_cast<long long>(sum.site_crashes), static_cast<long long>(sum.centre_crashes),
      static_cast<long long>(sum.io_errors), static_cast<long long>(sum.partitions),
      static_cast<long long>(sum.clock_jumps), static_cast<long long>(sum.restamped),
      static_cast<long long>(sum.conflicts), static_cast<long long>(sum.conflict_records),
      static_cast<long long>(sum.backups), static_cast<long long>(sum.restores),
      static_cast<long long>(sum.empty_disks), static_cast<long long>(sum.recovered),
      static_cast<long long>(sum.renumbered), static_cast<long long>(sum.hostile_pushes),
      static_cast<long long>(sum.hostile_refused), static_cast<long long>(failing));
}

INSTANTIATE_TEST_SUITE_P(Seeds, SimulationShard, ::testing::Range(0, kShards));

TEST(Simulation, ASeedReplaysExactly) {
  const SimResult a = RunSimulation({.seed = 4242});
  const SimResult b = RunSimulation({.seed = 4242});
  const SimResult c = RunSimulation({.seed = 4243});
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.acked_writes, b.acked_writes);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_NE(a.trace_hash, c.trace_hash);
}

// Planted bugs: the checker must notice. Each runs seeds until it does (at most 50).
int SeedsUntilCaught(PlantedBug bug, const std::string& word) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const SimResult r = RunSimulation({.seed = seed, .bug = bug});
    for (const auto& v : r.violations) {
      if (v.find(word) != std::string::npos) return static_cast<int>(seed);
    }
  }
  return 0;
}

TEST(Simulation, CheckerCatchesALostWrite) {
  const int seeds = SeedsUntilCaught(PlantedBug::kForgedAck, "LOST");
  EXPECT_GT(seeds, 0) << "a forged acknowledgement went unnoticed in 50 seeds";
  std::printf("planted lost write (forged acknowledgement): caught after %d seed(s)\n", seeds);
}

TEST(Simulation, CheckerCatchesADuplicate) {
  const int seeds = SeedsUntilCaught(PlantedBug::kRenumberedResend, "DUPLICATE");
  EXPECT_GT(seeds, 0) << "a renumbered resend went unnoticed in 50 seeds";
  std::printf("planted duplicate (renumbered resend): caught after %d seed(s)\n", seeds);
}

// The hostile site's writes, let through under its victim's name: the checker must see them.
TEST(Simulation, CheckerCatchesAHostileSitesWritesThatGetThrough) {
  const int seeds = SeedsUntilCaught(PlantedBug::kImpersonation, "");
  EXPECT_GT(seeds, 0) << "hostile writes under another site's name went unnoticed in 50 seeds";
  std::printf(
      "planted impersonation (a hostile site's pushes under its victim's name): caught "
      "after %d seed(s)\n",
      seeds);
}

TEST(Simulation, CheckerCatchesARestoredSiteWhoseNewWorkIsTakenForReplays) {
  const int seeds = SeedsUntilCaught(PlantedBug::kSwallowSiteBehind, "LOST");
  EXPECT_GT(seeds, 0) << "a swallowed site_behind went unnoticed in 50 seeds";
  std::printf("planted lost restore (site_behind taken for stored): caught after %d seed(s)\n",
              seeds);
}

TEST(Simulation, ReplayOneSeed) {
  const int64_t seed = EnvInt("MPP_SIM_SEED", -1);
  if (seed < 0) GTEST_SKIP() << "set MPP_SIM_SEED to replay one seed with every event";
  const SimResult r = RunSimulation({.seed = static_cast<uint64_t>(seed), .verbose = true});
  for (const auto& v : r.violations) ADD_FAILURE() << v;
  std::printf("seed %lld: trace hash %016llx\n", static_cast<long long>(seed),
              static_cast<unsigned long long>(r.trace_hash));
}

}  // namespace
}  // namespace mpp::sim
