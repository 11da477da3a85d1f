#include "sync/core/time_util.h"

#include <gtest/gtest.h>

namespace mpp {
namespace {

TEST(TimeUtilTest, ParsesOffsetsAndNormalisesToUtc) {
  auto wita = ParseRfc3339("2026-11-20T08:12:44+08:00");
  ASSERT_TRUE(wita.ok());
  EXPECT_EQ(FormatUtc(*wita), "2026-11-20T00:12:44Z");
  auto z = ParseRfc3339("2026-11-20T00:12:44.5Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*z, *wita + 500);
  EXPECT_EQ(FormatUtcMillis(*z), "2026-11-20T00:12:44.500Z");
  auto neg = ParseRfc3339("2026-11-19T20:12:44-04:00");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(*neg, *wita);
}

TEST(TimeUtilTest, RefusesMalformedOrImpossibleTimes) {
  for (const char* bad :
       {"", "2026-11-20", "2026-11-20T08:12:44", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-20T24:00:00Z", "2026-11-20T08:12:44+8", "2026-11-20T08:12:44Zjunk",
        "1969-12-31T23:59:59Z", "2026-11-20T08:12:44.Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseRfc3339("2028-02-29T00:00:00Z").ok());
}

TEST(TimeUtilTest, LocalDateFollowsTheSitesZone) {
  auto t = ParseRfc3339("2026-11-20T23:30:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(LocalDate(*t, IndonesianZoneOffsetMinutes("WIB")), "2026-11-21");
  EXPECT_EQ(LocalDate(*t, 0), "2026-11-20");
  EXPECT_EQ(IndonesianZoneOffsetMinutes("WIT"), 540);
  EXPECT_EQ(IndonesianZoneOffsetMinutes("CET"), -1);
}

}  // namespace
}  // namespace mpp
