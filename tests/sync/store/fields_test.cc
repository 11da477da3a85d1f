#include "sync/store/fields.h"

#include <gtest/gtest.h>

namespace mpp::store {
namespace {

constexpr std::string_view kKinds[] = {"a", "b"};
const FieldSpec kSpecs[] = {
    {"name", FieldType::kString, true, 1, 5},    {"kind", FieldType::kString, false, 0, 0, kKinds},
    {"n", FieldType::kInteger, false, 1, 4},     {"at", FieldType::kTimestamp},
    {"text", FieldType::kString, false, 0, 100}, {"ref", FieldType::kUuid},
};

Errc CodeOf(const Json& body) {
  auto r = ValidateFields(body, kSpecs);
  return r.ok() ? Errc::kOk : r.error().code;
}

TEST(FieldsTest, AcceptsAndNormalises) {
  auto r = ValidateFields(
      {{"name", "abc"}, {"at", "2026-11-20T08:00:00+08:00"}, {"n", 4}, {"kind", nullptr}}, kSpecs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["at"], "2026-11-20T00:00:00Z");
  EXPECT_FALSE(r->contains("kind"));  // null counts as absent
}

TEST(FieldsTest, EachKindOfBadInputHasItsCode) {
  EXPECT_EQ(CodeOf(Json::array()), Errc::kInvalidType);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"extra", 1}}), Errc::kUnknownField);
  EXPECT_EQ(CodeOf({{"kind", "a"}}), Errc::kMissingField);
  EXPECT_EQ(CodeOf({{"name", 5}}), Errc::kInvalidType);
  EXPECT_EQ(CodeOf({{"name", "toolong"}}), Errc::kOutOfRange);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"kind", "c"}}), Errc::kOutOfRange);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"n", 0}}), Errc::kOutOfRange);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"n", 5}}), Errc::kOutOfRange);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"n", 2.5}}), Errc::kInvalidType);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"n", "2"}}), Errc::kInvalidType);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"n", 18446744073709551615ull}}), Errc::kOutOfRange);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"at", "yesterday"}}), Errc::kInvalidValue);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"ref", "not-a-uuid"}}), Errc::kInvalidValue);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"text", "NIK 7301014508900001 lupa"}}), Errc::kInvalidValue);
  EXPECT_EQ(CodeOf({{"name", "a"}, {"text", "telp 0812 3456 7890"}}), Errc::kOk);
}

TEST(FieldsTest, MessagesNameTheFieldAndWhatIsAllowed) {
  auto r = ValidateFields({{"name", "a"}, {"kind", "z"}}, kSpecs);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'kind'"), std::string::npos);
  EXPECT_NE(r.error().message.find("a, b"), std::string::npos);
}

}  // namespace
}  // namespace mpp::store
