#include "node/common/private_files.h"

#include <sys/stat.h>

#include <filesystem>

#include "sync/core/log.h"

namespace mpp::common {

void KeepFilesPrivate() { ::umask(077); }

Status MakePrivateDirectory(const std::string& dir) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeError(Errc::kConfig, "cannot create " + dir + ": " + ec.message() +
                                        " (choose a directory this user may write)");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(Errc::kConfig, dir + " is not a directory");
  }
  if ((st.st_mode & 077) != 0 && existed) {
    // Not ours to change (it may be /srv or a shared disk): the files in it are private
    // (db::Database), and the log says so once at every start.
    Log(LogLevel::kWarn, "directory_not_private",
        {{"dir", dir}, {"advice", "other users can list this directory; chmod 700 it"}});
  } else if ((st.st_mode & 077) != 0) {
    if (::chmod(dir.c_str(), 0700) != 0) {
      return MakeError(Errc::kConfig, dir +
                                          " is open to other users and cannot be made private "
                                          "(chmod 700 it as its owner)");
    }
    Log(LogLevel::kWarn, "permissions_tightened", {{"file", dir}, {"mode", "0700"}});
  }
  return {};
}

}  // namespace mpp::common
