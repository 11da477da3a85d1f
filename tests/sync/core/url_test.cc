#include "sync/core/url.h"

#include <gtest/gtest.h>

namespace mpp {
namespace {

TEST(UrlTest, SplitsPathAndDecodesQuery) {
  auto t = ParseTarget(
      "/api/v1/applications?status=in_process&from=2026-11-20T08%3A00%3A00%2B08%3A00&x=a+b");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"api", "v1", "applications"}));
  EXPECT_EQ(t->query.at("status"), "in_process");
  EXPECT_EQ(t->query.at("from"), "2026-11-20T08:00:00+08:00");
  EXPECT_EQ(t->query.at("x"), "a b");
}

TEST(UrlTest, RefusesBrokenEscapes) {
  EXPECT_FALSE(ParseTarget("/a?b=%2").ok());
  EXPECT_FALSE(ParseTarget("/a%zz").ok());
  EXPECT_TRUE(ParseTarget("//a///b/").ok());
}

}  // namespace
}  // namespace mpp
