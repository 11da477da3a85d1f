#include "sync/db/database.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

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

int Mode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

// Issue 11, finding 13: site.db was created 0644 (the umask's choice), so any user of the PC
// could read the site's records. The database and its -wal and -shm files are 0600 whatever
// the umask, and a file left wider is narrowed when opened.
TEST(DatabaseOpenTest, TheFilesAreTheOwnersOnlyWhateverTheUmask) {
  testing::TempDir dir;
  const mode_t old = ::umask(0);
  {
    auto db = Database::Open(dir.File("new.db"));
    ASSERT_TRUE(db.ok()) << db.error().message;
    ASSERT_TRUE((*db)->Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)").ok());
    EXPECT_EQ(Mode(dir.File("new.db")), 0600);
    EXPECT_EQ(Mode(dir.File("new.db-wal")), 0600);
    EXPECT_EQ(Mode(dir.File("new.db-shm")), 0600);
  }
  ASSERT_EQ(::chmod(dir.File("new.db").c_str(), 0644), 0);
  {
    auto db = Database::Open(dir.File("new.db"), {.create = false});
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(Mode(dir.File("new.db")), 0600);
  }
  ::umask(old);
}

}  // namespace
}  // namespace mpp::db
