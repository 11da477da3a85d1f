// The office API of mpp-node (docs/api.md): routes a request to the site's office records
// (sync/store/office_records.h) and turns the result into a response. A plain function of the
// request, so it is tested without sockets, and the one place where store errors become HTTP
// statuses and JSON error bodies.
#pragma once

#include <set>
#include <string>

#include <functional>
#include <vector>

#include "sync/http/message.h"
#include "sync/http/metrics.h"
#include "sync/store/office_records.h"

namespace mpp::site {

class OfficeApi {
 public:
  // `allowed_hosts`: names besides IP literals and localhost that a request's Host header may
  // give (lowercase); any other is refused (DNS rebinding).
  // `metrics`, when given, counts every request and answers GET /metrics with them and the
  // `gauges` computed at each scrape.
  explicit OfficeApi(store::OfficeRecords& store, std::set<std::string> allowed_hosts = {},
                     http::Metrics* metrics = nullptr,
                     std::function<std::vector<http::Gauge>()> gauges = {})
      : store_(store),
        allowed_hosts_(std::move(allowed_hosts)),
        metrics_(metrics),
        gauges_(std::move(gauges)) {}
  // Never throws. Thread-safe (the store serialises).
  http::Response Handle(const http::Request& request);

 private:
  http::Response Route(const http::Request& request);
  store::OfficeRecords& store_;
  std::set<std::string> allowed_hosts_;
  http::Metrics* metrics_;
  std::function<std::vector<http::Gauge>()> gauges_;
};

}  // namespace mpp::site
