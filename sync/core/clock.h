// Clock and Random: the seams through which time and randomness enter the system, so that
// tests can skew clocks and replay seeds. Implementations here are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>

namespace mpp {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch. May jump backwards.
  virtual int64_t NowMs() = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() override;
};

// A clock that tests set by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() override { return now_ms_.load(); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms); }
  void Advance(int64_t delta_ms) { now_ms_.fetch_add(delta_ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

// The wall clock corrected by an offset measured against the centre's clock at the last sync,
// so a site PC whose clock is off still stamps its changes near the centre's time.
class OffsetClock final : public Clock {
 public:
  explicit OffsetClock(Clock& base) : base_(base) {}
  int64_t NowMs() override { return base_.NowMs() + offset_ms_.load(); }
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
    std::lock_guard lock(mu_);
    return engine_();
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace mpp
