// The merge rules (schema/merge_rules.json) and the one decision every replica takes when a
// change meets what it holds. Pure: no I/O.
//
// Per column (or column group): the version that is greater in Version's total order wins.
// That makes the merge commutative, associative and idempotent: replicas that have seen the
// same set of changes hold the same values, in any order, with any repetition. A state-machine
// group's rank comes first, so a terminal status never falls back to an earlier stage.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/result.h"

namespace mpp {

struct TablePolicy {
  std::string name;
  std::string key = "id";
  bool centre_owned = false;  // written by the centre only (reference data, conflicts)
  // Rows carry a site_code and belong to that site: every site-owned table, and the centre's
  // conflict records (each about one site's row). A replica's digest for a site covers these.
  bool per_site = false;
  bool kept_by_centre = false;          // written by the centre's own rules, never edited by hand
  bool append_only = false;             // rows are never updated
  std::set<std::string> centre_writes;  // columns the centre may set on site rows
  std::map<std::string, std::vector<std::string>> groups;  // group → its columns
  std::string state_machine_group;                         // "" if none
  std::map<std::string, int> ranks;                        // state value → rank
  std::set<std::string> columns;                           // filled from the database schema

  // The group a column merges in: its group's name, or the column itself.
  std::string GroupOf(const std::string& column) const;
  // The columns of a group (a lone column is its own group).
  std::vector<std::string> ColumnsOf(const std::string& group) const;
  // The rank of a group's value: the state's rank for the state-machine group, else 0.
  int RankOf(const std::string& group, const Json& group_value) const;
};

class MergePolicy {
 public:
  // Parses merge_rules.json. kConfig naming the problem.
  static Result<MergePolicy> Parse(std::string_view json);
  const TablePolicy* Find(std::string_view table) const;
  TablePolicy* FindMutable(std::string_view table);
  const std::map<std::string, TablePolicy, std::less<>>& tables() const { return tables_; }

 private:
  static Result<MergePolicy> ParseRules(std::string_view json);  // may throw Json::exception
  std::map<std::string, TablePolicy, std::less<>> tables_;
};

enum class MergeOutcome {
  kApply,      // incoming is newer: write it
  kDuplicate,  // the very same write: nothing to do
  kKeepLocal,  // local is newer: keep it
};

struct MergeDecision {
  MergeOutcome outcome;
  // The incoming write was made without seeing the local one (its base is neither the local
  // version nor newer): a concurrent edit, to be recorded with both values.
  bool concurrent;
};

// `base` is the version the incoming writer overwrote (hlc and origin; rank ignored), if known.
MergeDecision Decide(const Version& local, const Version& incoming,
                     const std::optional<Version>& base);

}  // namespace mpp
