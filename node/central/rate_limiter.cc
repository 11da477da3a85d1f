#include "node/central/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mpp::central {

RateLimiter::RateLimiter(Clock& clock, double per_second, double burst)
    : clock_(clock), per_second_(per_second), burst_(std::max(burst, 1.0)) {}

int64_t RateLimiter::Take(const std::string& peer) {
  if (per_second_ <= 0) return 0;
  const int64_t now = clock_.NowMs();
  MutexLock lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(peer, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh && now > b.at_ms) {
    b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.at_ms) * per_second_ / 1000);
  }
  b.at_ms = std::max(b.at_ms, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1 - b.tokens) / per_second_)));
}

}  // namespace mpp::central
