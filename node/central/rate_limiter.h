// A token bucket per peer (certificate), so that one site flooding the centre (a retry loop
// gone wrong, a misconfigured cron) cannot slow every other site down. Each peer may make
// `per_second` requests a second on average and `burst` at once. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "sync/core/clock.h"
#include "sync/core/mutex.h"

namespace mpp::central {

class RateLimiter {
 public:
  // per_second <= 0: no limit.
  RateLimiter(Clock& clock, double per_second, double burst);
  // Takes a token for `peer`: 0 when the request may go ahead, else the whole seconds to wait
  // before the next one will (for Retry-After).
  int64_t Take(const std::string& peer);

 private:
  struct Bucket {
    double tokens;
    int64_t at_ms;
  };
  Clock& clock_;
  const double per_second_, burst_;
  Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);  // one per certificate
};

}  // namespace mpp::central
