#include "sync/http/metrics.h"

#include <algorithm>
#include <cstdio>

#include "sync/core/error.h"

namespace mpp::http {
namespace {

constexpr double kBuckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
constexpr size_t kBucketCount = sizeof kBuckets / sizeof kBuckets[0];

std::string Number(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

std::string Method(std::string_view m) {
  for (const char* known : {"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"}) {
    if (m == known) return known;
  }
  return "other";
}

}  // namespace

std::string RouteOf(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t end = std::min(path.find('/', i), path.size());
    const std::string_view seg = path.substr(i, end - i);
    // A word of the API ("applications", "v1"): a lowercase letter first, then letters,
    // '_', '-' and at most two digits. Anything else may be an id, a NIK or a code.
    const auto digits =
        std::count_if(seg.begin(), seg.end(), [](char c) { return c >= '0' && c <= '9'; });
    const bool plain =
        !seg.empty() && seg.size() <= 24 && seg[0] >= 'a' && seg[0] <= 'z' && digits <= 2 &&
        std::all_of(seg.begin(), seg.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    out += "/";
    out += plain ? std::string(seg) : "{id}";
    i = end;
    if (out.size() > 120) break;
  }
  return out.empty() ? "/" : out;
}

void Metrics::Served(std::string_view method, std::string_view path, int status, double seconds,
                     size_t bytes_in, size_t bytes_out) {
  std::string route = RouteOf(path);
  MutexLock lock(mu_);
  if (!routes_.count(route)) {
    if (routes_.size() >= kMaxRoutes) {
      route = "other";
    } else {
      routes_[route] = true;
    }
  }
  const std::string where = "route=\"" + route + "\",method=\"" + Method(method) + "\"";
  ++requests_[where + ",status=\"" + std::to_string(status) + "\""];
  auto& bytes = bytes_[where];
  bytes.first += bytes_in;
  bytes.second += bytes_out;
  Histogram& h = latency_[where];
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t b = 0; b < kBucketCount; ++b) {
    if (seconds <= kBuckets[b]) {
      ++h.buckets[b];
      break;
    }
  }
  h.sum += seconds;
  ++h.count;
}

void Metrics::Answered(const Request& request, const Response& response, double seconds) {
  Served(request.method, request.Path(), response.status, seconds, request.body.size(),
         response.body.size());
  if (response.status < 400) return;
  // The code of the JSON error body, if it is one of ours (a bounded vocabulary).
  const std::string_view body = response.body;
  const auto at = body.find("\"code\":\"");
  std::string code = "none";
  if (at != std::string_view::npos && at < 64) {
    const auto start = at + 8, end = body.find('"', start);
    const std::string_view name = body.substr(start, end - start);
    if (end != std::string_view::npos && ErrcName(ErrcFromName(name)) == name) code = name;
  }
  Count("mpp_http_errors_total", "Requests refused or failed, by error code.",
        "code=\"" + code + "\"");
}

void Metrics::Count(const std::string& name, const std::string& help, const std::string& labels,
                    double by) {
  MutexLock lock(mu_);
  Counter& c = counters_[name];
  c.help = help;
  c.values[labels] += by;
}

std::string Metrics::Render(const std::vector<Gauge>& gauges) const {
  std::string out;
  {
    MutexLock lock(mu_);
    out += "# HELP mpp_http_requests_total Requests answered, by route, method and status.\n";
    out += "# TYPE mpp_http_requests_total counter\n";
    for (const auto& [labels, n] : requests_) {
      out += "mpp_http_requests_total{" + labels + "} " + std::to_string(n) + "\n";
    }
    out += "# HELP mpp_http_request_duration_seconds Time to answer a request.\n";
    out += "# TYPE mpp_http_request_duration_seconds histogram\n";
    for (const auto& [labels, h] : latency_) {
      uint64_t cumulative = 0;
      for (size_t b = 0; b < kBucketCount; ++b) {
        cumulative += h.buckets[b];
        out += "mpp_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
               Number(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
      }
      out += "mpp_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out += "mpp_http_request_duration_seconds_sum{" + labels + "} " + Number(h.sum) + "\n";
      out += "mpp_http_request_duration_seconds_count{" + labels + "} " + std::to_string(h.count) +
             "\n";
    }
    out += "# HELP mpp_http_received_bytes_total Request bodies received, by route.\n";
    out += "# TYPE mpp_http_received_bytes_total counter\n";
    for (const auto& [labels, b] : bytes_) {
      out += "mpp_http_received_bytes_total{" + labels + "} " + std::to_string(b.first) + "\n";
    }
    out += "# HELP mpp_http_sent_bytes_total Response bodies sent, by route.\n";
    out += "# TYPE mpp_http_sent_bytes_total counter\n";
    for (const auto& [labels, b] : bytes_) {
      out += "mpp_http_sent_bytes_total{" + labels + "} " + std::to_string(b.second) + "\n";
    }
    for (const auto& [name, c] : counters_) {
      out += "# HELP " + name + " " + c.help + "\n# TYPE " + name + " counter\n";
      for (const auto& [labels, v] : c.values) {
        out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(v) + "\n";
      }
    }
  }
  for (const Gauge& g : gauges) {
    out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
    for (const auto& [labels, v] : g.values) {
      out += g.name + (labels.empty() ? "" : "{" + labels + "}") + " " + Number(v) + "\n";
    }
  }
  return out;
}

}  // namespace mpp::http
