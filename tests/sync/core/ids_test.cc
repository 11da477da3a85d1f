#include "sync/core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace mpp {
namespace {

TEST(IdsTest, UuidV7HasVersionVariantAndTimeOrder) {
  ManualClock clock(1'795'000'000'000);
  SeededRandom random(42);
  const std::string a = NewUuidV7(clock, random);
  clock.Advance(1);
  const std::string b = NewUuidV7(clock, random);
  EXPECT_TRUE(IsUuid(a));
  EXPECT_EQ(a[14], '7');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_LT(a, b);
}

TEST(IdsTest, NoCollisionsInTheSameMillisecond) {
  ManualClock clock(1'795'000'000'000);
  CryptoRandom random;
  std::set<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.insert(NewUuidV7(clock, random));
  EXPECT_EQ(ids.size(), 100000u);
}

TEST(IdsTest, IsUuidRejectsOtherForms) {
  EXPECT_FALSE(IsUuid("01a20e3f-74bf-74e7-a39c-abb620b5bff"));
  EXPECT_FALSE(IsUuid("01A20E3F-74BF-74E7-A39C-ABB620B5BFFE"));
  EXPECT_FALSE(IsUuid("01a20e3f_74bf-74e7-a39c-abb620b5bffe"));
  EXPECT_TRUE(IsUuid("01a20e3f-74bf-74e7-a39c-abb620b5bffe"));
}

}  // namespace
}  // namespace mpp
