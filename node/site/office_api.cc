#include "node/site/office_api.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "sync/core/log.h"
#include "sync/core/url.h"
#include "sync/http/reply.h"

namespace mpp::site {
namespace {

using http::Request;
using http::Response;

Response Fail(const Error& e) { return http::ErrorResponse(e); }

Response Reply(const Result<Json>& r, int status = 200) { return http::JsonResponse(r, status); }

// The media type of a Content-Type value, lowercase, without parameters or spaces.
std::string MediaType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  std::string out;
  for (char c : ct) {
    if (c != ' ' && c != '\t')
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// A body must say it is JSON: a cross-site HTML form can send text/plain or form data to a
// node without the page's origin being asked (no CORS preflight), but not application/json.
Result<Json> ParseBody(const Request& req) {
  if (MediaType(req.content_type) != "application/json") {
    return MakeError(Errc::kUnsupportedMediaType,
                     "send the body as JSON with Content-Type: application/json");
  }
  if (req.body.empty())
    return MakeError(Errc::kBadJson, "the request body is empty; send a JSON object");
  return ParseJson(req.body);
}

Result<store::ListQuery> ParseListQuery(const std::map<std::string, std::string>& q) {
  store::ListQuery out;
  for (const auto& [key, value] : q) {
    if (key == "status") {
      out.status = value;
    } else if (key == "service") {
      out.service = value;
    } else if (key == "from") {
      out.from = value;
    } else if (key == "to") {
      out.to = value;
    } else if (key == "cursor") {
      out.cursor = value;
    } else if (key == "limit") {
      int n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size()) {
        return MakeError(Errc::kInvalidType, "'limit' must be a whole number");
      }
      out.limit = n;
    } else {
      return MakeError(Errc::kUnknownField, "unknown query parameter '" + key.substr(0, 64) +
                                                "'; accepted: status, service, from, to, limit, "
                                                "cursor");
    }
  }
  return out;
}

Error MethodNotAllowed(const Request& req, const char* allowed) {
  return MakeError(Errc::kMethodNotAllowed, req.method + " is not allowed here; use " + allowed);
}

}  // namespace

Response OfficeApi::Handle(const Request& req) {
  const auto start = std::chrono::steady_clock::now();
  const Response res = http::Guard([&] { return Route(req); }, "the request was not saved");
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  // The path only: ids are UUIDs; query strings and bodies may hold personal data.
  const std::string_view path = req.Path();
  if (metrics_) metrics_->Answered(req, res, static_cast<double>(us) / 1e6);
  Log(res.status >= 500 ? LogLevel::kError : LogLevel::kDebug, "http",
      {{"method", req.method},
       {"path", std::string(path.substr(0, 200))},
       {"status", std::to_string(res.status)},
       {"us", std::to_string(us)}});
  return res;
}

// A browser tricked by DNS rebinding sends the attacker's name as Host while it talks to this
// node: only IP literals, localhost and the names the node was told to answer to are served.
Status CheckHost(const Request& req, const std::set<std::string>& allowed) {
  const auto hosts = std::count_if(req.headers.begin(), req.headers.end(),
                                   [](const auto& h) { return h.first == "host"; });
  if (hosts > 1) {  // RFC 9112 §3.2: which one would a proxy have checked?
    return MakeError(Errc::kInvalidValue, "the request has more than one Host header");
  }
  const std::string host = req.Header("host");
  if (host.empty()) return {};  // not a browser: browsers always send it
  std::string name = host;
  if (name.starts_with('[')) {  // [::1]:8080
    name = name.substr(0, name.find(']') + 1);
  } else {
    name = name.substr(0, name.find(':'));
  }
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  unsigned char addr[16];
  const bool ip = name.starts_with('[') && name.size() > 2
                      ? inet_pton(AF_INET6, name.substr(1, name.size() - 2).c_str(), addr) == 1
                      : inet_pton(AF_INET, name.c_str(), addr) == 1;
  if (ip || name == "localhost" || allowed.count(name)) return {};
  return MakeError(Errc::kForbiddenHost,
                   "this node does not answer to the name '" + name.substr(0, 64) +
                       "'; use its IP address, or start it with --allow-host " +
                       name.substr(0, 64));
}

Response OfficeApi::Route(const Request& req) {
  if (Status host = CheckHost(req, allowed_hosts_); !host) return Fail(host.error());
  auto target = ParseTarget(req.target);
  if (!target) return Fail(target.error());
  const auto& seg = target->segments;
  const std::string& m = req.method;
  const bool get = m == "GET", post = m == "POST";

  if (seg.size() == 1 && seg[0] == "healthz") {
    if (!get) return Fail(MethodNotAllowed(req, "GET"));
    return {200, "application/json", R"({"status":"ok"})", {}};
  }
  if (seg.size() == 1 && seg[0] == "metrics" && metrics_) {
    if (!get) return Fail(MethodNotAllowed(req, "GET"));
    return {200,
            http::kMetricsContentType,
            metrics_->Render(gauges_ ? gauges_() : std::vector<http::Gauge>{}),
            {}};
  }
  if (seg.size() < 3 || seg[0] != "api" || seg[1] != "v1") {
    return Fail(MakeError(Errc::kNotFound, "no such endpoint; see docs/api.md"));
  }
  const std::string& res = seg[2];
  const size_t n = seg.size();

  if (res == "status" && n == 3) {
    if (!get) return Fail(MethodNotAllowed(req, "GET"));
    return Reply(store_.StatusSummary());
  }
  if (res == "services" && n == 3) {
    if (!get) return Fail(MethodNotAllowed(req, "GET"));
    return Reply(store_.ListServices());
  }
  if (res == "counters" && n == 3) {
    if (!get) return Fail(MethodNotAllowed(req, "GET"));
    return Reply(store_.ListCounters());
  }
  if (res == "applications") {
    if (n == 3) {
      if (get) {
        auto q = ParseListQuery(target->query);
        if (!q) return Fail(q.error());
        return Reply(store_.ListApplications(*q));
      }
      if (!post) return Fail(MethodNotAllowed(req, "GET or POST"));
      auto body = ParseBody(req);
      if (!body) return Fail(body.error());
      return Reply(store_.CreateApplication(*body), 201);
    }
    if (n == 4) {
      if (!get) return Fail(MethodNotAllowed(req, "GET"));
      return Reply(store_.GetApplication(seg[3]));
    }
    if (n == 5 && seg[4] == "status") {
      if (!post) return Fail(MethodNotAllowed(req, "POST"));
      auto body = ParseBody(req);
      if (!body) return Fail(body.error());
      return Reply(store_.ChangeStatus(seg[3], *body));
    }
  }
  if ((res == "payments" || res == "surveys") && n == 3) {
    if (!post) return Fail(MethodNotAllowed(req, "POST"));
    auto body = ParseBody(req);
    if (!body) return Fail(body.error());
    return Reply(res == "payments" ? store_.RecordPayment(*body) : store_.RecordSurvey(*body), 201);
  }
  if (res == "complaints") {
    if (n == 3) {
      if (!post) return Fail(MethodNotAllowed(req, "POST"));
      auto body = ParseBody(req);
      if (!body) return Fail(body.error());
      return Reply(store_.CreateComplaint(*body), 201);
    }
    if (n == 4) {
      if (m != "PATCH") return Fail(MethodNotAllowed(req, "PATCH"));
      auto body = ParseBody(req);
      if (!body) return Fail(body.error());
      return Reply(store_.UpdateComplaint(seg[3], *body));
    }
  }
  if (res == "conflicts") {
    if (n == 3) {
      if (!get) return Fail(MethodNotAllowed(req, "GET"));
      std::optional<std::string> status;
      for (const auto& [k, v] : target->query) {
        if (k != "status") return Fail(MakeError(Errc::kUnknownField, "accepted: status"));
        status = v;
      }
      return Reply(store_.ListConflicts(status));
    }
    if (n == 5 && seg[4] == "resolve") {
      if (!post) return Fail(MethodNotAllowed(req, "POST"));
      auto body = ParseBody(req);
      if (!body) return Fail(body.error());
      return Reply(store_.ResolveConflict(seg[3], *body));
    }
  }
  if (res == "queue" && n == 4 && seg[3] == "tickets") {
    if (!post) return Fail(MethodNotAllowed(req, "POST"));
    auto body = ParseBody(req);
    if (!body) return Fail(body.error());
    return Reply(store_.IssueTicket(*body), 201);
  }
  return Fail(MakeError(Errc::kNotFound, "no such endpoint; see docs/api.md"));
}

}  // namespace mpp::site
