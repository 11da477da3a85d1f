#include "node/common/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mpp::common {

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const std::string& dir, const std::string& job) {
  const std::string path = dir + "/" + job + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENOENT) {
    return MakeError(Errc::kNotInitialised,
                     "no data directory " + dir + "; create it first with `mppctl init`");
  }
  if (fd < 0) {
    return MakeError(Errc::kConfig, "cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return MakeError(Errc::kInUse, "another " + job + " (pid " + holder + ") is using " + dir +
                                       "; wait for it to finish or stop it first");
  }
  const std::string mine = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size())) {
    // The lock holds all the same; only the message of a second process would lack the pid.
  }
  return std::make_unique<DirLock>(fd);
}

DirLock::~DirLock() { ::close(fd_); }

}  // namespace mpp::common
