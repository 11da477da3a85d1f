#include "sync/core/json.h"
#include "sync/core/hex.h"

#include <gtest/gtest.h>

namespace mpp {
namespace {

TEST(JsonTest, ParsesWithinTheDepthLimit) {
  auto j = ParseJson(R"({"a":[{"b":"[[[[{{{{"}]})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["a"][0]["b"], "[[[[{{{{");  // brackets inside strings do not count
}

TEST(JsonTest, RefusesDeepNestingBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto j = ParseJson(deep);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, Errc::kBadJson);
  EXPECT_NE(j.error().message.find("nested"), std::string::npos);
  EXPECT_TRUE(ParseJson(std::string(16, '[') + std::string(16, ']')).ok());
  EXPECT_FALSE(ParseJson(std::string(17, '[') + std::string(17, ']')).ok());
}

TEST(JsonTest, MalformedJsonIsAnErrorNotAnException) {
  for (const char* bad : {"", "{", "{\"a\":}", "nul", "{\"a\":1}x", "\xff\xfe"}) {
    auto j = ParseJson(bad);
    ASSERT_FALSE(j.ok()) << bad;
    EXPECT_EQ(j.error().code, Errc::kBadJson);
  }
}

TEST(JsonTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  auto d = HexDecode("01AB");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, "\x01\xab");
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

// Found by fuzz_batch: a number beyond a double's range threw out of ParseJson, so a push
// holding one got 500 internal_error instead of 400 bad_json.
TEST(ParseJson, ANumberOutOfRangeIsBadJsonNotAnException) {
  auto j = ParseJson(R"({"seq":17637130e8357})");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, Errc::kBadJson);
}

}  // namespace
}  // namespace mpp
