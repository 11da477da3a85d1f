// The sync protocol's messages, their JSON and their body encoding (docs/protocol.md).
// Pure: no I/O. Paths, headers, versions and peers are in wire.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/json.h"
#include "sync/core/result.h"

namespace mpp::protocol {

// The largest sync body, compressed or decompressed: a push batch is at most 256 KiB of
// changes (SyncOptions::max_batch_bytes) and a pull page at most kMaxPageBytes, so a larger
// body is not one a peer of this build sends. With kMaxJsonValues and kMaxBatchChanges it
// bounds what one request can cost the centre (docs/reliability.md, request cost).
constexpr size_t kMaxSyncBody = 8 * 1024 * 1024;
// The largest pull page a site may ask for (?max_bytes=).
constexpr size_t kMaxPageBytes = 4 * 1024 * 1024;

struct PushRequest {
  std::string site;
  int64_t first_seq = 0;
  std::vector<Change> changes;
};
Json ToJson(const PushRequest& r);
Result<PushRequest> PushRequestFromJson(const Json& j);

struct PushResponse {
  int64_t acked_seq = 0;
  int applied = 0, duplicates = 0, kept_local = 0, conflicts = 0;
  // Changes the centre refused one by one and set aside (quarantine), and the first few of
  // them: [{"seq", "code", "message"}].
  int quarantined = 0;
  Json refused = Json::array();
};
Json ToJson(const PushResponse& r);
Result<PushResponse> PushResponseFromJson(const Json& j);

struct PullResponse {
  std::vector<Change> changes;
  int64_t next_cursor = 0;
  bool more = false;
  // How far the centre holds the pulling site's own changes (-1: not said). A site whose
  // acknowledged point is below it has a disk older than what it sent, and recovers.
  int64_t site_acked_seq = -1;
};
Json ToJson(const PullResponse& r);
Result<PullResponse> PullResponseFromJson(const Json& j);

// JSON → body bytes: zstd-compressed when `compress` (Content-Encoding: zstd).
std::string EncodeBody(const Json& j, bool compress);
// Body bytes → JSON, given the Content-Encoding ("" or "zstd"). kBadJson / kBodyTooLarge.
Result<Json> DecodeBody(std::string_view body, std::string_view content_encoding);

}  // namespace mpp::protocol
