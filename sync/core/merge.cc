#include "sync/core/merge.h"

namespace mpp {

std::string TablePolicy::GroupOf(const std::string& column) const {
  for (const auto& [group, cols] : groups) {
    for (const auto& c : cols) {
      if (c == column) return group;
    }
  }
  return column;
}

std::vector<std::string> TablePolicy::ColumnsOf(const std::string& group) const {
  auto it = groups.find(group);
  if (it != groups.end()) return it->second;
  return {group};
}

int TablePolicy::RankOf(const std::string& group, const Json& group_value) const {
  if (group != state_machine_group) return 0;
  const Json* v = &group_value;
  if (group_value.is_object()) {
    auto it = group_value.find(group);
    if (it == group_value.end()) return 0;
    v = &*it;
  }
  if (!v->is_string()) return 0;
  auto r = ranks.find(v->get<std::string>());
  return r == ranks.end() ? 0 : r->second;
}

Result<MergePolicy> MergePolicy::Parse(std::string_view json) {
  try {
    return ParseRules(json);
  } catch (const Json::exception& e) {
    return MakeError(Errc::kConfig, std::string("merge rules: ") + e.what());
  }
}

Result<MergePolicy> MergePolicy::ParseRules(std::string_view json) {
  auto parsed = ParseJson(json);
  if (!parsed) return MakeError(Errc::kConfig, "merge rules: " + parsed.error().message);
  MergePolicy policy;
  for (const auto& item : parsed->items()) {
    const std::string& name = item.key();  // not a structured binding: the lambda names it
    const Json& rule = item.value();
    if (name.starts_with("_")) continue;
    auto bad = [&](const std::string& why) {
      return MakeError(Errc::kConfig, "merge rules for '" + name + "': " + why);
    };
    if (!rule.is_object()) return bad("not an object");
    TablePolicy t;
    t.name = name;
    const std::string owner = rule.value("owner", "");
    if (owner != "site" && owner != "centre") return bad("owner must be site or centre");
    t.centre_owned = owner == "centre";
    t.per_site = !t.centre_owned || rule.value("per_site", false);
    t.kept_by_centre = rule.value("kept_by_centre", false);
    t.key = rule.value("key", "id");
    t.append_only = rule.value("append_only", false);
    if (auto cw = rule.find("centre_writes"); cw != rule.end()) {
      for (const auto& c : *cw) t.centre_writes.insert(c.get<std::string>());
    }
    if (auto gs = rule.find("groups"); gs != rule.end()) {
      for (const auto& [g, cols] : gs->items()) t.groups[g] = cols.get<std::vector<std::string>>();
    }
    if (auto sm = rule.find("state_machine"); sm != rule.end()) {
      t.state_machine_group = sm->value("group", "");
      if (!t.groups.count(t.state_machine_group)) return bad("state_machine group is not a group");
      if (auto ranks = sm->find("ranks"); ranks != sm->end()) {
        for (const auto& [state, rank] : ranks->items()) {
          // Whole numbers only: a float beyond int would make the conversion undefined.
          if (!rank.is_number_integer() || rank.get<int64_t>() < 0 || rank.get<int64_t>() > 1000) {
            return bad("state_machine ranks must be whole numbers from 0 to 1000");
          }
          t.ranks[state] = static_cast<int>(rank.get<int64_t>());
        }
      }
    }
    policy.tables_.emplace(name, std::move(t));
  }
  return policy;
}

const TablePolicy* MergePolicy::Find(std::string_view table) const {
  auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : &it->second;
}

TablePolicy* MergePolicy::FindMutable(std::string_view table) {
  auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : &it->second;
}

MergeDecision Decide(const Version& local, const Version& incoming,
                     const std::optional<Version>& base) {
  if (incoming.SameWrite(local)) return {MergeOutcome::kDuplicate, false};
  // Concurrent: the writer had seen neither the local version nor anything newer than it.
  bool concurrent = false;
  if (base && !base->SameWrite(local)) {
    const bool base_newer = std::tie(base->hlc, base->origin) > std::tie(local.hlc, local.origin);
    concurrent = !base_newer;
  }
  return {incoming > local ? MergeOutcome::kApply : MergeOutcome::kKeepLocal, concurrent};
}

}  // namespace mpp
