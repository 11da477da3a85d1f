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

// Issue 11, finding 14: a NIK written with spaces, dots, dashes or full-width digits was not
// recognised in free text.
TEST(NikTest, FindsANikHiddenBySeparatorsOrFullWidthDigits) {
  for (const char* hidden : {"7301014508900001", "NIK: 7301 0145 0890 0001.", "7301.0145.0890.0001",
                             "7301-0145-0890-0001",
                             "7301\xC2\xA0"
                             "014508900001",
                             "\xEF\xBC\x97\xEF\xBC\x93"
                             "01014508900001",
                             "7301\xE2\x80\x8B"
                             "014508900001",
                             "12345678901234567890"}) {
    EXPECT_TRUE(ContainsNikLikeNumber(hidden)) << hidden;
  }
  // Found by a review: slashes, commas, underscores, line breaks, the middle dot, full-width
  // punctuation and the digits of other scripts hid one too.
  for (const char* hidden :
       {"7301/0145/0890/0001", "7301,0145,0890,0001", "7301_0145_0890_0001", "73010145\r\n08900001",
        "73010145\xC2\xB7"
        "08900001",
        "73010145\xEF\xBC\x8E"
        "08900001",
        "73010145\xEF\xBC\x8D"
        "08900001",
        "\xD9\xA7\xD9\xA3\xD9\xA0\xD9\xA1\xD9\xA0\xD9\xA1\xD9\xA4\xD9\xA5"
        "\xD9\xA0\xD9\xA8\xD9\xA9\xD9\xA0\xD9\xA0\xD9\xA0\xD9\xA0\xD9\xA1",
        "\xF0\x9D\x9F\x95"
        "301014508900001"}) {
    EXPECT_TRUE(ContainsNikLikeNumber(hidden)) << hidden;
  }
  EXPECT_EQ(NikDigits("\xD9\xA7\xD9\xA3"
                      "01/0145/0890/0001"),
            "7301014508900001");
  for (const char* fine :
       {"", "Berkas lengkap", "730101450890000", "tel 0812 3456 789", "7301a014508900001",
        "Rp 50.000 dan Rp 100.000 dan Rp 250.000", "7301 \xD8\xA8 014508900001"}) {
    EXPECT_FALSE(ContainsNikLikeNumber(fine)) << fine;
  }
}

TEST(NikTest, NikDigitsReadsWhatTheClerkMeant) {
  EXPECT_EQ(NikDigits("7301 0145-0890.0001"), "7301014508900001");
  EXPECT_EQ(NikDigits("\xEF\xBC\x97\xEF\xBC\x93"
                      "01014508900001"),
            "7301014508900001");
  EXPECT_EQ(NikDigits("7301a"), "7301a");  // still refused by ValidateNik
  EXPECT_TRUE(ValidateNik(NikDigits("7301 0145 0890 0001")).ok());
}

TEST(NikTest, MaskHidesEveryRunAndKeepsTheRest) {
  EXPECT_EQ(MaskNikLikeNumbers("no column 7301014508900001"), "no column [16-digit number hidden]");
  EXPECT_EQ(MaskNikLikeNumbers("a 7301 0145 0890 0001 b 7301014508900002"),
            "a [16-digit number hidden] b [16-digit number hidden]");
  EXPECT_EQ(MaskNikLikeNumbers("seq 12345 of 730101"), "seq 12345 of 730101");
  EXPECT_EQ(MaskNikLikeNumbers("caf\xC3\xA9"), "caf\xC3\xA9");
}

}  // namespace
}  // namespace mpp
