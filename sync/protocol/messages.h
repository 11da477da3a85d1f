// The sync protocol's messages and their JSON, versions and body encoding
// (docs/protocol.md). Pure: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/change.h"
#include "sync/core/json_util.h"
#include "sync/core/result.h"

namespace mpp::protocol {

// This build speaks protocol 1. The centre serves its own version and the one before, so a
// site upgraded months after the centre keeps syncing.
constexpr int kProtocolVersion = 1;
constexpr int kOldestProtocolServed = 1;

// Headers on every sync request and response.
constexpr const char* kHeaderProtocol = "mpp-protocol";
constexpr const char* kHeaderSchema = "mpp-schema";
constexpr const char* kHeaderServerTime = "mpp-server-time";  // Unix ms, on responses
constexpr const char* kHeaderServerHlc = "mpp-server-hlc";    // decimal stamp, on responses

// Bodies over this size (compressed) are refused; decompressed, 8× that.
constexpr size_t kMaxSyncBody = 16 * 1024 * 1024;

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
};
Json ToJson(const PushResponse& r);
Result<PushResponse> PushResponseFromJson(const Json& j);

struct PullResponse {
  std::vector<Change> changes;
  int64_t next_cursor = 0;
  bool more = false;
};
Json ToJson(const PullResponse& r);
Result<PullResponse> PullResponseFromJson(const Json& j);

// The centre's check of a peer's versions: kIncompatibleVersion with what to upgrade when the
// protocol is outside [kOldestProtocolServed, kProtocolVersion] or the site's schema is newer
// than the centre's (the centre upgrades first).
Status CheckPeerVersions(int peer_protocol, int peer_schema, int my_schema);

// JSON → body bytes: zstd-compressed when `compress` (Content-Encoding: zstd).
std::string EncodeBody(const Json& j, bool compress);
// Body bytes → JSON, given the Content-Encoding ("" or "zstd"). kBadJson / kBodyTooLarge.
Result<Json> DecodeBody(std::string_view body, std::string_view content_encoding);

}  // namespace mpp::protocol
