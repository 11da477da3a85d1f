// Digests of replicated data, to prove two replicas hold the same rows (mppctl verify).
#pragma once

#include <string>

#include "sync/core/json.h"
#include "sync/core/merge.h"
#include "sync/db/database.h"

namespace mpp::store {

constexpr int kDigestBuckets = 16;

// What `site` may see, per replicated table: reference tables whole, site tables only the rows
// whose site_code is `site`. For each table: {"count": n, "hash": hex, "buckets": [{"count",
// "hash"} x16]}. A row's hash covers every column but the hlc stamps and the citizen columns
// each end keeps for itself (record_rules.h, IsPerEndColumn); hashes combine by XOR,
// so the digest does not depend on row order. Rows fall into buckets by the first hex digit of
// the hash of their key, so two digests name the ranges that differ.
Result<Json> ComputeDigest(db::Database& db, const MergePolicy& policy, const std::string& site);

// The tables (and buckets) where two digests differ: [] when they agree.
Json DiffDigests(const Json& a, const Json& b);

}  // namespace mpp::store
