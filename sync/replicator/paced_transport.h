// A SyncTransport that keeps another under a bandwidth cap (`mppctl sync --limit-kbps`), so a
// sync leaves room on a thin link the office shares. After each request it waits until the
// bytes moved so far, both ways, fit the cap on average since the first request. The wait
// falls inside the request, so the replicator's batch sizing sees the capped rate and sends
// smaller batches. Not thread-safe (one sync at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "sync/core/clock.h"
#include "sync/replicator/replicator.h"

namespace mpp::replicator {

class PacedTransport final : public SyncTransport {
 public:
  using SleepFn = std::function<void(int64_t micros)>;
  // `bytes_per_second` > 0. `sleep` waits that long (tests pass one that moves a fake clock).
  PacedTransport(
      SyncTransport& inner, Clock& clock, int64_t bytes_per_second,
      SleepFn sleep =
          [](int64_t us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); })
      : inner_(inner), clock_(clock), rate_(bytes_per_second), sleep_(std::move(sleep)) {}

  Result<http::Response> Send(const http::Request& request) override {
    if (!started_) {
      started_ = true;
      t0_us_ = clock_.SteadyMicros();
      bytes0_ = Moved();
    }
    auto response = inner_.Send(request);
    const auto moved = static_cast<int64_t>(Moved() - bytes0_);
    const int64_t due_us = moved * 1'000'000 / rate_;
    const int64_t elapsed_us = clock_.SteadyMicros() - t0_us_;
    if (due_us > elapsed_us) sleep_(due_us - elapsed_us);
    return response;
  }
  uint64_t bytes_sent() const override { return inner_.bytes_sent(); }
  uint64_t bytes_received() const override { return inner_.bytes_received(); }

 private:
  uint64_t Moved() const { return inner_.bytes_sent() + inner_.bytes_received(); }

  SyncTransport& inner_;
  Clock& clock_;
  const int64_t rate_;
  SleepFn sleep_;
  bool started_ = false;
  int64_t t0_us_ = 0;
  uint64_t bytes0_ = 0;
};

}  // namespace mpp::replicator
