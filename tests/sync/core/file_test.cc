#include "sync/core/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace mpp {
namespace {

using testing::ReadFile;
using testing::TempDir;

TEST(WriteFileAtomicallyTest, WritesAPrivateFileAndReplacesAnOldOne) {
  TempDir dir;
  const std::string path = dir.File("bundle.mppb");
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(ReadFile(path), "second");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Nothing left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

// Issue 14 review, finding 1: `mppctl export --out F` wrote F.part through whatever link was
// planted there, as the user running it (often root): a way to overwrite any file.
TEST(WriteFileAtomicallyTest, NeverWritesThroughALink) {
  TempDir dir;
  const std::string victim = dir.File("victim");
  { std::ofstream(victim) << "precious"; }
  const std::string path = dir.File("out.mppb");
  std::filesystem::create_symlink(victim, path);
  std::filesystem::create_symlink(victim, path + ".part");  // the old temporary name
  auto s = WriteFileAtomically(path, "attack");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kConfig);
  EXPECT_NE(s.error().message.find("not a regular file"), std::string::npos);
  EXPECT_EQ(ReadFile(victim), "precious");

  // A link where only the old temporary name was: the write goes to a new file of our own.
  std::filesystem::remove(path);
  ASSERT_TRUE(WriteFileAtomically(path, "bundle").ok());
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_EQ(ReadFile(path), "bundle");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
}

TEST(WriteFileAtomicallyTest, ADirectoryOrAMissingFolderIsAClearError) {
  TempDir dir;
  auto on_dir = WriteFileAtomically(dir.path(), "x");
  ASSERT_FALSE(on_dir.ok());
  EXPECT_EQ(on_dir.error().code, Errc::kConfig);
  auto missing = WriteFileAtomically(dir.File("no/such/folder/f"), "x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kStorage);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace mpp
