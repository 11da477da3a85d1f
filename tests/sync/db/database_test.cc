#include "sync/db/database.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace mpp::db {
namespace {

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.File("t.db"));
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER CHECK (n >= 0))").ok());
  }
  int64_t Count() {
    auto s = db_->Cached("SELECT COUNT(*) FROM t");
    StatementRef r(*s);
    EXPECT_TRUE(r->Step().ok());
    return r->ColumnInt(0);
  }
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, OpensInWalWithForeignKeysAndFullSync) {
  auto s = db_->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE((*s)->Step().ok());
  EXPECT_EQ((*s)->ColumnText(0), "wal");
  auto fk = db_->Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE((*fk)->Step().ok());
  EXPECT_EQ((*fk)->ColumnInt(0), 1);
  auto sync = db_->Prepare("PRAGMA synchronous");
  ASSERT_TRUE((*sync)->Step().ok());
  EXPECT_EQ((*sync)->ColumnInt(0), 2);  // FULL
}

TEST_F(DatabaseTest, TransactionRollsBackUnlessCommitted) {
  {
    Transaction tx(*db_);
    ASSERT_TRUE(tx.status().ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES ('a', 1)").ok());
  }
  EXPECT_EQ(Count(), 0);
  {
    Transaction tx(*db_);
    ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES ('a', 1)").ok());
    ASSERT_TRUE(tx.Commit().ok());
  }
  EXPECT_EQ(Count(), 1);
  EXPECT_FALSE(db_->InTransaction());
}

TEST_F(DatabaseTest, ConstraintViolationsMapToStableCodes) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t VALUES ('a', 1)").ok());
  auto dup = db_->Exec("INSERT INTO t VALUES ('a', 2)");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::kDuplicate);
  auto check = db_->Exec("INSERT INTO t VALUES ('b', -1)");
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.error().code, Errc::kInvalidValue);
  auto syntax = db_->Exec("SELEC nonsense");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, Errc::kInternal);  // a statement of ours SQLite refuses: a bug
  // Issue 11, finding 5: no engine text in a message a client may see.
  for (const auto& e : {dup.error(), check.error(), syntax.error()}) {
    EXPECT_EQ(e.message.find("constraint"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("syntax"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("SELEC"), std::string::npos) << e.message;
  }
}

TEST_F(DatabaseTest, BoundValuesAreNeverSql) {
  auto s = db_->Cached("INSERT INTO t (id, n) VALUES (?, ?)");
  ASSERT_TRUE(s.ok());
  {
    StatementRef r(*s);
    r->Bind(1, "x'); DROP TABLE t; --").Bind(2, 3);
    ASSERT_TRUE(r->Run().ok());
  }
  EXPECT_EQ(Count(), 1);
}

TEST(DatabaseOpenTest, MissingFileWithoutCreateIsNotInitialised) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("absent.db"), {.create = false});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, Errc::kNotInitialised);
}

}  // namespace
}  // namespace mpp::db
