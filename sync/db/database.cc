#include "sync/db/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cstdlib>
#include <filesystem>

#include "sync/core/log.h"

namespace mpp::db {
namespace {

// Our words for what SQLite reports: the engine's text (table and column names, SQL) goes to
// the log for whoever runs the program, never into an answer.
Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  const int ext = db ? sqlite3_extended_errcode(db) : rc;
  Log(LogLevel::kWarn, "sqlite_error",
      {{"what", std::string(what)},
       {"code", std::to_string(ext)},
       {"detail", std::string(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc))}});
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
      if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE) {
        return MakeError(Errc::kDuplicate, "a record with this key is already stored");
      }
      return MakeError(Errc::kInvalidValue,
                       "the record breaks a rule of the database (a value out of range, or a "
                       "reference to a record that does not exist); nothing was saved");
    case SQLITE_FULL:
      return MakeError(Errc::kDiskFull,
                       "the disk holding the database is full; free space on it and try again "
                       "(nothing was saved)");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return MakeError(Errc::kStorage,
                       "the database is busy with another writer; try again in a moment");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
    case SQLITE_AUTH:
      return MakeError(Errc::kStorage,
                       "the database file cannot be opened or written (check its permissions "
                       "and that its directory exists)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return MakeError(Errc::kStorage,
                       "the database file is damaged or is not an mppsync database; restore "
                       "it from a backup (docs/operations.md)");
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_NOLFS:
      return MakeError(Errc::kStorage,
                       "the database could not be read or written (an I/O error of the disk); "
                       "check the disk and try again");
    default:  // a statement we wrote that SQLite refuses: a bug
      return MakeError(Errc::kInternal, "internal error in a database statement (" +
                                            std::string(what) + "); see the log");
  }
}

// The database and its -wal and -shm files are readable by their owner only, whatever the
// umask: they hold citizens' records. SQLite gives the -wal and -shm files the mode of the
// database file, so the file is made 0600 before SQLite creates it, and one left wider by an
// older version or a copy is narrowed (and said so in the log).
Status MakePrivate(const std::string& path, bool create) {
  if (path.empty() || path == ":memory:") return {};
  if (create) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return MakeError(Errc::kStorage, "cannot create " + path +
                                           " (check that its directory "
                                           "exists and is writable by this user)");
    }
    ::close(fd);
  }
  for (const std::string& f : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    // lstat: a link is not followed to change the mode of a file that is not ours.
    if (::lstat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) == 0) continue;
    if (::chmod(f.c_str(), 0600) != 0) {
      return MakeError(Errc::kStorage, f + " is readable by other users and cannot be made "
                                           "private (chmod 600 it as its owner)");
    }
    Log(LogLevel::kWarn, "permissions_tightened", {{"file", f}, {"mode", "0600"}});
  }
  return {};
}

}  // namespace

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Check(int rc, int index) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    bind_index_ = index;
  }
  return *this;
}
Statement& Statement::Bind(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), index);
}
Statement& Statement::Bind(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), index);
}
Statement& Statement::Bind(int index, std::string_view value) {
  return Check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}
Statement& Statement::BindNull(int index) { return Check(sqlite3_bind_null(stmt_, index), index); }

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    return SqliteError(nullptr, bind_rc_,
                       "SQLite bind of parameter " + std::to_string(bind_index_) + " failed");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "SQLite step failed");
}

Status Statement::Run() {
  for (;;) {
    MPP_ASSIGN_OR_RETURN(auto r, Step());
    if (!r) return {};
  }
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::ColumnText(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
std::optional<std::string> Statement::ColumnOptText(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnText(column);
}
int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }
std::string Statement::ColumnName(int column) const { return sqlite3_column_name(stmt_, column); }

Json Statement::ColumnJson(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER:
      return ColumnInt(column);
    case SQLITE_FLOAT:
      return ColumnDouble(column);
    case SQLITE_NULL:
      return nullptr;
    default:
      return ColumnText(column);
  }
}

void Statement::Reset() {
  bind_rc_ = SQLITE_OK;
  bind_index_ = 0;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, OpenOptions options) {
  if (!options.create && !std::filesystem::exists(path)) {
    return MakeError(Errc::kNotInitialised,
                     "no database at " + path + "; create it first with `mppctl init`");
  }
  MPP_RETURN_IF_ERROR(MakePrivate(path, options.create));
  sqlite3* raw = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, options.vfs);
  if (rc != SQLITE_OK) {
    Error e = SqliteError(raw, rc, "cannot open " + path);
    e.message = "cannot open " + path + ": " + e.message;
    sqlite3_close(raw);
    return e;
  }
  auto db = std::make_unique<Database>(Database::Key{}, raw, path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  const char* sync = options.durability == Durability::kFull ? "FULL" : "NORMAL";
  MPP_RETURN_IF_ERROR(
      db->Exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
               "PRAGMA synchronous=" +
               std::string(sync) + ";"));
  return db;
}

Database::~Database() {
  cache_.clear();  // statements must be finalised before the connection closes
  sqlite3_close(db_);
}

Status Database::Exec(std::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    return SqliteError(db_, rc, "SQL failed");
  }
  return {};
}

Result<std::unique_ptr<Statement>> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "cannot prepare statement");
  return std::make_unique<Statement>(Statement::Key{}, db_, stmt);
}

Result<Statement*> Database::Cached(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) return it->second.get();
  MPP_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  Statement* raw = stmt.get();
  cache_.emplace(std::string(sql), std::move(stmt));
  return raw;
}

Result<int64_t> Database::QueryInt(std::string_view sql,
                                   std::initializer_list<std::string_view> params) {
  MPP_ASSIGN_OR_RETURN(auto text, QueryText(sql, params));
  return text ? std::strtoll(text->c_str(), nullptr, 10) : int64_t{0};
}

Result<std::optional<std::string>> Database::QueryText(
    std::string_view sql, std::initializer_list<std::string_view> params) {
  MPP_ASSIGN_OR_RETURN(auto stmt, Cached(sql));
  StatementRef s(stmt);
  int i = 1;
  for (auto p : params) s->Bind(i++, p);
  MPP_ASSIGN_OR_RETURN(auto row, s->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s->ColumnText(0));
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Transaction::Transaction(Database& db) : db_(db) {
  assert(!db.InTransaction() && "transactions do not nest");
  begin_ = db_.Exec("BEGIN IMMEDIATE");
  open_ = begin_.ok();
}

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Status s = db_.Exec("COMMIT");
  if (s.ok()) {
    open_ = false;
  } else if (!db_.InTransaction()) {
    open_ = false;  // SQLite already rolled back
  }
  return s;
}

}  // namespace mpp::db
