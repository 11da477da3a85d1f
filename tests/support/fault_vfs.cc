#include "tests/support/fault_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>

namespace mpp::testing {
namespace {

// Our file: SQLite's base, then the real VFS's file right behind it (szOsFile covers both).
struct FaultFile {
  sqlite3_file base;
  std::string* path;  // null for files we do not track (temp files)
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
static_assert(sizeof(FaultFile) % 8 == 0);

sqlite3_vfs* RealVfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
FaultFile* F(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
FaultVfs& V() { return FaultVfs::Get(); }

int Close(sqlite3_file* f) {
  FaultFile* ff = F(f);
  const int rc = ff->real()->pMethods->xClose(ff->real());
  delete ff->path;
  ff->path = nullptr;
  return rc;
}

int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  if (V().crashed()) return SQLITE_IOERR_READ;
  return F(f)->real()->pMethods->xRead(F(f)->real(), buf, amt, off);
}

int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  FaultFile* ff = F(f);
  sqlite3_file* real = ff->real();
  if (ff->path) {
    if (int rc = V().Before(FaultVfs::Op::kWrite)) return rc;
    sqlite3_int64 size = 0;
    if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) return SQLITE_IOERR_WRITE;
    std::string old;
    if (off < size) {
      old.resize(static_cast<size_t>(std::min<sqlite3_int64>(amt, size - off)));
      const int rc = real->pMethods->xRead(real, old.data(), static_cast<int>(old.size()), off);
      if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return SQLITE_IOERR_WRITE;
    }
    V().RememberWrite(*ff->path, off, std::move(old), amt, size);
  }
  return real->pMethods->xWrite(real, buf, amt, off);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  FaultFile* ff = F(f);
  sqlite3_file* real = ff->real();
  if (ff->path) {
    if (int rc = V().Before(FaultVfs::Op::kTruncate)) return rc;
    sqlite3_int64 old_size = 0;
    if (real->pMethods->xFileSize(real, &old_size) != SQLITE_OK) return SQLITE_IOERR_TRUNCATE;
    if (size < old_size) {  // remember the tail it cuts off
      std::string tail(static_cast<size_t>(old_size - size), '\0');
      const int rc = real->pMethods->xRead(real, tail.data(), static_cast<int>(tail.size()), size);
      if (rc != SQLITE_OK) return SQLITE_IOERR_TRUNCATE;
      V().RememberWrite(*ff->path, size, std::move(tail), 0, old_size);
    }
  }
  return real->pMethods->xTruncate(real, size);
}

int Sync(sqlite3_file* f, int flags) {
  FaultFile* ff = F(f);
  if (ff->path) {
    if (int rc = V().Before(FaultVfs::Op::kSync)) return rc;
    if (V().skip_sync()) {
      V().Synced(*ff->path);
      return SQLITE_OK;
    }
  }
  const int rc = ff->real()->pMethods->xSync(ff->real(), flags);
  if (rc == SQLITE_OK && ff->path) V().Synced(*ff->path);
  return rc;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (V().crashed()) return SQLITE_IOERR_FSTAT;
  return F(f)->real()->pMethods->xFileSize(F(f)->real(), size);
}
int Lock(sqlite3_file* f, int level) {
  if (V().crashed()) return SQLITE_IOERR_LOCK;
  return F(f)->real()->pMethods->xLock(F(f)->real(), level);
}
int Unlock(sqlite3_file* f, int level) {
  return F(f)->real()->pMethods->xUnlock(F(f)->real(), level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return F(f)->real()->pMethods->xCheckReservedLock(F(f)->real(), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return F(f)->real()->pMethods->xFileControl(F(f)->real(), op, arg);
}
int SectorSize(sqlite3_file* f) { return F(f)->real()->pMethods->xSectorSize(F(f)->real()); }
int DeviceCharacteristics(sqlite3_file* f) {
  return F(f)->real()->pMethods->xDeviceCharacteristics(F(f)->real());
}
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  if (V().crashed()) return SQLITE_IOERR_SHMMAP;
  return F(f)->real()->pMethods->xShmMap(F(f)->real(), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  if (V().crashed() && (flags & SQLITE_SHM_LOCK)) return SQLITE_IOERR_SHMLOCK;
  return F(f)->real()->pMethods->xShmLock(F(f)->real(), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { F(f)->real()->pMethods->xShmBarrier(F(f)->real()); }
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return F(f)->real()->pMethods->xShmUnmap(F(f)->real(), V().crashed() ? 0 : delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** pp) {
  *pp = nullptr;  // no memory-mapped reads: every read goes through Read
  (void)f, (void)off, (void)amt;
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  (void)f, (void)off, (void)p;
  return SQLITE_OK;
}

const sqlite3_io_methods kMethods = {3,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     Fetch,
                                     Unfetch};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  FaultFile* ff = F(f);
  ff->base.pMethods = nullptr;
  ff->path = nullptr;
  if (V().crashed()) return SQLITE_CANTOPEN;
  sqlite3_file* real = ff->real();
  std::memset(real, 0, static_cast<size_t>(RealVfs(vfs)->szOsFile));
  const int rc = RealVfs(vfs)->xOpen(RealVfs(vfs), name, real, flags, out_flags);
  if (real->pMethods == nullptr) return rc;
  ff->base.pMethods = &kMethods;
  constexpr int kTracked =
      SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL;
  if (name && (flags & kTracked)) ff->path = new std::string(name);
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  if (V().crashed()) return SQLITE_IOERR_DELETE;
  const int rc = RealVfs(vfs)->xDelete(RealVfs(vfs), name, sync_dir);
  if (rc == SQLITE_OK) V().Deleted(name);
  return rc;
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return RealVfs(vfs)->xAccess(RealVfs(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return RealVfs(vfs)->xFullPathname(RealVfs(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return RealVfs(vfs)->xDlOpen(RealVfs(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int n, char* out) { RealVfs(vfs)->xDlError(RealVfs(vfs), n, out); }
void (*DlSym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return RealVfs(vfs)->xDlSym(RealVfs(vfs), h, sym);
}
void DlClose(sqlite3_vfs* vfs, void* h) { RealVfs(vfs)->xDlClose(RealVfs(vfs), h); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return RealVfs(vfs)->xRandomness(RealVfs(vfs), n, out);
}
int Sleep(sqlite3_vfs* vfs, int us) { return RealVfs(vfs)->xSleep(RealVfs(vfs), us); }
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return RealVfs(vfs)->xCurrentTime(RealVfs(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return RealVfs(vfs)->xGetLastError(RealVfs(vfs), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return RealVfs(vfs)->xCurrentTimeInt64(RealVfs(vfs), out);
}

// Writes `bytes` at `offset` of `path` with plain POSIX calls (no SQLite connection is open).
void PosixWrite(const std::string& path, int64_t offset, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return;
  if (::pwrite(fd, bytes.data(), bytes.size(), offset) < 0) { /* best effort: test checks */
  }
  ::close(fd);
}

}  // namespace

FaultVfs& FaultVfs::Get() {
  static FaultVfs* instance = [] {
    static sqlite3_vfs vfs;
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    vfs = sqlite3_vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + real->szOsFile;
    vfs.mxPathname = real->mxPathname;
    vfs.zName = kName;
    vfs.pAppData = real;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&vfs, 0);
    return new FaultVfs();
  }();
  return *instance;
}

void FaultVfs::Reset() {
  std::lock_guard lock(mu_);
  ops_ = failures_ = fail_at_ = crash_at_ = 0;
  persistent_ = failing_ = crashed_ = false;
  unsynced_.clear();
}

void FaultVfs::set_skip_sync(bool skip) {
  std::lock_guard lock(mu_);
  skip_sync_ = skip;
}
bool FaultVfs::skip_sync() const {
  std::lock_guard lock(mu_);
  return skip_sync_;
}

void FaultVfs::FailAt(int64_t n, bool persistent) {
  std::lock_guard lock(mu_);
  fail_at_ = ops_ + n;
  persistent_ = persistent;
}

bool FaultVfs::armed() const {
  std::lock_guard lock(mu_);
  return (fail_at_ > ops_) || (crash_at_ > ops_ && !crashed_);
}

void FaultVfs::Heal() {
  std::lock_guard lock(mu_);
  fail_at_ = crash_at_ = 0;
  failing_ = persistent_ = false;
}

void FaultVfs::CrashAt(int64_t n) {
  std::lock_guard lock(mu_);
  crash_at_ = ops_ + n;
}

bool FaultVfs::crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}
int64_t FaultVfs::ops() const {
  std::lock_guard lock(mu_);
  return ops_;
}
int64_t FaultVfs::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

int FaultVfs::Before(Op op) {
  std::lock_guard lock(mu_);
  const int error = op == Op::kWrite  ? SQLITE_IOERR_WRITE
                    : op == Op::kSync ? SQLITE_IOERR_FSYNC
                                      : SQLITE_IOERR_TRUNCATE;
  if (crashed_) return error;
  ++ops_;
  if (crash_at_ != 0 && ops_ == crash_at_) {
    crashed_ = true;
    ++failures_;
    return error;
  }
  if (fail_at_ != 0 && ops_ == fail_at_) failing_ = true;
  if (failing_) {
    ++failures_;
    if (!persistent_) failing_ = false, fail_at_ = 0;
    return error;
  }
  return 0;
}

void FaultVfs::RememberWrite(const std::string& path, int64_t offset, std::string old_bytes,
                             int64_t length, int64_t size_before) {
  std::lock_guard lock(mu_);
  FileState& s = unsynced_[path];
  if (s.synced_size < 0) s.synced_size = size_before;
  s.undo.push_back({offset, std::move(old_bytes), length});
}

void FaultVfs::Synced(const std::string& path) {
  std::lock_guard lock(mu_);
  unsynced_.erase(path);
}

void FaultVfs::Deleted(const std::string& path) {
  std::lock_guard lock(mu_);
  unsynced_.erase(path);
}

void FaultVfs::PowerLoss(Unsynced mode, uint64_t seed) {
  std::lock_guard lock(mu_);
  std::mt19937_64 rng(seed);
  for (auto& [path, state] : unsynced_) {
    if (!std::filesystem::exists(path)) continue;
    if (mode == Unsynced::kDrop) {
      for (auto it = state.undo.rbegin(); it != state.undo.rend(); ++it) {
        if (!it->old_bytes.empty()) PosixWrite(path, it->offset, it->old_bytes);
      }
      std::filesystem::resize_file(path, static_cast<uintmax_t>(state.synced_size));
    } else if (mode == Unsynced::kGarble) {
      const auto size = static_cast<int64_t>(std::filesystem::file_size(path));
      for (const Undo& u : state.undo) {
        const int64_t n = std::min(u.length, size - u.offset);
        if (n <= 0) continue;
        std::string junk(static_cast<size_t>(n), '\0');
        for (char& c : junk) c = static_cast<char>(rng());
        PosixWrite(path, u.offset, junk);
      }
    }
  }
  for (auto& [path, state] : unsynced_) {
    std::error_code ec;
    std::filesystem::remove(path + "-shm", ec);
  }
  unsynced_.clear();
  crashed_ = false;
  crash_at_ = fail_at_ = 0;
  failing_ = persistent_ = false;
}

}  // namespace mpp::testing
