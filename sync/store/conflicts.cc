#include "sync/store/conflicts.h"

#include "sync/core/hex.h"
#include "sync/store/change_log.h"
#include "sync/store/rows.h"

namespace mpp::store {

Result<Json> ListConflicts(db::Database& db, const std::optional<std::string>& status) {
  if (status && *status != "open" && *status != "resolved") {
    return MakeError(Errc::kOutOfRange, "'status' must be open or resolved");
  }
  MPP_ASSIGN_OR_RETURN(
      auto stmt,
      db.Cached(
          "SELECT id, table_name, row_id, col, winner_value, winner_hlc, winner_origin, "
          "loser_value, loser_hlc, loser_origin, status, detected_at, resolved_at, resolution, "
          "site_code FROM conflicts "
          "WHERE ?1 IS NULL OR status = ?1 ORDER BY detected_at DESC, id LIMIT 1000"));
  db::StatementRef s(stmt);
  s->Bind(1, status);
  Json items = Json::array();
  for (;;) {
    MPP_ASSIGN_OR_RETURN(auto r, s->Step());
    if (!r) break;
    MPP_ASSIGN_OR_RETURN(const Json winner,
                         ParseStoredJson(s->ColumnText(4), "conflicts.winner_value"));
    MPP_ASSIGN_OR_RETURN(const Json loser,
                         ParseStoredJson(s->ColumnText(7), "conflicts.loser_value"));
    auto side = [&](const Json& value, int h, int o) {
      return Json{
          {"value", value}, {"hlc", std::to_string(s->ColumnInt(h))}, {"origin", s->ColumnText(o)}};
    };
    items.push_back({{"id", s->ColumnText(0)},
                     {"site_code", s->ColumnText(14)},
                     {"table", s->ColumnText(1)},
                     {"row_id", s->ColumnText(2)},
                     {"column", s->ColumnText(3)},
                     {"winner", side(winner, 5, 6)},
                     {"loser", side(loser, 8, 9)},
                     {"status", s->ColumnText(10)},
                     {"detected_at", s->ColumnText(11)},
                     {"resolved_at", s->ColumnJson(12)},
                     {"resolution", s->ColumnJson(13)}});
  }
  return Json{{"items", std::move(items)}};
}

Result<Resolution> PlanResolution(db::Database& db, const MergePolicy& policy,
                                  const std::string& id, const Json& body) {
  if (!body.is_object() || body.size() != 1 || !(body.contains("keep") || body.contains("value"))) {
    return MakeError(Errc::kMissingField,
                     "send {\"keep\":\"winner\"}, {\"keep\":\"loser\"} or {\"value\": ...}");
  }
  MPP_ASSIGN_OR_RETURN(
      auto stmt,
      db.Cached("SELECT table_name, row_id, col, winner_value, loser_value, status, winner_hlc "
                "FROM conflicts WHERE id = ?"));
  db::StatementRef s(stmt);
  s->Bind(1, id);
  MPP_ASSIGN_OR_RETURN(auto r, s->Step());
  if (!r) return MakeError(Errc::kNotFound, "no conflict with id '" + id + "'");
  if (s->ColumnText(5) != "open") {
    return MakeError(Errc::kIllegalTransition, "conflict " + id + " is already resolved");
  }
  Resolution res{s->ColumnText(0), s->ColumnText(1), s->ColumnText(2),
                 static_cast<HlcStamp>(s->ColumnInt(6)), Json::object()};
  MPP_ASSIGN_OR_RETURN(const Json winner,
                       ParseStoredJson(s->ColumnText(3), "conflicts.winner_value"));
  MPP_ASSIGN_OR_RETURN(const Json loser,
                       ParseStoredJson(s->ColumnText(4), "conflicts.loser_value"));
  Json value;
  if (body.contains("keep")) {
    const Json& keep = body["keep"];
    if (keep != "winner" && keep != "loser") {
      return MakeError(Errc::kOutOfRange, "'keep' must be winner or loser");
    }
    value = keep == "winner" ? winner : loser;
  } else {
    value = body["value"];
  }
  const TablePolicy* t = policy.Find(res.table);
  if (!t) return MakeError(Errc::kInvalidValue, "conflict names an unknown table");
  if (res.group == t->state_machine_group &&
      t->RankOf(res.group, value) < t->RankOf(res.group, winner)) {
    return MakeError(Errc::kIllegalTransition,
                     "a status never moves back to an earlier stage; keep the winner or choose a "
                     "status of the same stage");
  }
  const auto cols = t->ColumnsOf(res.group);
  if (cols.size() == 1) {
    if (value.is_object() || value.is_array()) {
      return MakeError(Errc::kInvalidType, "'value' must be a scalar for column " + res.group);
    }
    res.columns[cols[0]] = value;
  } else {
    if (!value.is_object()) {
      return MakeError(Errc::kInvalidType, "'value' must be an object of the group's columns");
    }
    for (const auto& c : cols) res.columns[c] = value.value(c, Json(nullptr));
  }
  return res;
}

namespace {

const std::string kTable = "conflicts";

ChangeStamp CentreStamp(Hlc& hlc, const std::string& site) {
  return {hlc.Now(), kCentreOrigin, site};
}

Result<std::optional<std::string>> SiteOf(db::Database& db, const std::string& id) {
  return db.QueryText("SELECT site_code FROM conflicts WHERE id = ?", {id});
}

Status Close(db::Database& db, const MergePolicy& policy, const std::string& id,
             const std::string& site, const std::string& now, const std::string& resolution,
             Hlc& hlc) {
  return UpdateWithChange(
      db, policy, kTable, id,
      {{"status", "resolved"}, {"resolved_at", now}, {"resolution", resolution}},
      CentreStamp(hlc, site));
}

}  // namespace

Status RecordConflict(db::Database& db, const MergePolicy& policy, const ConflictNote& n,
                      const std::string& now, Hlc& hlc) {
  const std::string id = Sha256Hex(n.table + "|" + n.row_id + "|" + n.group + "|" +
                                   std::to_string(n.winner.hlc) + "|" + n.winner.origin)
                             .substr(0, 32);
  MPP_ASSIGN_OR_RETURN(
      auto known,
      db.QueryInt("SELECT COALESCE(MAX(loser_hlc), -1) FROM conflicts WHERE id = ?", {id}));
  const auto loser_hlc = static_cast<int64_t>(n.loser.hlc);
  if (known >= 0) {
    if (loser_hlc <= known) return {};  // seen already
    return UpdateWithChange(db, policy, kTable, id,
                            {{"loser_value", n.loser_value.dump()},
                             {"loser_hlc", loser_hlc},
                             {"loser_origin", n.loser.origin}},
                            CentreStamp(hlc, n.site_code));
  }
  return InsertWithChange(db, policy, kTable,
                          {{"id", id},
                           {"site_code", n.site_code},
                           {"table_name", n.table},
                           {"row_id", n.row_id},
                           {"col", n.group},
                           {"winner_value", n.winner_value.dump()},
                           {"winner_hlc", static_cast<int64_t>(n.winner.hlc)},
                           {"winner_origin", n.winner.origin},
                           {"loser_value", n.loser_value.dump()},
                           {"loser_hlc", loser_hlc},
                           {"loser_origin", n.loser.origin},
                           {"detected_at", now},
                           {"status", "open"},
                           {"resolved_at", nullptr},
                           {"resolution", nullptr}},
                          CentreStamp(hlc, n.site_code));
}

Status SettleConflicts(db::Database& db, const MergePolicy& policy, const std::string& table,
                       const std::string& row_id, const std::string& group, const std::string& now,
                       const std::string& resolution, Hlc& hlc) {
  MPP_ASSIGN_OR_RETURN(
      const Json open,
      QueryAll(db,
               "SELECT id, site_code FROM conflicts WHERE table_name = ? AND row_id = ? AND "
               "col = ? AND status = 'open'",
               {table, row_id, group}));
  for (const Json& c : open) {
    MPP_RETURN_IF_ERROR(Close(db, policy, c["id"], c["site_code"], now, resolution, hlc));
  }
  return {};
}

Status MarkResolved(db::Database& db, const MergePolicy& policy, const std::string& id,
                    const std::string& now, const std::string& resolution, Hlc& hlc) {
  MPP_ASSIGN_OR_RETURN(auto site, SiteOf(db, id));
  if (!site) return MakeError(Errc::kNotFound, "no conflict with id '" + id + "'");
  return Close(db, policy, id, *site, now, resolution, hlc);
}

}  // namespace mpp::store
