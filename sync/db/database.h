// The one thin RAII layer over SQLite; no other product file includes sqlite3.h (the test-only
// fault VFS, tests/support/fault_vfs.cc, is the one other).
//
// Database owns a connection; Statement a prepared statement; Transaction a BEGIN IMMEDIATE
// that rolls back in its destructor unless committed. Transactions do not nest: a second
// Transaction on a connection that is already in one is a programming error (asserted).
//
// Thread-safety: a Database and its statements are used by one thread at a time; callers
// that share one serialise with their own mutex. Several Database objects may open the same
// file (WAL lets readers run beside the one writer).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sync/core/json.h"
#include "sync/core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mpp::db {

class Statement {
 public:
  // Made only by Database::Prepare (the key is private to it).
  struct Key {
    explicit Key() = default;
  };
  Statement(Key, sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text is copied. A failed bind (an index out of
  // range, out of memory) is kept and returned by the next Step() or Run().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, int64_t{value}); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Runs one step. true: a row is ready; false: done. kDuplicate on a UNIQUE or PRIMARY KEY
  // violation, kInvalidValue on another constraint, kStorage on any other failure.
  Result<bool> Step();
  // Steps to the end (for statements that return no rows).
  Status Run();

  // Columns are 0-based.
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;
  std::optional<std::string> ColumnOptText(int column) const;
  int ColumnCount() const;
  std::string ColumnName(int column) const;
  // The column's value as JSON: integer, real, text, or null.
  Json ColumnJson(int column) const;

  // Clears bindings and rewinds, ready to be run again.
  void Reset();

 private:
  friend class Database;
  Statement& Check(int rc, int index);
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;     // the first failed bind's code, 0 when every bind succeeded
  int bind_index_ = 0;  // and its parameter
};

// A cached statement borrowed from a Database; resets itself when it goes out of scope.
class StatementRef {
 public:
  explicit StatementRef(Statement* s) : s_(s) {}
  ~StatementRef() { s_->Reset(); }
  StatementRef(const StatementRef&) = delete;
  StatementRef& operator=(const StatementRef&) = delete;
  Statement* operator->() { return s_; }
  Statement& operator*() { return *s_; }

 private:
  Statement* s_;
};

enum class Durability {
  kFull,    // synchronous=FULL: a commit is on disk before it returns (what a clerk relies on)
  kNormal,  // synchronous=NORMAL: may lose the last commits on power loss, never corrupts
};

struct OpenOptions {
  Durability durability = Durability::kFull;
  bool create = true;  // create the file if missing; else kNotInitialised
  int busy_timeout_ms = 5000;
  // The SQLite VFS to open the file through (nullptr: the default). Tests register one that
  // injects crashes and I/O errors (tests/support/fault_vfs.h).
  const char* vfs = nullptr;
};

class Database {
 public:
  // Opens `path` with WAL, foreign_keys=ON, busy_timeout and the requested synchronous mode
  // (all set here and nowhere else). kNotInitialised when !create and the file is missing;
  // kStorage when SQLite cannot open it.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, OpenOptions options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more SQL statements with no parameters.
  Status Exec(std::string_view sql);
  // A statement prepared once per connection and cached by its SQL text.
  Result<Statement*> Cached(std::string_view sql);
  // A fresh statement, owned by the caller.
  Result<std::unique_ptr<Statement>> Prepare(std::string_view sql);

  // The first column of the first row of `sql` (a cached statement) with `params` bound as
  // text: an integer (0 when there is no row), or text (nullopt when there is no row).
  Result<int64_t> QueryInt(std::string_view sql,
                           std::initializer_list<std::string_view> params = {});
  Result<std::optional<std::string>> QueryText(std::string_view sql,
                                               std::initializer_list<std::string_view> params = {});

  int64_t LastInsertRowId() const;
  bool InTransaction() const;
  const std::string& path() const { return path_; }

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  Database(Key, sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

 private:
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN IMMEDIATE on construction (check status()); ROLLBACK in the destructor unless
// Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& status() const { return begin_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_;
  bool open_ = false;
};

}  // namespace mpp::db
