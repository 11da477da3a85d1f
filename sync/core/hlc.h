// Hybrid logical clock (Kulkarni et al., 2014) stamping every change.
//
// A timestamp is one uint64: the upper 48 bits are milliseconds since the Unix epoch, the
// lower 16 a logical counter. Stamps issued by one Hlc strictly increase, even when the wall
// clock goes backwards (the physical part then stays put and the counter runs). Stamps from
// peers are merged with Update(); one more than `max_drift_ms` ahead of our wall clock is
// refused, so a peer with a clock years ahead cannot drag ours along.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "sync/core/clock.h"
#include "sync/core/mutex.h"
#include "sync/core/result.h"

namespace mpp {

using HlcStamp = uint64_t;

constexpr int kHlcLogicalBits = 16;
constexpr int64_t kDefaultMaxDriftMs = 2 * 60 * 1000;  // 2 minutes

inline int64_t HlcPhysicalMs(HlcStamp t) { return static_cast<int64_t>(t >> kHlcLogicalBits); }
inline uint32_t HlcLogical(HlcStamp t) { return static_cast<uint32_t>(t & 0xFFFFu); }
inline HlcStamp MakeHlc(int64_t physical_ms, uint32_t logical) {
  return (static_cast<uint64_t>(physical_ms) << kHlcLogicalBits) | (logical & 0xFFFFu);
}
// "2026-11-20T00:12:44.123Z/0005", for logs and docs.
std::string HlcToString(HlcStamp t);

class Hlc {
 public:
  explicit Hlc(Clock& clock, int64_t max_drift_ms = kDefaultMaxDriftMs)
      : clock_(clock), max_drift_ms_(max_drift_ms) {}

  // A new stamp greater than every stamp this clock has issued or observed.
  HlcStamp Now();

  // Merges a peer's stamp. Returns the new local stamp, or kClockSkew (and changes nothing)
  // when `remote` is more than max_drift_ms ahead of our wall clock.
  Result<HlcStamp> Update(HlcStamp remote);
  // Whether Update would take `remote` now (not beyond the drift bound), changing nothing.
  bool WithinDrift(HlcStamp remote) const;

  // Raises the floor to `t` without the drift check: used on start-up with the largest
  // stamp already persisted, so a restart never issues a smaller stamp.
  void Observe(HlcStamp t);

  HlcStamp Last() const;

  // Sets the floor to exactly `t`, even below the last stamp. Only for a replica rewriting
  // stamps that no other replica has seen (SiteStore::RestampFutureChanges).
  void ResetTo(HlcStamp t);

 private:
  Clock& clock_;
  const int64_t max_drift_ms_;
  mutable Mutex mu_;
  HlcStamp last_ GUARDED_BY(mu_) = 0;
};

}  // namespace mpp
