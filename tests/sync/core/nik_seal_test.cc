#include "sync/core/nik_seal.h"

#include <gtest/gtest.h>

#include "sync/core/nik.h"
#include "tests/support/nik_keys.h"

namespace mpp {
namespace {

constexpr const char* kNik = "7301014508900001";

TEST(NikSealTest, ASealedNikOpensOnlyAtTheCentreIntoTheNationalReference) {
  const auto& keys = testing::NikKeysForTests();
  auto sealer = NikSealer::FromPem(keys.public_pem);
  ASSERT_TRUE(sealer.ok()) << sealer.error().message;
  auto a = sealer->Seal(kNik, "MPP7301", "r1"), b = sealer->Seal(kNik, "MPP7301", "r1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b) << "sealing is randomised: equal NIKs must not look equal";
  EXPECT_EQ(a->find(kNik), std::string::npos);
  EXPECT_EQ(*SealedNikKeyId(*a), sealer->key_id());
  EXPECT_EQ(a->rfind("v1:" + sealer->key_id() + ":", 0), 0u);
  EXPECT_EQ(*keys.centre->CitizenRefOf(*a, "MPP7301", "r1"), CitizenRef(keys.citizen_key, kNik));
  EXPECT_EQ(*keys.centre->CitizenRefOf(*b, "MPP7301", "r1"),
            *keys.centre->CitizenRefOf(*a, "MPP7301", "r1"));
  EXPECT_EQ(keys.centre->citizen_key_id(), SecretKeyId(keys.citizen_key));
  EXPECT_EQ(keys.centre->citizen_key_id().size(), 16u);
}

TEST(NikSealTest, WhatDoesNotOpenIsToldApartFromWhatNoKeyHereOpens) {
  const auto& keys = testing::NikKeysForTests();
  // Sealed to another ministry key: this centre has no key with that id.
  auto other = NikSealer::FromPem(testing::NewRsaKeyPair().first);
  ASSERT_TRUE(other.ok());
  auto foreign = keys.centre->CitizenRefOf(*other->Seal(kNik, "MPP7301", "r1"), "MPP7301", "r1");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, Errc::kNotFound);
  // Our key id, but garbage, or a sealed value that is not a NIK.
  auto ours = NikSealer::FromPem(keys.public_pem);
  for (const std::string& bad :
       {"v1:" + ours->key_id() + ":AAAA", *ours->Seal("not a nik", "MPP7301", "r1"),
        std::string("3201010101010001"), std::string("v2:x:y"),
        "v1:" + ours->key_id() + ":7302014508900042",
        // Found by an attacker's review: a sealing was not bound to its record, so a site
        // could pass off another site's sealed NIK as its own. It opens for its record only.
        *ours->Seal(kNik, "MPP7302", "r1"), *ours->Seal(kNik, "MPP7301", "r2")}) {
    auto r = keys.centre->CitizenRefOf(bad, "MPP7301", "r1");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidValue) << bad;
    EXPECT_EQ(r.error().message.find("not a nik"), std::string::npos);
  }
  CitizenKeys none;
  EXPECT_EQ(none.CitizenRefOf(*ours->Seal(kNik, "MPP7301", "r1"), "MPP7301", "r1").error().code,
            Errc::kNotFound);
}

TEST(NikSealTest, WeakOrWrongKeysAreRefused) {
  EXPECT_EQ(NikSealer::FromPem(testing::NewRsaKeyPair(1024).first).error().code, Errc::kConfig);
  EXPECT_EQ(NikSealer::FromPem("not a key").error().code, Errc::kConfig);
  CitizenKeys k;
  EXPECT_EQ(k.AddSealingKey(testing::NikKeysForTests().public_pem).error().code, Errc::kConfig)
      << "the centre needs the private half";
  EXPECT_EQ(k.SetCitizenKey("short").error().code, Errc::kConfig);
  EXPECT_FALSE(k.can_open());
}

}  // namespace
}  // namespace mpp
