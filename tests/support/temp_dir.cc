#include "tests/support/temp_dir.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace mpp::testing {

TempDir::TempDir(const std::string& base) {
  const char* env = std::getenv("TMPDIR");
  const std::string root = !base.empty() ? base : (env && *env ? env : "/tmp");
  std::string tmpl = root + "/mpptest-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("MPP_KEEP_TMP")) return;  // for a post-mortem of a failed test or bench
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string FastTempBase(int64_t min_free_mb) {
  struct statvfs st {};
  if (statvfs("/dev/shm", &st) != 0 || access("/dev/shm", W_OK) != 0) return "";
  const auto free_mb = static_cast<int64_t>(st.f_bavail * st.f_frsize / (1024 * 1024));
  return free_mb >= min_free_mb ? "/dev/shm" : "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace mpp::testing
