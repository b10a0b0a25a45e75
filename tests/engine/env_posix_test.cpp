// The POSIX Env (engine/src/storage/env_posix.cpp): the parts the in-memory
// FaultEnv cannot stand in for.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bangdan/env.h"

namespace bangdan {
namespace {

TEST(PosixEnv, ReserveAllocatesBlocksButLeavesTheSizeAlone) {
  const std::string dir =
      ::testing::TempDir() + "bangdan_env_posix_test_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  Env* env = Env::Default();
  ASSERT_TRUE(env->CreateDir(dir).ok());
  const std::string path = dir + "/segment";
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env->NewWritableFile(path, &f).ok());
  f->Reserve(4 << 20);
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->Sync().ok());
  EXPECT_EQ(f->Size(), 3u);
  uint64_t size = 0;
  ASSERT_TRUE(env->FileSize(path, &size).ok());
  EXPECT_EQ(size, 3u);  // readers see the records, never the reserved space
  std::string contents;
  ASSERT_TRUE(env->ReadFile(path, &contents).ok());
  EXPECT_EQ(contents, "abc");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  // Where the file system can (ext4, xfs, tmpfs), the blocks are there.
  if (st.st_blocks * 512 < (4 << 20)) {
    GTEST_SKIP() << "this file system did not reserve (" << st.st_blocks * 512 << " bytes)";
  }
  // Cutting back (a rolled-back group) still works on a reserved file.
  ASSERT_TRUE(f->Truncate(1).ok());
  ASSERT_TRUE(f->Append("z").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env->ReadFile(path, &contents).ok());
  EXPECT_EQ(contents, "az");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bangdan
