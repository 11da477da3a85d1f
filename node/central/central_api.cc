#include "node/central/central_api.h"

#include <charconv>
#include <chrono>

#include "sync/core/log.h"
#include "sync/core/time_util.h"
#include "sync/core/url.h"
#include "sync/http/reply.h"

namespace mpp::central {
namespace {

using http::ErrorResponse;
using http::JsonResponse;
using Role = protocol::Peer::Role;

}  // namespace

void CentralApi::LimitRate(double per_second, double burst) {
  limiter_ = std::make_unique<RateLimiter>(clock_, per_second, burst);
}

http::Response CentralApi::Handle(const http::Request& req) {
  const auto start = std::chrono::steady_clock::now();
  const protocol::Peer peer = protocol::PeerFromUris(req.peer_uris);
  http::Response res;
  if (const int64_t wait = limiter_ ? limiter_->Take(peer.name) : 0; wait > 0) {
    res = ErrorResponse(MakeError(Errc::kRateLimited, "too many requests from " + peer.name +
                                                          "; wait " + std::to_string(wait) +
                                                          " s and try again"));
    res.headers.emplace_back("retry-after", std::to_string(wait));
    sync_.Stamp(res);
  } else if (replicator::CentralEndpoint::Serves(req)) {
    res = sync_.Handle(req, peer);
  } else {
    res = http::Guard([&] { return Route(req, peer); }, "nothing was stored");
    sync_.Stamp(res);
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  metrics_.Answered(req, res, static_cast<double>(us) / 1e6);
  Log(res.status >= 400 ? LogLevel::kWarn : LogLevel::kDebug, "http",
      {{"peer", peer.name},
       {"method", req.method},
       {"path", std::string(req.Path().substr(0, 200))},
       {"status", std::to_string(res.status)},
       {"us", std::to_string(us)}});
  return res;
}

http::Response CentralApi::Route(const http::Request& req, const protocol::Peer& peer) {
  auto target = ParseTarget(req.target);
  if (!target) return ErrorResponse(target.error());
  const auto& seg = target->segments;
  const bool get = req.method == "GET";
  if (seg.size() == 1 && seg[0] == "healthz") {
    return {200, "application/json", R"({"status":"ok"})", {}};
  }
  if (peer.role == Role::kNone) {
    return sync_.Refuse(req, peer,
                        MakeError(Errc::kUnauthenticated,
                                  "the client certificate names no site or role (expected a "
                                  "SAN URI mpp:site:<code> or mpp:role:<role>)"));
  }
  auto role_error = [&](const char* who) {
    return sync_.Refuse(
        req, peer,
        MakeError(Errc::kForbiddenRole, std::string("only ") + who + " may call " + req.method +
                                            " " + std::string(req.Path())));
  };
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (peer.role != Role::kMinistry && peer.role != Role::kOperator) {
      return role_error("the ministry and operators");
    }
    if (!get) return ErrorResponse(MakeError(Errc::kMethodNotAllowed, "/metrics is GET only"));
    return MetricsPage();
  }
  if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "v1") {
    const std::string& what = seg[2];
    const bool reader = peer.role == Role::kMinistry || peer.role == Role::kOperator;
    if (what == "sites" && seg.size() == 3 && get) {
      if (!reader) return role_error("the ministry and operators");
      return JsonResponse(store_.Summary());
    }
    if (what == "audit" && seg.size() == 3 && get) {
      if (peer.role != Role::kOperator) return role_error("operators");
      return JsonResponse(store_.AuditLog(200));
    }
    if (what == "conflicts") {
      if (seg.size() == 3 && get) {
        if (!reader) return role_error("the ministry and operators");
        std::optional<std::string> status;
        if (auto it = target->query.find("status"); it != target->query.end()) status = it->second;
        return JsonResponse(store_.ListConflicts(status));
      }
      if (seg.size() == 5 && seg[4] == "resolve" && req.method == "POST") {
        if (peer.role != Role::kOperator) return role_error("operators");
        auto body = ParseJson(req.body);
        if (!body) return ErrorResponse(body.error());
        return JsonResponse(store_.ResolveConflict(seg[3], *body, peer.name));
      }
    }
    if (what == "quarantine") {
      if (seg.size() == 3 && get) {
        if (!reader) return role_error("the ministry and operators");
        std::optional<std::string> status;
        if (auto it = target->query.find("status"); it != target->query.end()) status = it->second;
        return JsonResponse(store_.ListQuarantine(status));
      }
      if (seg.size() == 5 && seg[4] == "dismiss" && req.method == "POST") {
        if (peer.role != Role::kOperator) return role_error("operators");
        int64_t id = 0;
        auto [end, ec] = std::from_chars(seg[3].data(), seg[3].data() + seg[3].size(), id);
        if (ec != std::errc() || end != seg[3].data() + seg[3].size()) {
          return ErrorResponse(MakeError(Errc::kNotFound, "no quarantined change with that id"));
        }
        return JsonResponse(store_.DismissQuarantine(id, peer.name));
      }
    }
    if (what == "records" && seg.size() == 5 && req.method == "PATCH") {
      if (peer.role != Role::kOperator) return role_error("operators");
      auto body = ParseJson(req.body);
      if (!body) return ErrorResponse(body.error());
      return JsonResponse(store_.UpdateRow(seg[3], seg[4], *body, peer.name));
    }
  }
  return ErrorResponse(MakeError(Errc::kNotFound, "no such endpoint; see docs/protocol.md"));
}

http::Response CentralApi::MetricsPage() {
  std::vector<http::Gauge> gauges;
  auto summary = store_.Summary();
  if (!summary) return ErrorResponse(summary.error());
  const int64_t now = clock_.NowMs();
  http::Gauge acked{
      "mpp_site_acked_seq", "The site's changes the centre holds (its last seq).", {}};
  http::Gauge age{
      "mpp_site_last_push_age_seconds", "Seconds since the site last pushed (absent: never).", {}};
  for (const Json& site : (*summary)["sites"]) {
    const std::string labels = "site=\"" + site["site_code"].get<std::string>() + "\"";
    if (site["acked_seq"].is_number()) {
      acked.values.push_back({labels, site["acked_seq"].get<double>()});
    }
    if (site["last_push_at"].is_string()) {
      if (auto t = ParseRfc3339(site["last_push_at"].get<std::string>()); t) {
        age.values.push_back({labels, static_cast<double>(now - *t) / 1000.0});
      }
    }
  }
  gauges.push_back({"mpp_sites",
                    "Sites in the centre's list.",
                    {{"", static_cast<double>((*summary)["sites"].size())}}});
  gauges.push_back(std::move(acked));
  gauges.push_back(std::move(age));
  gauges.push_back({"mpp_conflicts_open",
                    "Conflict records not resolved yet.",
                    {{"", (*summary)["open_conflicts"].get<double>()}}});
  return {200, http::kMetricsContentType, metrics_.Render(gauges), {}};
}

}  // namespace mpp::central
