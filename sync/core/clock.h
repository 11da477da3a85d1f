// Clock and Random: the seams through which time and randomness enter the system, so that
// tests can skew clocks and replay seeds. Implementations here are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include "sync/core/mutex.h"

namespace mpp {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch. May jump backwards.
  virtual int64_t NowMs() = 0;
  // For measuring how long something took: microseconds from an arbitrary origin, never
  // going backwards.
  virtual int64_t SteadyMicros() = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() override;
  int64_t SteadyMicros() override;
};

// A clock that tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() override { return now_ms_.load(); }
  // Moves only when the test advances it (Set backwards does not move it back).
  int64_t SteadyMicros() override { return steady_us_.load(); }
  void Set(int64_t now_ms) {
    const int64_t delta = now_ms - now_ms_.exchange(now_ms);
    if (delta > 0) steady_us_.fetch_add(delta * 1000);
  }
  void Advance(int64_t delta_ms) {
    now_ms_.fetch_add(delta_ms);
    if (delta_ms > 0) steady_us_.fetch_add(delta_ms * 1000);
  }

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> steady_us_{0};
};

// The wall clock corrected by an offset measured against the centre's clock at the last sync,
// so a site PC whose clock is off still stamps its changes near the centre's time.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(Clock& base) : base_(base) {}
  int64_t NowMs() override { return base_.NowMs() + offset_ms_.load(); }
  int64_t SteadyMicros() override { return base_.SteadyMicros(); }
  void SetOffset(int64_t offset_ms) { offset_ms_.store(offset_ms); }
  int64_t offset() const { return offset_ms_.load(); }

 private:
  Clock& base_;
  std::atomic<int64_t> offset_ms_{0};
};

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;
};

// Bytes from the OS CSPRNG (OpenSSL RAND_bytes): for ids and keys in production.
class CryptoRandom final : public Random {
 public:
  uint64_t Next() override;
};

// A reproducible stream for tests and the demo generator.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  uint64_t Next() override {
    MutexLock lock(mu_);
    return engine_();
  }

 private:
  Mutex mu_;
  std::mt19937_64 engine_ GUARDED_BY(mu_);
};

}  // namespace mpp
