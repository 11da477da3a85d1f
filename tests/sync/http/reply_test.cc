#include "sync/http/reply.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mpp::http {
namespace {

TEST(ReplyTest, ErrorBodyHasTheStableShape) {
  auto j = Json::parse(ErrorBody({Errc::kUnknownService, "no such service"}));
  EXPECT_EQ(j["error"]["code"], "unknown_service");
  EXPECT_EQ(j["error"]["message"], "no such service");
  EXPECT_EQ(ErrcHttpStatus(Errc::kUnknownService), 422);
  EXPECT_EQ(ErrcHttpStatus(Errc::kBodyTooLarge), 413);
}

TEST(ReplyTest, ErrorResponseCarriesTheStatusAndExtraFields) {
  Response r = ErrorResponse({Errc::kSequenceGap, "resend"}, {{"expected_seq", 7}});
  EXPECT_EQ(r.status, ErrcHttpStatus(Errc::kSequenceGap));
  auto j = Json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "sequence_gap");
  EXPECT_EQ(j["error"]["expected_seq"], 7);
}

TEST(ReplyTest, GuardTurnsAnEscapedExceptionInto500) {
  Response r = Guard([]() -> Response { throw std::runtime_error("bug"); }, "nothing was stored");
  EXPECT_EQ(r.status, 500);
  auto j = Json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "internal_error");
  EXPECT_EQ(j["error"]["message"], "internal error; nothing was stored");
}

}  // namespace
}  // namespace mpp::http
