#include "sync/store/digest.h"

#include <array>

#include "sync/core/hex.h"
#include "sync/store/record_rules.h"
#include "sync/store/rows.h"
#include "sync/store/versions.h"

namespace mpp::store {
namespace {

struct Acc {
  int64_t count = 0;
  std::array<unsigned char, 32> x{};
  void Add(const std::string& hex) {
    ++count;
    for (size_t i = 0; i < 32; ++i) {
      auto nib = [&](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
      x[i] ^= static_cast<unsigned char>(nib(hex[2 * i]) * 16 + nib(hex[2 * i + 1]));
    }
  }
  Json ToJson() const {
    return {
        {"count", count},
        {"hash", HexEncode(std::string_view(reinterpret_cast<const char*>(x.data()), x.size()))}};
  }
};

}  // namespace

Result<Json> ComputeDigest(db::Database& db, const MergePolicy& policy, const std::string& site) {
  Json out = Json::object();
  for (const auto& [name, t] : policy.tables()) {
    std::string sql = "SELECT * FROM " + name;
    if (t.per_site) sql += " WHERE site_code = ?";
    MPP_ASSIGN_OR_RETURN(auto stmt, db.Prepare(sql));
    if (t.per_site) stmt->Bind(1, site);
    Acc total;
    std::array<Acc, kDigestBuckets> buckets;
    for (;;) {
      MPP_ASSIGN_OR_RETURN(auto r, stmt->Step());
      if (!r) break;
      Json row = Json::object();  // keys sorted: a canonical form
      std::string key;
      for (int i = 0; i < stmt->ColumnCount(); ++i) {
        const std::string col = stmt->ColumnName(i);
        // Stamps are each replica's bookkeeping; the citizen columns each end's own.
        if (IsStampColumn(col) || IsPerEndColumn(col)) continue;
        row[col] = stmt->ColumnJson(i);
        if (col == t.key) key = stmt->ColumnText(i);
      }
      const std::string h = Sha256Hex(row.dump());
      total.Add(h);
      const char b = Sha256Hex(key)[0];
      buckets[static_cast<size_t>(b <= '9' ? b - '0' : b - 'a' + 10)].Add(h);
    }
    Json t_json = total.ToJson();
    t_json["buckets"] = Json::array();
    for (const auto& b : buckets) t_json["buckets"].push_back(b.ToJson());
    out[name] = std::move(t_json);
  }
  return out;
}

Json DiffDigests(const Json& a, const Json& b) {
  Json diff = Json::array();
  for (const auto& [table, da] : a.items()) {
    auto it = b.find(table);
    if (it == b.end()) {
      diff.push_back({{"table", table}, {"problem", "missing on one side"}});
      continue;
    }
    if (da["hash"] == (*it)["hash"] && da["count"] == (*it)["count"]) continue;
    Json ranges = Json::array();
    for (size_t i = 0; i < da["buckets"].size() && i < (*it)["buckets"].size(); ++i) {
      if (da["buckets"][i] != (*it)["buckets"][i]) {
        ranges.push_back(std::string(1, "0123456789abcdef"[i]));
      }
    }
    diff.push_back({{"table", table},
                    {"count_here", da["count"]},
                    {"count_there", (*it)["count"]},
                    {"key_hash_buckets", ranges}});
  }
  return diff;
}

}  // namespace mpp::store
