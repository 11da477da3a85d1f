// mppctl backup and restore (docs/operations.md, "Back up and restore"): a consistent copy of
// the site's database while the node runs, and one command that puts a copy back and syncs,
// which recovers from the centre what the copy is missing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "node/ctl/commands.h"
#include "schema/migrations.h"
#include "sync/db/database.h"
#include "sync/db/migrate.h"
#include "sync/store/site_store.h"

namespace mpp::ctl {
namespace {

// A fresh empty file (mode 0600, O_EXCL) beside `path`, for the copy to be renamed over it.
Result<std::string> FreshFileBeside(const std::string& path) {
  std::string name = path + ".XXXXXX";
  std::vector<char> buf(name.begin(), name.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) {
    return MakeError(errno == ENOSPC ? Errc::kDiskFull : Errc::kStorage,
                     "cannot create a file beside " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return std::string(buf.data());
}

Status SyncToDisk(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return MakeError(err == ENOSPC ? Errc::kDiskFull : Errc::kStorage,
                     "cannot write " + path + ": " + std::strerror(err));
  }
  ::close(fd);
  return {};
}

// `from`'s database, consistent even while the node writes to it, into a new file `to`.
Status CopyDatabase(const std::string& from, const std::string& to) {
  struct stat st {};
  if (::lstat(to.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return MakeError(Errc::kConfig, to + " exists and is not a regular file; name a new file");
  }
  MPP_ASSIGN_OR_RETURN(auto db, db::Database::Open(from, {.create = false}));
  MPP_ASSIGN_OR_RETURN(const std::string tmp, FreshFileBeside(to));
  auto fail = [&](Error e) {
    std::remove(tmp.c_str());
    return e;
  };
  // VACUUM INTO writes a consistent snapshot into an empty file (SQLite's online copy).
  std::string quoted = "'";
  for (char c : tmp) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  quoted += "'";
  if (auto s = db->Exec("VACUUM INTO " + quoted); !s) return fail(s.error());
  if (auto s = SyncToDisk(tmp); !s) return fail(s.error());
  if (::rename(tmp.c_str(), to.c_str()) != 0) {
    return fail(MakeError(Errc::kStorage, "cannot write " + to + ": " + std::strerror(errno)));
  }
  return {};
}

struct SiteFile {
  std::string site_code;
  int schema = 0;
  int64_t applications = 0;
  int64_t last_seq = 0;
};

// What a site database holds, after checking it whole (PRAGMA integrity_check).
Result<SiteFile> CheckSiteFile(const std::string& path) {
  MPP_ASSIGN_OR_RETURN(auto db, db::Database::Open(path, {.create = false}));
  MPP_ASSIGN_OR_RETURN(auto check, db->Prepare("PRAGMA integrity_check"));
  MPP_ASSIGN_OR_RETURN(const bool row, check->Step());
  if (!row || check->ColumnText(0) != "ok") {
    return MakeError(Errc::kStorage, path + " is damaged (integrity_check: " +
                                         (row ? check->ColumnText(0).substr(0, 200) : "") +
                                         "): use an older copy");
  }
  SiteFile f;
  MPP_ASSIGN_OR_RETURN(f.schema, db::SchemaVersion(*db));
  if (f.schema > schema::Migrations().back().version) {
    return MakeError(Errc::kSchemaTooNew, path + " was written by a newer mppsync (schema " +
                                              std::to_string(f.schema) +
                                              "): install that release to restore it");
  }
  auto code = db->Prepare("SELECT value FROM meta WHERE key = 'site_code'");
  if (!code) return MakeError(Errc::kConfig, path + " is not a site database of mppsync");
  MPP_ASSIGN_OR_RETURN(const bool has_code, (*code)->Step());
  if (!has_code) return MakeError(Errc::kConfig, path + " is not a site database of mppsync");
  f.site_code = (*code)->ColumnText(0);
  MPP_ASSIGN_OR_RETURN(f.applications, db->QueryInt("SELECT COUNT(*) FROM applications"));
  MPP_ASSIGN_OR_RETURN(f.last_seq, db->QueryInt("SELECT COALESCE(MAX(seq), 0) FROM change_log"));
  return f;
}

}  // namespace

int BackupCmd(const Args& a) {
  if (!a.has("data") || !a.has("out")) return Usage("backup needs --data and --out FILE");
  const std::string db = a.at("data") + "/site.db", out = a.at("out");
  if (!std::filesystem::exists(db)) {
    return Fail(MakeError(Errc::kNotInitialised, "no site database in " + a.at("data")));
  }
  if (auto s = CopyDatabase(db, out); !s) return Fail(s.error());
  auto f = CheckSiteFile(out);
  if (!f) return Fail(f.error());
  std::printf(
      "backed up site %s (%lld applications, changes up to seq %lld) to %s\n"
      "site-ref.key is not in it: keep one copy of %s/site-ref.key apart from the backups\n",
      f->site_code.c_str(), static_cast<long long>(f->applications),
      static_cast<long long>(f->last_seq), out.c_str(), a.at("data").c_str());
  return kExitDone;
}

int RestoreCmd(const Args& a) {
  if (!a.has("data") || a.words.size() != 1) return Usage("restore needs --data and the FILE");
  const std::string data = a.at("data"), db = data + "/site.db", from = a.words[0];
  if (!std::filesystem::is_regular_file(from)) {
    return Fail(MakeError(Errc::kConfig, "no backup file " + from));
  }
  if (!std::filesystem::is_directory(data)) {
    return Fail(MakeError(Errc::kNotInitialised,
                          "no data directory " + data +
                              " (on a new PC: mppctl init first, as at the start, then restore)"));
  }
  {
    // The node and any sync stay off the file while it is replaced.
    auto node = common::DirLock::Acquire(data, "mpp-node");
    if (!node) {
      return Fail(MakeError(
          node.error().code,
          node.error().message + ": stop it first (systemctl stop mpp-node), then restore"));
    }
    auto sync = common::DirLock::Acquire(data, "sync");
    if (!sync) return Fail(sync.error());
    std::string current_code;
    if (std::filesystem::exists(db)) {
      auto current = db::Database::Open(db, {.create = false});
      if (current) {
        auto s = (*current)->Prepare("SELECT value FROM meta WHERE key = 'site_code'");
        if (s) {
          auto row = (*s)->Step();
          if (row.ok() && *row) current_code = (*s)->ColumnText(0);
        }
      }
    }
    // The copy's bytes to a private name beside the database (the backup itself is only
    // read), checked there whole, then renamed into place.
    auto staged = FreshFileBeside(db);
    if (!staged) return Fail(staged.error());
    std::error_code copy_ec;
    std::filesystem::copy_file(from, *staged, std::filesystem::copy_options::overwrite_existing,
                               copy_ec);
    if (copy_ec || !SyncToDisk(*staged)) {
      std::filesystem::remove(*staged);
      return Fail(
          MakeError(copy_ec == std::errc::no_space_on_device ? Errc::kDiskFull : Errc::kStorage,
                    "cannot copy " + from + " to " + *staged + ": " +
                        (copy_ec ? copy_ec.message() : "write failed")));
    }
    auto f = CheckSiteFile(*staged);
    if (!f || (!current_code.empty() && f->site_code != current_code)) {
      std::filesystem::remove(*staged);
      for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(*staged + suffix);
      if (!f) return Fail(f.error());
      return Fail(MakeError(Errc::kConfig, from + " is a backup of site " + f->site_code +
                                               ", and this is site " + current_code +
                                               ": nothing was changed"));
    }
    // The old file's write-ahead log must not be applied to the copy: it goes first.
    for (const char* suffix : {"-wal", "-shm"}) {
      std::filesystem::remove(db + suffix);
      std::filesystem::remove(*staged + suffix);
    }
    std::error_code ec;
    std::filesystem::rename(*staged, db, ec);
    if (ec) return Fail(MakeError(Errc::kStorage, "cannot replace " + db + ": " + ec.message()));
    std::printf("restored site %s from %s (%lld applications, changes up to seq %lld)\n",
                f->site_code.c_str(), from.c_str(), static_cast<long long>(f->applications),
                static_cast<long long>(f->last_seq));
    if (!std::filesystem::exists(store::SiteRefKeyPath(db))) {
      std::printf(
          "warning: %s is missing: put back the copy kept apart from the backups before "
          "starting the node (without it, records from before cannot be found by NIK here)\n",
          store::SiteRefKeyPath(db).c_str());
    }
  }
  auto settings = LoadSyncSettings(a.options);
  if (!settings || settings->central.empty()) {
    std::printf("no centre is set up: run mppctl sync once it is (mppctl config)\n");
    return kExitDone;
  }
  // The sync that recovers what the copy is missing from the centre, and sends the rest.
  std::printf("syncing with the centre to recover what the copy is missing\n");
  std::fflush(stdout);
  const int rc = SyncCmd(a);
  if (rc == kExitUnreachable) {
    std::printf(
        "the copy is in place; the centre did not answer. Start the node and work as usual: "
        "the next sync (mppctl sync, or the agent) recovers what the copy is missing\n");
  }
  return rc;
}

}  // namespace mpp::ctl
