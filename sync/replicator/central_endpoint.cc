#include "sync/replicator/central_endpoint.h"

#include <algorithm>
#include <charconv>

#include "sync/core/log.h"
#include "sync/core/url.h"
#include "sync/http/reply.h"
#include "sync/protocol/messages.h"

namespace mpp::replicator {
namespace {

using http::ErrorResponse;
using Role = protocol::Peer::Role;

// 200 with the body compressed when the peer accepts zstd.
http::Response Reply(const http::Request& request, const Json& body) {
  if (request.Header("accept-encoding").find("zstd") == std::string::npos) {
    return http::JsonResponse(body);
  }
  http::Response r{200, "application/json", protocol::EncodeBody(body, true), {}};
  r.headers.emplace_back("content-encoding", "zstd");
  return r;
}

http::Response Reply(const http::Request& request, const Result<Json>& body) {
  return body ? Reply(request, *body) : ErrorResponse(body.error());
}

Result<int64_t> ParseCount(const std::string& s, const std::string& name) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return MakeError(Errc::kInvalidType, "'" + name + "' must be a whole number");
  }
  return v;
}

bool IsForbidden(Errc c) {
  return c == Errc::kForbiddenTable || c == Errc::kForbiddenRow || c == Errc::kForbiddenColumn ||
         c == Errc::kForbiddenRole || c == Errc::kUnauthenticated || c == Errc::kUnknownSite;
}

}  // namespace

bool CentralEndpoint::Serves(const http::Request& request) {
  return request.Path().starts_with(protocol::kSyncPrefix);
}

http::Response CentralEndpoint::Handle(const http::Request& request) {
  return Handle(request, protocol::PeerFromUris(request.peer_uris));
}

http::Response CentralEndpoint::Handle(const http::Request& request, const protocol::Peer& peer) {
  http::Response r = http::Guard([&] { return Route(request, peer); }, "nothing was stored");
  Stamp(r);
  return r;
}

void CentralEndpoint::Stamp(http::Response& r) {
  r.headers.emplace_back(protocol::kHeaderProtocol, std::to_string(protocol::kProtocolVersion));
  r.headers.emplace_back(protocol::kHeaderSchema, std::to_string(schema_version_));
  r.headers.emplace_back(protocol::kHeaderServerTime, std::to_string(clock_.NowMs()));
  r.headers.emplace_back(protocol::kHeaderServerHlc, std::to_string(store_.NowStamp()));
}

http::Response CentralEndpoint::Refuse(const http::Request& request, const protocol::Peer& peer,
                                       const Error& e) {
  const std::string path(request.Path());
  (void)store_.Audit(peer.name, request.method + " " + path, e);
  Log(LogLevel::kWarn, "refused",
      {{"peer", peer.name}, {"path", path}, {"code", std::string(ErrcName(e.code))}});
  return ErrorResponse(e);
}

http::Response CentralEndpoint::Route(const http::Request& request, const protocol::Peer& peer) {
  if (peer.role == Role::kNone) {
    return Refuse(
        request, peer,
        MakeError(Errc::kUnauthenticated,
                  peer.ambiguous ? "the client certificate names more than one site or role; "
                                   "issue one certificate per site or role (certs/mpp-ca.sh)"
                                 : "the client certificate names no site or role (expected a "
                                   "SAN URI mpp:site:<code> or mpp:role:<role>)"));
  }
  if (peer.role == Role::kSite) {
    auto known = store_.KnowsSite(peer.site);
    if (!known) return ErrorResponse(known.error());
    if (!*known) {
      return Refuse(request, peer,
                    MakeError(Errc::kUnknownSite,
                              "the client certificate names site " + peer.site +
                                  ", which is not in the centre's list of sites; ask the "
                                  "ministry to add it, or use this site's own certificate"));
    }
  }
  const std::string_view path = request.Path();
  const bool get = request.method == "GET";
  // Every sync call carries the peer's versions; an incompatible site gets a clear error.
  if (peer.role == Role::kSite) {
    const Status v =
        protocol::CheckPeerVersions(protocol::ReadPeerVersions(request), schema_version_);
    if (!v) return ErrorResponse(v.error());
  }
  auto sites_only = [&] {
    return Refuse(request, peer,
                  MakeError(Errc::kForbiddenRole,
                            "only sites may call " + request.method + " " + std::string(path)));
  };
  if (path == protocol::kPushPath) {
    if (request.method != "POST")
      return ErrorResponse(MakeError(Errc::kMethodNotAllowed, "use POST"));
    if (peer.role != Role::kSite) return sites_only();
    return Push(request, peer);
  }
  if (path == protocol::kPullPath) {
    if (!get) return ErrorResponse(MakeError(Errc::kMethodNotAllowed, "use GET"));
    if (peer.role != Role::kSite) return sites_only();
    return Pull(request, peer, /*own=*/false);
  }
  if (path == protocol::kOwnPath) {
    if (!get) return ErrorResponse(MakeError(Errc::kMethodNotAllowed, "use GET"));
    if (peer.role != Role::kSite) return sites_only();
    return Pull(request, peer, /*own=*/true);
  }
  if (path == protocol::kHelloPath) {
    if (!get) return ErrorResponse(MakeError(Errc::kMethodNotAllowed, "use GET"));
    if (peer.role != Role::kSite) return sites_only();
    auto acked = store_.AckedSeq(peer.site);
    if (!acked) return ErrorResponse(acked.error());
    return Reply(request, Json{{"site", peer.site}, {"acked_seq", *acked}});
  }
  if (path == protocol::kDigestPath) {
    if (!get) return ErrorResponse(MakeError(Errc::kMethodNotAllowed, "use GET"));
    return Digest(request, peer);
  }
  return ErrorResponse(MakeError(Errc::kNotFound, "no such endpoint; see docs/protocol.md"));
}

http::Response CentralEndpoint::Push(const http::Request& request, const protocol::Peer& peer) {
  auto body = protocol::DecodeBody(request.body, request.Header("content-encoding"));
  if (!body) return ErrorResponse(body.error());
  auto push = protocol::PushRequestFromJson(*body);
  if (!push) return ErrorResponse(push.error());
  if (push->site != peer.site) {
    return Refuse(request, peer,
                  MakeError(Errc::kForbiddenRow, "push names site " + push->site.substr(0, 16) +
                                                     " but the certificate is for " + peer.site));
  }
  const protocol::PeerVersions versions = protocol::ReadPeerVersions(request);
  auto out = store_.ApplyPush(peer.site, push->first_seq, push->changes, versions.protocol,
                              versions.schema);
  if (!out) {
    const Errc code = out.error().code;
    if (code == Errc::kSequenceGap) {
      auto acked = store_.AckedSeq(peer.site);
      return ErrorResponse(out.error(), {{"expected_seq", acked ? *acked + 1 : 1}});
    }
    if (code == Errc::kClockSkew || code == Errc::kSiteBehind) {
      // What we hold already: the site marks it acknowledged and restamps only the rest.
      auto acked = store_.AckedSeq(peer.site);
      return ErrorResponse(out.error(), {{"acked_seq", acked ? *acked : 0}});
    }
    if (IsForbidden(code)) return Refuse(request, peer, out.error());
    return ErrorResponse(out.error());
  }
  protocol::PushResponse resp{out->acked_seq,         out->stats.applied,   out->stats.duplicates,
                              out->stats.kept_local,  out->stats.conflicts, out->stats.quarantined,
                              std::move(out->refused)};
  Log(LogLevel::kInfo, "push",
      {{"site", peer.site},
       {"changes", std::to_string(push->changes.size())},
       {"acked_seq", std::to_string(out->acked_seq)},
       {"duplicates", std::to_string(out->stats.duplicates)},
       {"conflicts", std::to_string(out->stats.conflicts)},
       {"quarantined", std::to_string(out->stats.quarantined)}});
  return Reply(request, protocol::ToJson(resp));
}

http::Response CentralEndpoint::Pull(const http::Request& request, const protocol::Peer& peer,
                                     bool own) {
  auto target = ParseTarget(request.target);
  if (!target) return ErrorResponse(target.error());
  int64_t after = 0, max_bytes = 1024 * 1024;
  for (const auto& [k, v] : target->query) {
    auto n = ParseCount(v, k);
    if (!n) return ErrorResponse(n.error());
    if (k == "after") {
      after = *n;
    } else if (k == "max_bytes") {
      max_bytes = std::clamp<int64_t>(*n, 1024, protocol::kMaxPageBytes);
    } else {
      return ErrorResponse(MakeError(Errc::kUnknownField, "pull accepts 'after' and 'max_bytes'"));
    }
  }
  if (own) {
    auto page = store_.ReadOwnLog(peer.site, after, static_cast<size_t>(max_bytes));
    if (!page) return ErrorResponse(page.error());
    return Reply(request, protocol::ToJson(protocol::PullResponse{std::move(page->changes),
                                                                  page->next_cursor, page->more}));
  }
  // The site holds the feed up to `after`: where its next bundle starts, and a contact.
  if (auto noted = store_.NotePull(peer.site, after); !noted) return ErrorResponse(noted.error());
  return Reply(request, FeedPage(peer.site, after, static_cast<size_t>(max_bytes)));
}

Result<Json> CentralEndpoint::FeedPage(const std::string& site, int64_t after, size_t max_bytes) {
  MPP_ASSIGN_OR_RETURN(auto page, store_.ReadFeed(site, after, max_bytes));
  protocol::PullResponse resp{std::move(page.changes), page.next_cursor, page.more};
  MPP_ASSIGN_OR_RETURN(resp.site_acked_seq, store_.AckedSeq(site));
  return protocol::ToJson(resp);
}

http::Response CentralEndpoint::Digest(const http::Request& request, const protocol::Peer& peer) {
  std::string site = peer.site;
  if (peer.role != Role::kSite) {
    auto target = ParseTarget(request.target);
    if (!target) return ErrorResponse(target.error());
    auto it = target->query.find("site");
    if (it == target->query.end()) {
      return ErrorResponse(MakeError(Errc::kMissingField, "name the site: ?site=<code>"));
    }
    site = it->second;
  }
  return Reply(request, store_.Digest(site));
}

}  // namespace mpp::replicator
