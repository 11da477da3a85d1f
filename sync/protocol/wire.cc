#include "sync/protocol/wire.h"

#include <algorithm>

#include <charconv>

namespace mpp::protocol {
namespace {

int HeaderInt(const http::Request& request, const char* name) {
  const std::string v = request.Header(name);
  int out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size() ? out : 0;
}

}  // namespace

PeerVersions ReadPeerVersions(const http::Request& request) {
  return {HeaderInt(request, kHeaderProtocol), HeaderInt(request, kHeaderSchema)};
}

http::Headers VersionHeaders(int schema_version) {
  return {{kHeaderProtocol, std::to_string(kProtocolVersion)},
          {kHeaderSchema, std::to_string(schema_version)}};
}

Status CheckPeerVersions(const PeerVersions& peer, int my_schema) {
  if (peer.protocol < kOldestProtocolServed || peer.protocol > kProtocolVersion) {
    return MakeError(Errc::kIncompatibleVersion, "sync protocol " + std::to_string(peer.protocol) +
                                                     " is not served; this centre speaks " +
                                                     std::to_string(kOldestProtocolServed) +
                                                     " to " + std::to_string(kProtocolVersion) +
                                                     ": upgrade the older side");
  }
  if (peer.schema < 1 || peer.schema > my_schema) {
    return MakeError(Errc::kIncompatibleVersion, "site schema " + std::to_string(peer.schema) +
                                                     " is newer than the centre's (" +
                                                     std::to_string(my_schema) +
                                                     "): upgrade mpp-central before the sites");
  }
  return {};
}

bool IsSiteCode(std::string_view code) {
  // MPP and four digits: never the centre's own name (CENTRAL), which a certificate issued
  // for it would otherwise let act as the centre.
  return code.size() == 7 && code.starts_with("MPP") &&
         std::all_of(code.begin() + 3, code.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Peer PeerFromUris(const std::vector<std::string>& uris) {
  using Role = Peer::Role;
  constexpr std::string_view kSite = "mpp:site:";
  std::vector<Peer> named;  // one identity per certificate: a site, or a role
  for (const auto& u : uris) {
    if (u.starts_with(kSite) && IsSiteCode(std::string_view(u).substr(kSite.size()))) {
      named.push_back({Role::kSite, u.substr(kSite.size()), u});
    } else if (u == "mpp:role:ministry") {
      named.push_back({Role::kMinistry, "", u});
    } else if (u == "mpp:role:operator") {
      named.push_back({Role::kOperator, "", u});
    } else if (u.size() >= 4 && (u[0] | 0x20) == 'm' && (u[1] | 0x20) == 'p' &&
               (u[2] | 0x20) == 'p' && u[3] == ':') {
      // URI schemes are case-insensitive (RFC 3986): MPP:role:operator is one too.
      // An mpp: URI this build does not know (mpp:site:CENTRAL, mpp:role:admin) is a
      // mistake or a probe; the certificate is not trusted with what its other URIs say.
      named.push_back({Role::kNone, "", u});
    }
  }
  if (named.size() == 1 && named[0].role != Role::kNone) return named[0];
  // Bounded: the name goes into the log and the audit log, and a certificate is the peer's.
  Peer none{Role::kNone, "", uris.empty() ? "anonymous" : uris.front().substr(0, 200)};
  none.ambiguous = named.size() > 1;
  return none;
}

bool NamesOnlyTheCentre(const std::vector<std::string>& uris) {
  int mpp = 0;
  bool centre = false;
  for (const auto& u : uris) {
    if (u.size() >= 4 && (u[0] | 0x20) == 'm' && (u[1] | 0x20) == 'p' && (u[2] | 0x20) == 'p' &&
        u[3] == ':') {
      ++mpp;
      centre = centre || u == kCentreUri;
    }
  }
  return mpp == 1 && centre;
}

}  // namespace mpp::protocol
