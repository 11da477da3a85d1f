#include "sync/protocol/messages.h"

#include <gtest/gtest.h>

namespace mpp::protocol {
namespace {

TEST(MessagesTest, PushRoundTripsAndRefusesMalformedChanges) {
  Change c;
  c.seq = 7;
  c.hlc = MakeHlc(1'795'000'000'000, 3);
  c.table = "applications";
  c.row_id = "01a20e58-7ffb-74a2-8ab8-e9875fb0d571";
  c.op = "update";
  c.data = {{"notes", "x"}};
  c.base = {{"notes", Json::array({123u, "MPP7301"})}};
  const Json j = ToJson(PushRequest{"MPP7301", 7, {c}});
  EXPECT_FALSE(j["changes"][0].contains("origin")) << "the origin comes from the certificate";
  auto back = PushRequestFromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->changes[0].hlc, c.hlc);
  EXPECT_EQ(back->changes[0].base, c.base);
  for (
      const char* bad :
      {R"({"site":"A","first_seq":1,"changes":[{"seq":1,"hlc":"x","table":"t","row":"r","op":"insert","data":{"a":1}}]})",
       R"({"site":"A","first_seq":1,"changes":[{"seq":1,"hlc":"5","table":"t","row":"r","op":"drop","data":{"a":1}}]})",
       R"({"site":"A","first_seq":1,"changes":[{"seq":1,"hlc":"5","table":"t","row":"r","op":"insert","data":{"a":{"b":1}}}]})",
       R"({"site":"A","first_seq":0,"changes":[]})"}) {
    EXPECT_FALSE(PushRequestFromJson(Json::parse(bad)).ok()) << bad;
  }
}

TEST(MessagesTest, BodiesCompressAndRefuseBombs) {
  const Json big = {{"x", std::string(100000, 'a')}};
  const std::string z = EncodeBody(big, true);
  EXPECT_LT(z.size(), 1000u);
  auto back = DecodeBody(z, "zstd");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, big);
  EXPECT_FALSE(DecodeBody("not zstd", "zstd").ok());
  EXPECT_FALSE(DecodeBody(z, "br").ok());
  EXPECT_FALSE(DecodeBody(z.substr(0, z.size() / 2), "zstd").ok());
}

// Issue 11, finding 6: what one body may cost is bounded by its decompressed size, the number
// of JSON values and the number of changes, not only by its size on the wire.
TEST(MessagesTest, ABodyIsRefusedByWhatItWouldCostToParse) {
  const std::string over(kMaxSyncBody + 1, ' ');
  auto z = DecodeBody(EncodeBody(Json(over), true), "zstd");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().code, Errc::kBodyTooLarge);
  EXPECT_TRUE(DecodeBody(EncodeBody(Json(std::string(kMaxSyncBody - 16, ' ')), true), "zstd").ok());

  std::string objects = "[";
  for (size_t i = 0; i < kMaxJsonValues; ++i) objects += "{},";
  objects.back() = ']';  // kMaxJsonValues objects inside one array: one too many
  auto v = DecodeBody(objects, "");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::kBodyTooLarge);
  objects.erase(1, 3);
  EXPECT_TRUE(DecodeBody(objects, "").ok());
  // Commas inside strings are not values.
  EXPECT_TRUE(ParseJson(Json(std::string(kMaxJsonValues * 2, ',')).dump()).ok());

  Json push = {{"site", "MPP7301"}, {"first_seq", 1}, {"changes", Json::array()}};
  for (size_t i = 1; i <= kMaxBatchChanges + 1; ++i) {
    Json c = {{"seq", i}, {"hlc", "1"}, {"table", "surveys"}, {"row", "x"}, {"op", "insert"}};
    c["data"] = {{"u1", 1}};
    push["changes"].push_back(c);
  }
  auto p = PushRequestFromJson(push);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::kBodyTooLarge);
  push["changes"].erase(push["changes"].size() - 1);
  auto fits = PushRequestFromJson(push);
  EXPECT_TRUE(fits.ok()) << fits.error().message;
}

}  // namespace
}  // namespace mpp::protocol
