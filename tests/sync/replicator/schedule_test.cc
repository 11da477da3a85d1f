// The sync agent's schedule on a fake clock and seeded randomness: jitter, backoff with its
// cap, Retry-After, the daily window (also across midnight, in the site's local time).
#include <gtest/gtest.h>

#include "sync/replicator/schedule.h"

namespace mpp::replicator {
namespace {

constexpr int64_t kMin = 60'000;
// 2026-12-04T00:00:00Z, a midnight in UTC.
constexpr int64_t kMidnightUtc = 1'796'342'400'000;

ScheduleOptions Every(int64_t every_ms, int64_t max_backoff_ms = 3'600'000) {
  ScheduleOptions o;
  o.every_ms = every_ms;
  o.max_backoff_ms = max_backoff_ms;
  return o;
}

TEST(SyncSchedule, EveryIntervalWithJitterAfterSuccess) {
  SeededRandom random(1);
  SyncSchedule s(Every(300'000), random);
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const int64_t wait = s.AfterSuccess(kMidnightUtc) - kMidnightUtc;
    lo = std::min(lo, wait);
    hi = std::max(hi, wait);
  }
  EXPECT_GE(lo, 270'000);
  EXPECT_LE(hi, 330'000);
  EXPECT_LT(lo, 280'000) << "the jitter spreads sites started together";
  EXPECT_GT(hi, 320'000);
  const int64_t first = s.First(kMidnightUtc) - kMidnightUtc;
  EXPECT_LE(first, 30'000) << "the first attempt comes soon after start";
}

TEST(SyncSchedule, BackoffDoublesUpToItsCapAndSuccessResetsIt) {
  SeededRandom random(2);
  SyncSchedule s(Every(60'000, 600'000), random);
  for (int failure = 1; failure <= 12; ++failure) {
    int64_t ceiling = 60'000;
    for (int i = 1; i < failure; ++i) ceiling = std::min<int64_t>(ceiling * 2, 600'000);
    int64_t hi = 0;
    for (int k = 0; k < 200; ++k) {
      SyncSchedule probe(Every(60'000, 600'000), random);
      for (int i = 1; i < failure; ++i) probe.AfterFailure(kMidnightUtc);
      const int64_t wait = probe.AfterFailure(kMidnightUtc) - kMidnightUtc;
      EXPECT_GE(wait, 1000);
      EXPECT_LE(wait, ceiling) << "failure " << failure;
      hi = std::max(hi, wait);
    }
    EXPECT_GT(hi, ceiling / 2) << "full jitter reaches up to the ceiling, failure " << failure;
  }
  s.AfterFailure(kMidnightUtc);
  s.AfterFailure(kMidnightUtc);
  EXPECT_EQ(s.failures(), 2);
  s.AfterSuccess(kMidnightUtc);
  EXPECT_EQ(s.failures(), 0);
}

TEST(SyncSchedule, NeverBeforeTheCentresRetryAfter) {
  SeededRandom random(3);
  SyncSchedule s(Every(10'000), random);
  for (int i = 0; i < 100; ++i) {
    EXPECT_GE(s.AfterFailure(kMidnightUtc, 120'000) - kMidnightUtc, 120'000);
  }
}

TEST(SyncSchedule, OnlyInsideTheWindowInTheSitesLocalTime) {
  SeededRandom random(4);
  auto window = SyncWindow::Parse("17:00-07:30");
  ASSERT_TRUE(window.ok());
  // WITA (UTC+8): 17:00 local is 09:00Z, 07:30 local is 23:30Z the day before.
  ScheduleOptions o = Every(300'000);
  o.window = *window;
  o.tz_offset_minutes = 480;
  SyncSchedule s(o, random);
  const int64_t noon_local = kMidnightUtc + 4 * 60 * kMin;  // 12:00 WITA
  EXPECT_EQ(s.AfterSuccess(noon_local), kMidnightUtc + 9 * 60 * kMin) << "waits for 17:00 WITA";
  const int64_t evening = kMidnightUtc + 11 * 60 * kMin;  // 19:00 WITA
  const int64_t next = s.AfterSuccess(evening);
  EXPECT_GE(next - evening, 270'000);
  EXPECT_LE(next - evening, 330'000) << "inside the window: the usual interval";
  const int64_t late = kMidnightUtc + 23 * 60 * kMin + 28 * kMin;  // 07:28 WITA next day
  EXPECT_EQ(s.AfterFailure(late, 600'000), kMidnightUtc + 33 * 60 * kMin)
      << "a retry that would fall at 07:38 waits for 17:00";
  for (const char* bad : {"17:00", "25:00-07:00", "17:00-17:00", "7:00-8:00", "17:00-07:30x"}) {
    EXPECT_FALSE(SyncWindow::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mpp::replicator
