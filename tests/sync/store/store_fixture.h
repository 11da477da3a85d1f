// A site store on a temp file with a hand-set clock and a seeded RNG.
#pragma once

#include <gtest/gtest.h>

#include "sync/store/site_store.h"
#include "tests/support/nik_keys.h"
#include "tests/support/temp_dir.h"

namespace mpp::store {

constexpr int64_t kFixtureT0 = 1'795'000'000'000;  // 2026-11-18
constexpr const char* kTestNik = "7301014508900001";

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SiteStore::Initialise(path(), {"MPP7301", testing::NikKeysForTests().public_pem},
                                      clock_, random_)
                    .ok());
    Reopen();
  }
  void Reopen() {
    store_.reset();
    auto s = SiteStore::Open(path(), clock_, random_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  std::string path() const { return dir_.File("site.db"); }
  int64_t Scalar(const std::string& sql) {
    auto s = store_->database_for_testing().Prepare(sql);
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE((*s)->Step().ok());
    return (*s)->ColumnInt(0);
  }
  int64_t Rows(const std::string& table) { return Scalar("SELECT COUNT(*) FROM " + table); }
  int64_t Changes() { return Rows("change_log"); }
  Json NewApplication(const std::string& service = "DKC-KTP") {
    auto r = store_->office().CreateApplication({{"service_code", service}, {"nik", kTestNik}});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Json();
  }

  testing::TempDir dir_;
  ManualClock clock_{kFixtureT0};
  SeededRandom random_{7};
  std::unique_ptr<SiteStore> store_;
};

}  // namespace mpp::store
