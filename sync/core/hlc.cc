#include "sync/core/hlc.h"

#include <algorithm>
#include <cstdio>

#include "sync/core/time_util.h"

namespace mpp {
namespace {

// The successor of `last` at wall time `pt`: a later physical time resets the counter,
// otherwise the counter advances (carrying into the physical part when it overflows).
HlcStamp Tick(HlcStamp last, int64_t pt) {
  if (pt > HlcPhysicalMs(last)) return MakeHlc(pt, 0);
  return last + 1;  // the logical field's overflow carries into the physical milliseconds
}

}  // namespace

std::string HlcToString(HlcStamp t) {
  char counter[8];
  std::snprintf(counter, sizeof counter, "%04x", HlcLogical(t));
  return FormatUtcMillis(HlcPhysicalMs(t)) + "/" + counter;
}

HlcStamp Hlc::Now() {
  const int64_t pt = clock_.NowMs();
  MutexLock lock(mu_);
  last_ = Tick(last_, pt);
  return last_;
}

bool Hlc::WithinDrift(HlcStamp remote) const {
  return HlcPhysicalMs(remote) <= clock_.NowMs() + max_drift_ms_;
}

Result<HlcStamp> Hlc::Update(HlcStamp remote) {
  const int64_t pt = clock_.NowMs();
  if (HlcPhysicalMs(remote) > pt + max_drift_ms_) {
    return MakeError(Errc::kClockSkew, "peer timestamp " + HlcToString(remote) + " is more than " +
                                           std::to_string(max_drift_ms_ / 1000) +
                                           " s ahead of this machine's clock; check both clocks");
  }
  MutexLock lock(mu_);
  last_ = Tick(std::max(last_, remote), pt);
  return last_;
}

void Hlc::Observe(HlcStamp t) {
  MutexLock lock(mu_);
  last_ = std::max(last_, t);
}

void Hlc::ResetTo(HlcStamp t) {
  MutexLock lock(mu_);
  last_ = t;
}

HlcStamp Hlc::Last() const {
  MutexLock lock(mu_);
  return last_;
}

}  // namespace mpp
