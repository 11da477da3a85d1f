// A SQLite VFS for fault tests ("mpp-fault"), layered over the default one. It counts the
// operations that change what is on disk (writes, syncs, truncates of the database, its WAL
// and journals) and can, at the n-th one:
//   - fail it with an I/O error, once (transient) or from then on (persistent), or
//   - crash: that operation and every later one fail and do nothing, as if the process died.
// After a crash, once every connection through the VFS is closed, PowerLoss() decides what
// became of the writes not yet synced: kept (a process crash), dropped (power cut before the
// disk cache was flushed) or garbled (a power cut tearing them). Files are then reopened with
// the default VFS and checked.
//
// Opens that pass `OpenOptions::vfs = FaultVfs::kName` go through it; nothing else does. One
// process-wide instance (SQLite's VFS registry is global); tests that use it run one at a time
// within their process.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace mpp::testing {

class FaultVfs {
 public:
  static constexpr const char* kName = "mpp-fault";
  enum class Unsynced { kKeep, kDrop, kGarble };

  // Registers the VFS on first use.
  static FaultVfs& Get();

  // No faults, counters at zero, nothing remembered.
  void Reset();
  // Syncs succeed without reaching the disk: for simulations that model process crashes only
  // (the operating system keeps every write) and want speed.
  void set_skip_sync(bool skip);
  // The n-th operation from now (1-based) fails with an I/O error; `persistent`: every later
  // one too, until Heal().
  void FailAt(int64_t n, bool persistent);
  // Cancels what FailAt and CrashAt scheduled and a persistent failure (not a crash that
  // happened: see PowerLoss).
  void Heal();
  // Whether a failure or crash is scheduled and has not happened yet.
  bool armed() const;
  // The n-th operation from now (1-based) crashes the "process".
  void CrashAt(int64_t n);
  bool crashed() const;
  // Operations seen since Reset (writes + syncs + truncates), and faults injected.
  int64_t ops() const;
  int64_t failures() const;
  // After a crash, with every connection closed: applies `mode` to the writes not yet synced,
  // removes the shared-memory index (-shm; SQLite rebuilds it), and clears the crash.
  void PowerLoss(Unsynced mode, uint64_t seed);

  // Internal, for the VFS callbacks.
  enum class Op { kWrite, kSync, kTruncate };
  // Decides the fate of an operation: 0 to go ahead, else the SQLite error code to return.
  int Before(Op op);
  void RememberWrite(const std::string& path, int64_t offset, std::string old_bytes, int64_t length,
                     int64_t size_before);
  void Synced(const std::string& path);
  void Deleted(const std::string& path);
  bool skip_sync() const;

 private:
  FaultVfs() = default;
  struct Undo {
    int64_t offset;
    std::string old_bytes;  // what the write replaced (within the old size)
    int64_t length;         // bytes written
  };
  struct FileState {
    int64_t synced_size = -1;  // size at the last sync (or when first written)
    std::vector<Undo> undo;
  };
  mutable std::mutex mu_;
  int64_t ops_ = 0, failures_ = 0;
  int64_t fail_at_ = 0, crash_at_ = 0;
  bool persistent_ = false, failing_ = false, crashed_ = false, skip_sync_ = false;
  std::map<std::string, FileState> unsynced_;
};

}  // namespace mpp::testing
