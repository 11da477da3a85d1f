// One process at a time per data directory and job: two mpp-node on one directory, or two
// `mppctl sync` at once, would each send the same batch or serve the same file twice. A
// DirLock holds DIR/<job>.lock with flock(2) for its lifetime (the kernel drops it when the
// process dies, kill -9 included, so a crash never leaves a stale lock) and writes its pid
// there so the next one can say who holds it.
#pragma once

#include <memory>
#include <string>

#include "sync/core/result.h"

namespace mpp::common {

class DirLock {
 public:
  // Takes DIR/<job>.lock. kInUse naming the holder's pid when another process has it;
  // kNotInitialised when the directory does not exist; kConfig when the file cannot be made.
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& dir, const std::string& job);

  explicit DirLock(int fd) : fd_(fd) {}
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

}  // namespace mpp::common
