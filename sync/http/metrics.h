// Metrics in the Prometheus text format (version 0.0.4) for GET /metrics of mpp-node and
// mpp-central: requests by route, method and status with a latency histogram, named
// counters, and gauges the caller computes when scraped. Labels never carry personal data
// or ids: a route is its path with every segment that is not a short lowercase word (at
// most two digits: "v1") replaced by {id}, and at most kMaxRoutes routes are kept (the rest are
// route="other"), so a client cannot grow the page with made-up paths. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sync/core/mutex.h"
#include "sync/http/message.h"

namespace mpp::http {

// "/api/v1/applications/0190d2.../status" → "/api/v1/applications/{id}/status".
std::string RouteOf(std::string_view path);

struct Gauge {
  std::string name;  // e.g. "mpp_pending_changes"
  std::string help;
  std::vector<std::pair<std::string, double>> values;  // {labels ("site=\"MPP7301\""), value}
};

class Metrics {
 public:
  static constexpr size_t kMaxRoutes = 100;

  // A request answered: counted by route, method and status, its duration and its body
  // bytes each way observed.
  void Served(std::string_view method, std::string_view path, int status, double seconds,
              size_t bytes_in = 0, size_t bytes_out = 0);
  // `request` answered with `response` in `seconds`: Served() with its path and body sizes,
  // and a refusal counted by its error code (mpp_http_errors_total{code="rate_limited"}).
  void Answered(const Request& request, const Response& response, double seconds);
  // Adds `by` to counter `name` (declared with `help`) under `labels` (already formatted:
  // code="rate_limited"; the caller's values are its own vocabulary, never input).
  void Count(const std::string& name, const std::string& help, const std::string& labels,
             double by = 1);
  // Everything counted, then `gauges`.
  std::string Render(const std::vector<Gauge>& gauges) const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative at render; counts per bucket here
    double sum = 0;
    uint64_t count = 0;
  };
  struct Counter {
    std::string help;
    std::map<std::string, double> values;
  };
  mutable Mutex mu_;
  std::map<std::string, uint64_t> requests_ GUARDED_BY(mu_);  // labels → count
  std::map<std::string, Histogram> latency_ GUARDED_BY(mu_);  // route labels → histogram
  std::map<std::string, Counter> counters_ GUARDED_BY(mu_);
  std::map<std::string, bool> routes_ GUARDED_BY(mu_);  // the routes seen (bounded)
  std::map<std::string, std::pair<uint64_t, uint64_t>> bytes_ GUARDED_BY(mu_);  // in, out
};

// The content type of a Render()ed page.
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace mpp::http
