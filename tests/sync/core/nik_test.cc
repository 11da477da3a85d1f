#include "sync/core/nik.h"

#include <gtest/gtest.h>

namespace mpp {
namespace {

TEST(NikTest, AcceptsWellFormedNiks) {
  EXPECT_TRUE(ValidateNik("7301014508900001").ok());  // a woman born 05-08-1990
  EXPECT_TRUE(ValidateNik("3171010101000123").ok());
}

TEST(NikTest, RefusesMalformedNiksWithoutEchoingThem) {
  for (const char* bad :
       {"", "730101450890000", "73010145089000011", "7301014508900a01", "0901014508900001",
        "7301013208900001", "7301014513900001", "7301014508900000"}) {
    auto s = ValidateNik(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, Errc::kInvalidValue);
    if (std::string(bad).size() > 4) {
      EXPECT_EQ(s.error().message.find(bad), std::string::npos) << "message repeats the NIK";
    }
  }
}

TEST(NikTest, CitizenRefIsAKeyedHash) {
  const std::string a = CitizenRef("key-one-32-bytes-long-aaaaaaaaa", "7301014508900001");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a, CitizenRef("key-one-32-bytes-long-aaaaaaaaa", "7301014508900001"));
  EXPECT_NE(a, CitizenRef("key-two-32-bytes-long-bbbbbbbbb", "7301014508900001"));
  EXPECT_NE(a, CitizenRef("key-one-32-bytes-long-aaaaaaaaa", "7301014508900002"));
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  EXPECT_EQ(CitizenRef("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace mpp
