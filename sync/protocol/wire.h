// The sync protocol's wire vocabulary, in one place for both ends (docs/protocol.md): the
// endpoint paths, the headers every sync request and response carries, the versions a peer
// declares, and who a peer is according to its certificate. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sync/core/result.h"
#include "sync/http/message.h"

namespace mpp::protocol {

// This build speaks protocol 1. The centre serves its own version and the one before, so a
// site upgraded months after the centre keeps syncing.
constexpr int kProtocolVersion = 1;
constexpr int kOldestProtocolServed = 1;

// Endpoints of the centre. A site pushes and pulls; anyone with a certificate reads digests.
constexpr std::string_view kSyncPrefix = "/sync/v1/";
constexpr std::string_view kPushPath = "/sync/v1/push";      // POST, PushRequest
constexpr std::string_view kPullPath = "/sync/v1/pull";      // GET ?after=N&max_bytes=N
constexpr std::string_view kDigestPath = "/sync/v1/digest";  // GET [?site=CODE]
// GET ?after=N&max_bytes=N: the site's own changes as the centre stored them (recovery).
constexpr std::string_view kOwnPath = "/sync/v1/own";
// GET: {"site", "acked_seq"}: whether the centre answers this site, and how far it holds its
// changes. Changes nothing (mppctl status, doctor).
constexpr std::string_view kHelloPath = "/sync/v1/hello";

// The SAN URI of the centre's own certificate (certs/mpp-ca.sh central): a bundle from the
// centre must be signed with it. It is no client identity (PeerFromUris).
constexpr std::string_view kCentreUri = "mpp:centre";

// Headers on every sync request and response.
constexpr const char* kHeaderProtocol = "mpp-protocol";
constexpr const char* kHeaderSchema = "mpp-schema";
constexpr const char* kHeaderServerTime = "mpp-server-time";  // Unix ms, on responses
constexpr const char* kHeaderServerHlc = "mpp-server-hlc";    // decimal stamp, on responses

// The versions a peer declares in its headers; 0 where a header is absent or not a number.
struct PeerVersions {
  int protocol = 0;
  int schema = 0;
};
PeerVersions ReadPeerVersions(const http::Request& request);
// The headers a site sends with every sync request.
http::Headers VersionHeaders(int schema_version);

// The centre's check of a peer's versions: kIncompatibleVersion with what to upgrade when the
// protocol is outside [kOldestProtocolServed, kProtocolVersion] or the site's schema is newer
// than the centre's (the centre upgrades first).
Status CheckPeerVersions(const PeerVersions& peer, int my_schema);

// A site code as the reference data spells them: "MPP" and four digits.
bool IsSiteCode(std::string_view code);

// Who is calling, from the URIs in its verified certificate's subject alternative names:
// mpp:site:<code>, mpp:role:ministry, mpp:role:operator. Never from a request body.
struct Peer {
  enum class Role { kNone, kSite, kMinistry, kOperator };
  Role role = Role::kNone;
  std::string site;        // for kSite
  std::string name;        // for logs and the audit log: "mpp:site:MPP7301", "mpp:role:ministry"
  bool ambiguous = false;  // kNone because it names more than one site or role
};
Peer PeerFromUris(const std::vector<std::string>& uris);
// Whether a certificate's SAN URIs name the centre (kCentreUri) and nothing else of mpp:
// what signs a bundle for a site. One that also names a site or a role is not the centre.
bool NamesOnlyTheCentre(const std::vector<std::string>& uris);

}  // namespace mpp::protocol
