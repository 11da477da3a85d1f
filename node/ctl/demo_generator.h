// Realistic demo traffic for an MPP office, as a sequence of office-API calls.
//
// A "visit" is what one citizen does at the MPP: takes a queue ticket, files an application
// for one service (with a made-up but well-formed NIK from the site's regency), and then the
// application moves through its stages; most complete, some are rejected or cancelled, some
// are still open at the end of the day. Fees are paid for completed paid services; about 40% of
// citizens fill in the SKM survey and about 3% file a complaint. Reproducible from the seed.
//
// Pure: produces requests and consumes responses through a callback, so it runs against a
// real node (mppctl generate) or in-process.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sync/core/json.h"

namespace mpp::ctl {

struct Service {
  std::string code;
  std::string agency_code;
  int64_t fee_idr = 0;
};

struct Counter {
  std::string code;
  std::string agency_code;
};

struct VisitTotals {
  int visits = 0, applications = 0, completed = 0, rejected = 0, cancelled = 0, open = 0;
  int payments = 0, surveys = 0, complaints = 0, failed_calls = 0;
};

// (method, path, body) → (HTTP status, parsed body). The generator stops a visit at the
// first call that does not answer 2xx and counts it in failed_calls.
using CallFn = std::function<std::pair<int, Json>(const std::string& method,
                                                  const std::string& path, const Json& body)>;

// Runs `visits` visits against `call`. `regency_prefix` is the first 4 digits of the NIKs
// made (e.g. "7301" for Kepulauan Selayar).
VisitTotals GenerateVisits(int visits, uint64_t seed, const std::string& regency_prefix,
                           const std::vector<Service>& services,
                           const std::vector<Counter>& counters, const CallFn& call);

}  // namespace mpp::ctl
