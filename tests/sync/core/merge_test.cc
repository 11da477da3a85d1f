#include "sync/core/merge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace mpp {
namespace {

TEST(MergeDecideTest, NewerWinsSameIsDuplicateOlderKeepsLocal) {
  const Version a{0, 100, "MPP7301"}, b{0, 200, "CENTRAL"};
  EXPECT_EQ(Decide(a, b, std::nullopt).outcome, MergeOutcome::kApply);
  EXPECT_EQ(Decide(b, a, std::nullopt).outcome, MergeOutcome::kKeepLocal);
  EXPECT_EQ(Decide(a, a, std::nullopt).outcome, MergeOutcome::kDuplicate);
  // Equal stamps: the origin code breaks the tie, the same way everywhere.
  const Version x{0, 100, "MPP7302"};
  EXPECT_EQ(Decide(a, x, std::nullopt).outcome, MergeOutcome::kApply);
  EXPECT_EQ(Decide(x, a, std::nullopt).outcome, MergeOutcome::kKeepLocal);
}

TEST(MergeDecideTest, RankComesBeforeTime) {
  const Version completed{3, 100, "MPP7301"}, verified_later{1, 999, "CENTRAL"};
  EXPECT_EQ(Decide(completed, verified_later, std::nullopt).outcome, MergeOutcome::kKeepLocal);
  EXPECT_EQ(Decide(verified_later, completed, std::nullopt).outcome, MergeOutcome::kApply);
}

TEST(MergeDecideTest, ConcurrentWhenTheWriterDidNotSeeTheLocalVersion) {
  const Version v0{0, 10, "MPP7301"}, site{0, 20, "MPP7301"}, centre{0, 30, "CENTRAL"};
  // The centre wrote over v0 while the site had already moved to `site`: concurrent.
  EXPECT_TRUE(Decide(site, centre, Version{0, v0.hlc, v0.origin}).concurrent);
  // The centre wrote over `site`: a later edit, not a conflict.
  EXPECT_FALSE(Decide(site, centre, Version{0, site.hlc, site.origin}).concurrent);
  // The writer saw something newer than what we hold: not a conflict either.
  EXPECT_FALSE(Decide(v0, centre, Version{0, site.hlc, site.origin}).concurrent);
}

TEST(MergePolicyTest, ParsesTheShippedRules) {
  auto p = MergePolicy::Parse(
      R"({"applications":{"owner":"site","groups":{"status":["status","completed_at"]},
      "state_machine":{"group":"status","ranks":{"received":0,"completed":3}}},
      "services":{"owner":"centre","key":"code"}})");
  ASSERT_TRUE(p.ok()) << p.error().message;
  const TablePolicy* a = p->Find("applications");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->GroupOf("completed_at"), "status");
  EXPECT_EQ(a->GroupOf("notes"), "notes");
  EXPECT_EQ(a->RankOf("status", Json{{"status", "completed"}}), 3);
  EXPECT_TRUE(p->Find("services")->centre_owned);
  EXPECT_FALSE(MergePolicy::Parse(R"({"t":{"owner":"nobody"}})").ok());
  EXPECT_FALSE(MergePolicy::Parse(R"({"t":{"owner":"site","centre_writes":7}})").ok());
  // Found by fuzz_merge (UBSan): a rank beyond int was converted with undefined behaviour.
  for (const char* rank : {"7.77778e+70", "1.5", "-1", "\"2\""}) {
    auto bad = MergePolicy::Parse(std::string(R"({"t":{"owner":"site","groups":{"s":["s"]},)") +
                                  R"("state_machine":{"group":"s","ranks":{"a":)" + rank + "}}}}");
    EXPECT_FALSE(bad.ok()) << rank;
  }
}

// Property: replicas that receive the same set of changes, in any order and with any
// repetition, end up identical. Each case: 2-5 replicas, 3 rows with a state-machine column
// and two plain columns, 5-40 random writes, every change delivered to every replica in a
// random order with random duplicates.
struct Cell {
  Version version;
  std::string value;
};
using Replica = std::map<std::pair<int, std::string>, Cell>;

struct Write {
  int row;
  std::string group;
  Version version;
  std::optional<Version> base;
  std::string value;
};

void Apply(Replica& r, const Write& w) {
  Cell& cell = r[{w.row, w.group}];
  if (Decide(cell.version, w.version, w.base).outcome == MergeOutcome::kApply) {
    cell = {w.version, w.value};
  }
}

TEST(MergePropertyTest, AnyOrderAnyRepetitionSameState) {
  const std::map<std::string, int> ranks = {
      {"received", 0}, {"verified", 1}, {"in_process", 2}, {"completed", 3}, {"rejected", 3}};
  const std::vector<std::string> states = {"received", "verified", "in_process", "completed",
                                           "rejected"};
  int cases = 0, writes_total = 0, deliveries_total = 0;
  for (uint64_t seed = 1; seed <= 20000; ++seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const int n = pick(2, 5);
    std::vector<Replica> replicas(static_cast<size_t>(n));
    std::vector<HlcStamp> clocks(static_cast<size_t>(n), 1000);
    std::vector<Write> log;
    const int writes = pick(5, 40);
    for (int i = 0; i < writes; ++i) {
      const auto r = static_cast<size_t>(pick(0, n - 1));
      const int row = pick(0, 2);
      const std::string group =
          std::vector<std::string>{"status", "notes", "fee"}[static_cast<size_t>(pick(0, 2))];
      // Skewed clocks: a replica may stamp behind another, as island PCs do.
      clocks[r] += static_cast<HlcStamp>(pick(1, 50));
      Cell& local = replicas[r][{row, group}];
      std::string value;
      int rank = 0;
      if (group == "status") {
        // A writer only moves its state machine forward from what it holds.
        const int cur = local.value.empty() ? 0 : ranks.at(local.value);
        std::vector<std::string> allowed;
        for (const auto& s : states) {
          if (ranks.at(s) >= cur) allowed.push_back(s);
        }
        value = allowed[static_cast<size_t>(pick(0, static_cast<int>(allowed.size()) - 1))];
        rank = ranks.at(value);
      } else {
        value = "v" + std::to_string(pick(0, 9));
      }
      Write w{row, group, Version{rank, clocks[r], "R" + std::to_string(r)},
              Version{0, local.version.hlc, local.version.origin}, value};
      Apply(replicas[r], w);
      log.push_back(w);
      // Sometimes a replica hears of others' writes before writing again (causal updates).
      if (pick(0, 3) == 0 && !log.empty()) {
        const auto& other = log[static_cast<size_t>(pick(0, static_cast<int>(log.size()) - 1))];
        Apply(replicas[r], other);
        clocks[r] = std::max(clocks[r], other.version.hlc);
      }
    }
    for (auto& replica : replicas) {
      std::vector<const Write*> deliveries;
      for (const auto& w : log) {
        const int copies = pick(1, 3);
        for (int c = 0; c < copies; ++c) deliveries.push_back(&w);
      }
      std::shuffle(deliveries.begin(), deliveries.end(), rng);
      for (const Write* w : deliveries) Apply(replica, *w);
      deliveries_total += static_cast<int>(deliveries.size());
    }
    for (int r = 1; r < n; ++r) {
      for (const auto& [key, cell] : replicas[0]) {
        const Cell& other = replicas[static_cast<size_t>(r)][key];
        ASSERT_EQ(cell.value, other.value)
            << "seed " << seed << " replica " << r << " row " << key.first << " " << key.second;
        ASSERT_EQ(cell.version, other.version) << "seed " << seed;
      }
    }
    ++cases;
    writes_total += writes;
  }
  std::printf("merge property: %d seeded cases, %d writes, %d deliveries, 0 divergences\n", cases,
              writes_total, deliveries_total);
}

}  // namespace
}  // namespace mpp
