// A fresh directory under `base` (default: $TMPDIR, else /tmp), removed with everything in it
// on destruction (kept when MPP_KEEP_TMP is set, for a post-mortem).
#pragma once

#include <cstdint>
#include <string>

namespace mpp::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& base = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A RAM-backed directory (/dev/shm) when it has `min_free_mb` free, else "" (the default).
// For tests that write many small databases and model process crashes only.
std::string FastTempBase(int64_t min_free_mb = 512);

// The whole content of a file ("" if it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace mpp::testing
