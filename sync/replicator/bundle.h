// USB bundles (docs/protocol.md, "Bundles"): the sync protocol's own requests and answers,
// carried on a stick when there is no link. A site's bundle holds the push requests a sync
// would send and its pull request (`mppctl export`); the centre answers each with the same
// CentralEndpoint::Handle as over the network (`mpp-central import`), and makes a bundle for
// the site of what it holds of it and the pages of its feed (`mpp-central export`), which
// the site's Replicator pulls through the same Pull as a sync (`mppctl import`). So the
// exactly-once rules, the checks of every change and the merge are the network's. Signing
// and checking who sent a bundle are the programs' (sync/net/signed_file.h); this is the
// content.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/clock.h"
#include "sync/core/json.h"
#include "sync/core/result.h"
#include "sync/replicator/central_endpoint.h"
#include "sync/replicator/replicator.h"
#include "sync/store/site_replica.h"

namespace mpp::replicator {

// The largest bundle content, decompressed (weeks of a busy site's work are a few MiB), and
// the most JSON values in it (a change is about 20): what a hostile bundle can make a program
// hold in memory, about a GiB at worst.
constexpr size_t kMaxBundleBytes = 64u << 20;
constexpr size_t kMaxBundleValues = 8u << 20;
// The sender's name in a bundle the centre makes; sites are named by their code.
constexpr std::string_view kBundleFromCentre = "centre";

// One request of the protocol and, once answered, its answer.
struct Exchange {
  std::string method;  // "POST" or "GET"
  std::string target;  // "/sync/v1/push", "/sync/v1/pull?after=N&max_bytes=N", ...
  Json body;           // the request's JSON body; null for a GET
  int status = 0;      // 0 until answered
  Json response;       // the answer's JSON body
};

struct Bundle {
  std::string id;          // random, for the logs and the history
  std::string from;        // a site's code, or kBundleFromCentre
  std::string to;          // kBundleFromCentre, or a site's code
  std::string created_at;  // RFC 3339 UTC, the sender's clock
  int protocol = 0;        // the sender's versions (the headers of a network request)
  int schema = 0;
  std::vector<Exchange> exchanges;
};

// The content of a bundle file: zstd of its JSON.
std::string EncodeBundle(const Bundle& bundle);
// kBadBundle when `content` is not a bundle of this format (naming what is wrong);
// kBodyTooLarge beyond kMaxBundleBytes.
Result<Bundle> DecodeBundle(std::string_view content);

// A fresh bundle id: 32 hex digits from `random`.
std::string NewBundleId(Random& random);

// ---- the site's side (mppctl export, import)

// This site's pending changes (after the acknowledged point; from its first with
// `everything`) as the push requests a sync sends, in batches of options.max_batch_bytes, and
// a pull request from its cursor: a bundle to the centre. Records the export in the sync
// history (pushed: the changes in it); changes nothing else.
Result<Bundle> ExportSiteBundle(store::SiteReplica& replica, Clock& clock,
                                const SyncOptions& options, bool everything, std::string id);

// A bundle the centre made for this site (who signed it is the caller's check; its `to` must
// be this site): what the centre holds of this site is acknowledged, as a push's answer is,
// and the feed's pages are pulled by the Replicator's own Pull, from this site's cursor. A
// bundle imported twice, or one older than what this site has, changes nothing. kSiteBehind
// when the centre holds more of this site than this disk has (a disk restored from a backup:
// sync over the network once, which recovers it). Recorded in the sync history.
Result<SyncReport> ImportSiteBundle(store::SiteReplica& replica, Clock& clock,
                                    const SyncOptions& options, const Bundle& bundle);

// ---- the centre's side (mpp-central import, export)

// Answers each exchange of a site's bundle, in order, with endpoint.Handle as from `peer` (the
// bundle's signer; the caller checks it is the bundle's `from`), and stops at the first one
// refused. Only pushes and pulls may be in it (kBadBundle otherwise, nothing done). Returns
// the bundle with its answers filled in.
Result<Bundle> AnswerSiteBundle(CentralEndpoint& endpoint, Bundle bundle,
                                const protocol::Peer& peer);

// A bundle for `site`: what the centre holds of it (an answered hello) and the pages of its
// feed after the cursor it last pulled from (CentralStore::PullCursor).
Result<Bundle> MakeBundleFor(CentralEndpoint& endpoint, store::CentralStore& store,
                             const std::string& site, std::string id, Clock& clock,
                             int schema_version);

}  // namespace mpp::replicator
