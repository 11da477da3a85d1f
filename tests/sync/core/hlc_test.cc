#include "sync/core/hlc.h"

#include <gtest/gtest.h>

namespace mpp {
namespace {

constexpr int64_t kT0 = 1'795'000'000'000;  // late 2026, in ms

TEST(HlcTest, StampsStrictlyIncreaseWhenTheWallClockStandsStill) {
  ManualClock clock(kT0);
  Hlc hlc(clock);
  HlcStamp prev = hlc.Now();
  for (int i = 0; i < 1000; ++i) {
    const HlcStamp t = hlc.Now();
    EXPECT_GT(t, prev);
    prev = t;
  }
  EXPECT_EQ(HlcPhysicalMs(prev), kT0);
  EXPECT_EQ(HlcLogical(prev), 1000u);
}

TEST(HlcTest, MonotonicWhenTheWallClockGoesBackwards) {
  ManualClock clock(kT0);
  Hlc hlc(clock);
  const HlcStamp before = hlc.Now();
  clock.Set(kT0 - 3'600'000);  // an hour back (a PC resynced to a wrong NTP server)
  const HlcStamp after = hlc.Now();
  EXPECT_GT(after, before);
  EXPECT_EQ(HlcPhysicalMs(after), kT0);  // physical part holds; the counter runs
  clock.Set(kT0 + 5);
  EXPECT_EQ(hlc.Now(), MakeHlc(kT0 + 5, 0));  // and it catches up with real time again
}

TEST(HlcTest, CounterOverflowCarriesIntoMilliseconds) {
  ManualClock clock(kT0);
  Hlc hlc(clock);
  hlc.Observe(MakeHlc(kT0, 0xFFFF));
  const HlcStamp t = hlc.Now();
  EXPECT_EQ(HlcPhysicalMs(t), kT0 + 1);
  EXPECT_EQ(HlcLogical(t), 0u);
}

TEST(HlcTest, UpdateAdoptsAPeerSlightlyAhead) {
  ManualClock clock(kT0);
  Hlc hlc(clock);
  const HlcStamp remote = MakeHlc(kT0 + 60'000, 7);  // a minute ahead: within the 2 min bound
  auto r = hlc.Update(remote);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(*r, remote);
  EXPECT_GT(hlc.Now(), remote);
}

TEST(HlcTest, UpdateRefusesAPeerBeyondTheDriftBoundAndChangesNothing) {
  ManualClock clock(kT0);
  Hlc hlc(clock);
  const HlcStamp last = hlc.Now();
  const HlcStamp ten_years = MakeHlc(kT0 + 10LL * 365 * 86'400'000, 0);
  auto r = hlc.Update(ten_years);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kClockSkew);
  EXPECT_EQ(hlc.Last(), last);
  // Bounded drift: just past the bound is refused, just inside is accepted.
  EXPECT_FALSE(hlc.Update(MakeHlc(kT0 + kDefaultMaxDriftMs + 1, 0)).ok());
  EXPECT_TRUE(hlc.Update(MakeHlc(kT0 + kDefaultMaxDriftMs, 0)).ok());
}

TEST(HlcTest, UpdateFromAPeerBehindStillAdvances) {
  ManualClock clock(kT0);
  Hlc hlc(clock);
  const HlcStamp mine = hlc.Now();
  auto r = hlc.Update(MakeHlc(0, 0));  // a peer whose clock says 1970
  ASSERT_TRUE(r.ok());
  EXPECT_GT(*r, mine);
}

TEST(HlcTest, ToStringShowsTimeAndCounter) {
  EXPECT_EQ(HlcToString(MakeHlc(0, 5)), "1970-01-01T00:00:00.000Z/0005");
}

}  // namespace
}  // namespace mpp
