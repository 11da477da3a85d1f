#include "sync/db/migrate.h"

#include <gtest/gtest.h>

#include "schema/migrations.h"
#include "tests/support/temp_dir.h"

namespace mpp::db {
namespace {

TEST(MigrateTest, SiteSchemaAppliesForwardAndIsIdempotent) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("site.db"));
  ASSERT_TRUE(db.ok());
  const auto migrations = schema::Migrations();
  ASSERT_GE(migrations.size(), 2u);
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1)) << "migrations must be contiguous";
  }
  ASSERT_TRUE(Migrate(**db, migrations).ok());
  EXPECT_EQ(*SchemaVersion(**db), migrations.back().version);
  ASSERT_TRUE(Migrate(**db, migrations).ok());  // a second run does nothing
  auto n = (*db)->Prepare("SELECT COUNT(*) FROM services");
  ASSERT_TRUE((*n)->Step().ok());
  EXPECT_GE((*n)->ColumnInt(0), 40);  // the shipped catalogue
}

TEST(MigrateTest, StepsFromAnOlderVersion) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("site.db"));
  const auto all = schema::Migrations();
  ASSERT_TRUE(Migrate(**db, all.first(1)).ok());
  EXPECT_EQ(*SchemaVersion(**db), 1);
  ASSERT_TRUE(Migrate(**db, all).ok());
  EXPECT_EQ(*SchemaVersion(**db), all.back().version);
}

TEST(MigrateTest, ANewerDatabaseIsRefusedAndLeftAlone) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("site.db"));
  ASSERT_TRUE((*db)->Exec("CREATE TABLE future (x); PRAGMA user_version = 99").ok());
  auto s = Migrate(**db, schema::Migrations());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kSchemaTooNew);
  EXPECT_NE(s.error().message.find("99"), std::string::npos);
  EXPECT_EQ(*SchemaVersion(**db), 99);
  auto t = (*db)->Prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'services'");
  ASSERT_TRUE((*t)->Step().ok());
  EXPECT_EQ((*t)->ColumnInt(0), 0);
}

TEST(MigrateTest, AFailingMigrationIsRolledBackWhole) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("x.db"));
  const Migration steps[] = {
      {1, "ok", "CREATE TABLE a (x INTEGER);"},
      {2, "broken", "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  auto s = Migrate(**db, steps);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("broken"), std::string::npos);
  EXPECT_EQ(*SchemaVersion(**db), 1);
  auto t = (*db)->Prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'b'");
  ASSERT_TRUE((*t)->Step().ok());
  EXPECT_EQ((*t)->ColumnInt(0), 0);
}

}  // namespace
}  // namespace mpp::db
