#include "sync/core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mpp {
namespace {

Error WriteError(const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT) {
    return Error{Errc::kDiskFull, "cannot write " + path + ": the disk is full (" +
                                      std::strerror(err) + "); free space and try again"};
  }
  return Error{Errc::kStorage, "cannot write " + path + ": " + std::strerror(err)};
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return MakeError(Errc::kConfig, path +
                                        " exists and is not a regular file (a link, directory "
                                        "or device); name a new file");
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmpl = (slash == std::string::npos ? "" : dir) + "." + base + ".XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());  // O_CREAT|O_EXCL, mode 0600
  if (fd < 0) return WriteError(path, errno);
  const std::string tmp(name.data());
  auto fail = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return WriteError(path, err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(n < 0 ? errno : EIO);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return WriteError(path, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return WriteError(path, err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace mpp
