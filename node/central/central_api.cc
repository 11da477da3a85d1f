#include "node/central/central_api.h"

#include <charconv>
#include <chrono>

#include "sync/core/hlc.h"
#include "sync/core/log.h"
#include "sync/core/url.h"
#include "sync/protocol/messages.h"

namespace mpp::central {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using Role = Peer::Role;

bool WantsZstd(const HttpRequest& r) {
  return r.Header("accept-encoding").find("zstd") != std::string::npos;
}

HttpResponse JsonReply(const HttpRequest& req, const Json& body, int status = 200) {
  HttpResponse r{status, "application/json", "", {}};
  if (WantsZstd(req) && status == 200) {
    r.body = protocol::EncodeBody(body, true);
    r.headers.emplace_back("content-encoding", "zstd");
  } else {
    r.body = DumpJson(body);
  }
  return r;
}

HttpResponse ErrorReply(const Error& e, const Json& extra = Json::object()) {
  Json body = Json::parse(ErrorJson(e));
  for (const auto& [k, v] : extra.items()) body["error"][k] = v;
  return {ErrcHttpStatus(e.code), "application/json", DumpJson(body), {}};
}

Result<int64_t> ParseInt(const std::string& s, const char* name) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    return MakeError(Errc::kInvalidType, std::string("'") + name + "' must be a whole number");
  }
  return v;
}

bool IsForbidden(Errc c) {
  return c == Errc::kForbiddenTable || c == Errc::kForbiddenRow || c == Errc::kForbiddenColumn ||
         c == Errc::kForbiddenRole || c == Errc::kUnauthenticated;
}

}  // namespace

Peer PeerFromUris(const std::vector<std::string>& uris) {
  for (const auto& u : uris) {
    if (u.rfind("mpp:site:", 0) == 0 && u.size() > 9) return {Role::kSite, u.substr(9), u};
    if (u == "mpp:role:ministry") return {Role::kMinistry, "", u};
    if (u == "mpp:role:operator") return {Role::kOperator, "", u};
  }
  return {Role::kNone, "", uris.empty() ? "anonymous" : uris.front()};
}

void CentralApi::LimitRate(double per_second, double burst) {
  limiter_ = std::make_unique<RateLimiter>(clock_, per_second, burst);
}

HttpResponse CentralApi::Handle(const HttpRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  const Peer peer = PeerFromUris(req.peer_uris);
  HttpResponse res;
  try {
    if (const int64_t wait = limiter_ ? limiter_->Take(peer.name) : 0; wait > 0) {
      res = ErrorReply(MakeError(Errc::kRateLimited, "too many requests from " + peer.name +
                                                         "; wait " + std::to_string(wait) +
                                                         " s and try again"));
      res.headers.emplace_back("retry-after", std::to_string(wait));
    } else {
      res = Route(req, peer);
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "handler_exception", {{"what", e.what()}});
    res = ErrorReply(MakeError(Errc::kInternal, "internal error; nothing was stored"));
  }
  res.headers.emplace_back(protocol::kHeaderProtocol, std::to_string(protocol::kProtocolVersion));
  res.headers.emplace_back(protocol::kHeaderSchema, std::to_string(schema_version_));
  res.headers.emplace_back(protocol::kHeaderServerTime, std::to_string(clock_.NowMs()));
  res.headers.emplace_back(protocol::kHeaderServerHlc, std::to_string(store_.NowStamp()));
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  Log(res.status >= 400 ? LogLevel::kWarn : LogLevel::kDebug, "http",
      {{"peer", peer.name},
       {"method", req.method},
       {"path", std::string(path.substr(0, 200))},
       {"status", std::to_string(res.status)},
       {"us", std::to_string(us)}});
  return res;
}

HttpResponse CentralApi::Refuse(const HttpRequest& req, const Peer& peer, const Error& e) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  (void)store_.Audit(peer.name, req.method + " " + path, e);
  Log(LogLevel::kWarn, "refused",
      {{"peer", peer.name}, {"path", path}, {"code", std::string(ErrcName(e.code))}});
  return ErrorReply(e);
}

HttpResponse CentralApi::Route(const HttpRequest& req, const Peer& peer) {
  auto target = ParseTarget(req.target);
  if (!target) return ErrorReply(target.error());
  const auto& seg = target->segments;
  const bool get = req.method == "GET";
  if (seg.size() == 1 && seg[0] == "healthz")
    return {200, "application/json", R"({"status":"ok"})", {}};
  if (peer.role == Role::kNone) {
    return Refuse(req, peer,
                  MakeError(Errc::kUnauthenticated,
                            "the client certificate names no site or role (expected a "
                            "SAN URI mpp:site:<code> or mpp:role:<role>)"));
  }
  auto role_error = [&](const char* who) {
    return Refuse(
        req, peer,
        MakeError(Errc::kForbiddenRole, std::string("only ") + who + " may call " + req.method +
                                            " " + req.target.substr(0, req.target.find('?'))));
  };

  if (seg.size() == 3 && seg[0] == "sync" && seg[1] == "v1") {
    // Every sync call carries the peer's versions; an incompatible peer gets a clear error.
    int protocol_version = 0, schema = 0;
    std::from_chars(
        req.Header(protocol::kHeaderProtocol).data(),
        req.Header(protocol::kHeaderProtocol).data() + req.Header(protocol::kHeaderProtocol).size(),
        protocol_version);
    const std::string s = req.Header(protocol::kHeaderSchema);
    std::from_chars(s.data(), s.data() + s.size(), schema);
    if (peer.role == Role::kSite) {
      if (Status v = protocol::CheckPeerVersions(protocol_version, schema, schema_version_); !v) {
        return ErrorReply(v.error());
      }
    }
    if (seg[2] == "push") {
      if (req.method != "POST") return ErrorReply(MakeError(Errc::kMethodNotAllowed, "use POST"));
      if (peer.role != Role::kSite) return role_error("sites");
      return Push(req, peer);
    }
    if (seg[2] == "pull") {
      if (!get) return ErrorReply(MakeError(Errc::kMethodNotAllowed, "use GET"));
      if (peer.role != Role::kSite) return role_error("sites");
      return Pull(req, peer);
    }
    if (seg[2] == "digest") {
      if (!get) return ErrorReply(MakeError(Errc::kMethodNotAllowed, "use GET"));
      std::string site = peer.site;
      if (peer.role != Role::kSite) {
        auto it = target->query.find("site");
        if (it == target->query.end()) {
          return ErrorReply(MakeError(Errc::kMissingField, "name the site: ?site=<code>"));
        }
        site = it->second;
      }
      auto d = store_.Digest(site);
      return d ? JsonReply(req, *d) : ErrorReply(d.error());
    }
  }
  if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "v1") {
    const std::string& what = seg[2];
    const bool reader = peer.role == Role::kMinistry || peer.role == Role::kOperator;
    if (what == "sites" && seg.size() == 3 && get) {
      if (!reader) return role_error("the ministry and operators");
      auto s = store_.Summary();
      return s ? JsonReply(req, *s) : ErrorReply(s.error());
    }
    if (what == "audit" && seg.size() == 3 && get) {
      if (peer.role != Role::kOperator) return role_error("operators");
      auto a = store_.AuditLog(200);
      return a ? JsonReply(req, *a) : ErrorReply(a.error());
    }
    if (what == "conflicts") {
      if (seg.size() == 3 && get) {
        if (!reader) return role_error("the ministry and operators");
        std::optional<std::string> status;
        if (auto it = target->query.find("status"); it != target->query.end()) status = it->second;
        auto c = store_.ListConflicts(status);
        return c ? JsonReply(req, *c) : ErrorReply(c.error());
      }
      if (seg.size() == 5 && seg[4] == "resolve" && req.method == "POST") {
        if (peer.role != Role::kOperator) return role_error("operators");
        auto body = ParseJson(req.body);
        if (!body) return ErrorReply(body.error());
        auto r = store_.ResolveConflict(seg[3], *body, peer.name);
        return r ? JsonReply(req, *r) : ErrorReply(r.error());
      }
    }
    if (what == "records" && seg.size() == 5 && req.method == "PATCH") {
      if (peer.role != Role::kOperator) return role_error("operators");
      auto body = ParseJson(req.body);
      if (!body) return ErrorReply(body.error());
      auto r = store_.UpdateRow(seg[3], seg[4], *body);
      return r ? JsonReply(req, *r) : ErrorReply(r.error());
    }
  }
  return ErrorReply(MakeError(Errc::kNotFound, "no such endpoint; see docs/protocol.md"));
}

HttpResponse CentralApi::Push(const HttpRequest& req, const Peer& peer) {
  auto body = protocol::DecodeBody(req.body, req.Header("content-encoding"));
  if (!body) return ErrorReply(body.error());
  auto push = protocol::PushRequestFromJson(*body);
  if (!push) return ErrorReply(push.error());
  if (push->site != peer.site) {
    return Refuse(req, peer,
                  MakeError(Errc::kForbiddenRow, "push names site " + push->site.substr(0, 16) +
                                                     " but the certificate is for " + peer.site));
  }
  const int protocol_version = std::atoi(req.Header(protocol::kHeaderProtocol).c_str());
  const int schema = std::atoi(req.Header(protocol::kHeaderSchema).c_str());
  auto out = store_.ApplyPush(peer.site, push->first_seq, push->changes, protocol_version, schema);
  if (!out) {
    if (out.error().code == Errc::kSequenceGap) {
      auto acked = store_.AckedSeq(peer.site);
      return ErrorReply(out.error(), {{"expected_seq", acked ? *acked + 1 : 1}});
    }
    if (out.error().code == Errc::kClockSkew) {
      // What we hold already: the site marks it acknowledged and restamps only the rest.
      auto acked = store_.AckedSeq(peer.site);
      return ErrorReply(out.error(), {{"acked_seq", acked ? *acked : 0}});
    }
    if (IsForbidden(out.error().code)) return Refuse(req, peer, out.error());
    return ErrorReply(out.error());
  }
  protocol::PushResponse resp{out->acked_seq, out->stats.applied, out->stats.duplicates,
                              out->stats.kept_local, out->stats.conflicts};
  Log(LogLevel::kInfo, "push",
      {{"site", peer.site},
       {"changes", std::to_string(push->changes.size())},
       {"acked_seq", std::to_string(out->acked_seq)},
       {"duplicates", std::to_string(out->stats.duplicates)},
       {"conflicts", std::to_string(out->stats.conflicts)}});
  return JsonReply(req, protocol::ToJson(resp));
}

HttpResponse CentralApi::Pull(const HttpRequest& req, const Peer& peer) {
  auto target = ParseTarget(req.target);
  if (!target) return ErrorReply(target.error());
  int64_t after = 0, max_bytes = 1024 * 1024;
  for (const auto& [k, v] : target->query) {
    auto n = ParseInt(v, k.c_str());
    if (!n) return ErrorReply(n.error());
    if (k == "after") {
      after = *n;
    } else if (k == "max_bytes") {
      max_bytes = std::clamp<int64_t>(*n, 1024, 16 * 1024 * 1024);
    } else {
      return ErrorReply(MakeError(Errc::kUnknownField, "pull accepts 'after' and 'max_bytes'"));
    }
  }
  auto page = store_.ReadFeed(peer.site, after, static_cast<size_t>(max_bytes));
  if (!page) return ErrorReply(page.error());
  protocol::PullResponse resp{std::move(page->changes), page->next_cursor, page->more};
  return JsonReply(req, protocol::ToJson(resp));
}

}  // namespace mpp::central
