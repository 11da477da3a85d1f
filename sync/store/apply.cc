#include "sync/store/apply.h"

#include <algorithm>
#include <set>

#include "sync/store/change_log.h"
#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

// A group's value: the column's value, or an object of the group's columns.
Json GroupValue(const TablePolicy& t, const std::string& group, const Json& source) {
  const auto cols = t.ColumnsOf(group);
  if (cols.size() == 1) return source.value(cols[0], Json(nullptr));
  Json v = Json::object();
  for (const auto& c : cols) v[c] = source.value(c, Json(nullptr));
  return v;
}

Status InsertRemoteRow(db::Database& db, const TablePolicy& t, const Change& c) {
  Json row = c.data;
  SetStampColumns(t, row, c.hlc, /*new_row=*/true);
  MPP_RETURN_IF_ERROR(InsertRow(db, t.name, row));
  RowVersions v;
  v.hlc = c.hlc;
  v.origin = c.origin;
  return SaveVersions(db, t.name, c.row_id, v);
}

}  // namespace

Status ApplyChange(db::Database& db, const MergePolicy& policy, const Change& c, ApplyStats& stats,
                   MergeNotes* notes) {
  const TablePolicy* t = policy.Find(c.table);
  if (!t) return MakeError(Errc::kForbiddenTable, "table '" + c.table + "' is not replicated");
  for (const auto& [col, value] : c.data.items()) {
    if (!t->columns.count(col) || IsStampColumn(col)) {
      return MakeError(Errc::kInvalidValue,
                       "table '" + c.table + "' has no replicated column '" + col + "'");
    }
    if (value.is_object() || value.is_array()) {
      return MakeError(Errc::kInvalidType, c.table + "." + col + " must be a single value");
    }
  }
  // The versions a change says it overwrote: only of groups it writes, each by a writer's name
  // (found by an attacker's review: any text was kept, and served back, as it came).
  for (const auto& [group, version] : c.base.items()) {
    bool written = false;
    for (const auto& [col, _] : c.data.items()) written = written || t->GroupOf(col) == group;
    const std::string origin = version[1].get<std::string>();
    const bool named = origin.size() <= 16 &&  // "" for a version from before any stamp
                       std::all_of(origin.begin(), origin.end(), [](char ch) {
                         return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                       });
    if (!written || !named) {
      return MakeError(Errc::kInvalidValue,
                       "a change's base names only groups it writes, each with the site code or "
                       "CENTRAL that wrote the version it overwrote (or none)");
    }
  }
  for (const std::string& col : {t->key, std::string("site_code")}) {
    auto v = c.data.find(col);
    if (v != c.data.end() && !v->is_string()) {
      return MakeError(Errc::kInvalidType, c.table + "." + col + " must be a string");
    }
  }
  const bool from_centre = c.origin == kCentreOrigin;
  if (t->centre_owned && !from_centre) {
    return MakeError(Errc::kForbiddenTable,
                     "'" + c.table + "' is reference data owned by the centre");
  }
  MPP_ASSIGN_OR_RETURN(const Json row, LoadRow(db, *t, c.row_id));
  // The rules of the office apply to what any replica sends: types, ranges, enumerations,
  // times, no NIK in text, and references to rows that exist and are of the same site.
  MPP_RETURN_IF_ERROR(
      CheckRow(db, c.table, c.data, /*whole=*/row.is_null() && c.op == "insert",
               row.is_null() ? c.data.value("site_code", "") : row.value("site_code", "")));

  if (row.is_null()) {
    if (c.op != "insert") {
      return MakeError(Errc::kMissingRow, "update of " + c.table + " " + c.row_id +
                                              " which this replica has never seen");
    }
    if (!t->centre_owned && from_centre) {
      return MakeError(Errc::kForbiddenTable, "the centre does not create a site's " + c.table);
    }
    if (!t->centre_owned && c.data.value("site_code", "") != c.origin) {
      return MakeError(Errc::kForbiddenRow, "a site may only create rows with its own site_code");
    }
    if (c.data.value(t->key, "") != c.row_id) {
      return MakeError(Errc::kInvalidValue,
                       "change row '" + c.row_id + "' does not match its " + t->key + " column");
    }
    MPP_RETURN_IF_ERROR(InsertRemoteRow(db, *t, c));
    ++stats.applied;
    return {};
  }

  if (!t->centre_owned) {
    if (!from_centre && row["site_code"] != c.origin) {
      return MakeError(Errc::kForbiddenRow, c.table + " " + c.row_id + " belongs to site " +
                                                row["site_code"].get<std::string>());
    }
    if (from_centre) {
      for (const auto& [col, _] : c.data.items()) {
        if (!t->centre_writes.count(col)) {
          return MakeError(Errc::kForbiddenColumn,
                           "the centre may not set " + c.table + "." + col + " of a site's row");
        }
      }
    }
  }
  // A row's key and its owner never change: a site that renamed its row, or gave it to
  // another site, would leave every other replica unable to follow.
  for (const std::string& col : {t->key, std::string("site_code")}) {
    auto v = c.data.find(col);
    if (v != c.data.end() && row.contains(col) && *v != row[col]) {
      return MakeError(Errc::kForbiddenColumn,
                       c.table + "." + col + " of " + c.row_id + " never changes");
    }
  }
  if (notes) notes->site_code = row.value("site_code", "");
  if (t->append_only && c.op == "update") {
    return MakeError(Errc::kForbiddenTable, c.table + " is append-only");
  }
  if (t->append_only) {  // an insert of a row that is here already: the same record again
    ++stats.duplicates;
    return {};
  }

  MPP_ASSIGN_OR_RETURN(RowVersions versions, LoadVersions(db, c.table, c.row_id));
  std::set<std::string> groups;
  for (const auto& [col, _] : c.data.items()) groups.insert(t->GroupOf(col));
  Json sets = Json::object();
  int applied = 0, duplicates = 0;
  for (const std::string& g : groups) {
    const Version local = versions.Get(g, t->RankOf(g, row));
    const Version incoming{t->RankOf(g, c.data), c.hlc, c.origin};
    std::optional<Version> base;
    if (auto b = c.base.find(g); b != c.base.end()) {
      base = Version{0, (*b)[0].get<HlcStamp>(), (*b)[1].get<std::string>()};
    }
    const MergeDecision d = Decide(local, incoming, base);
    // The replica that keeps conflict records; never of a column each end keeps for itself
    // (a record of it would hand the site the centre's value).
    if (d.concurrent && notes && !IsPerEndColumn(g)) {
      const Json local_value = GroupValue(*t, g, row), incoming_value = GroupValue(*t, g, c.data);
      // Two writers who set the same value did not disagree: nothing for a person to decide.
      if (local_value != incoming_value) {
        const bool in_wins = d.outcome == MergeOutcome::kApply;
        notes->conflicts.push_back(
            {c.table, c.row_id, row.value("site_code", ""), g, in_wins ? incoming : local,
             in_wins ? incoming_value : local_value, in_wins ? local : incoming,
             in_wins ? local_value : incoming_value});
        ++stats.conflicts;
      }
    }
    if (d.outcome == MergeOutcome::kDuplicate) {
      ++duplicates;
      continue;
    }
    if (d.outcome != MergeOutcome::kApply) continue;
    ++applied;
    // A column of the group the change leaves out (a writer from before groups were written
    // whole) keeps its value here rather than being cleared.
    for (const auto& col : t->ColumnsOf(g)) sets[col] = c.data.value(col, row.value(col, Json()));
    versions.Set(g, incoming);
    if (!d.concurrent && base && notes) notes->superseded_groups.push_back(g);
  }
  if (applied > 0) {
    if (t->columns.count("updated_hlc") &&
        row["updated_hlc"].get<int64_t>() < static_cast<int64_t>(c.hlc)) {
      sets["updated_hlc"] = static_cast<int64_t>(c.hlc);
    }
    MPP_RETURN_IF_ERROR(UpdateRow(db, t->name, t->key, c.row_id, sets));
    MPP_RETURN_IF_ERROR(SaveVersions(db, c.table, c.row_id, versions));
    ++stats.applied;
  } else if (duplicates == static_cast<int>(groups.size())) {
    ++stats.duplicates;
  } else {
    ++stats.kept_local;
  }
  return {};
}

}  // namespace mpp::store
