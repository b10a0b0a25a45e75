// FaultEnv: the in-memory file system the storage tests crash and break.
// Its model must be right, or the tests built on it prove nothing.
#include "storage/fault_env.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "bangdan/recovery.h"

namespace bangdan {
namespace {

class FaultEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDir("d").ok()); }

  std::unique_ptr<WritableFile> Create(const std::string& path) {
    std::unique_ptr<WritableFile> f;
    EXPECT_TRUE(env_.NewWritableFile(path, &f).ok());
    return f;
  }

  std::string Contents(const std::string& path) {
    std::string s;
    EXPECT_TRUE(env_.ReadFile(path, &s).ok()) << path;
    return s;
  }

  FaultEnv env_;
};

TEST_F(FaultEnvTest, CrashKeepsSyncedDataAndDropsTheRest) {
  auto f = Create("d/a");
  ASSERT_TRUE(env_.SyncDir("d").ok());
  ASSERT_TRUE(f->Append("synced").ok());
  ASSERT_TRUE(f->Sync().ok());
  ASSERT_TRUE(f->Append(" unsynced").ok());
  EXPECT_EQ("synced unsynced", Contents("d/a"));
  env_.SimulateCrash();
  EXPECT_EQ("synced", Contents("d/a"));
}

TEST_F(FaultEnvTest, CrashForgetsAFileWhoseDirectoryWasNeverSynced) {
  auto f = Create("d/a");
  ASSERT_TRUE(f->Append("x").ok());
  ASSERT_TRUE(f->Sync().ok());
  env_.SimulateCrash();
  EXPECT_FALSE(env_.FileExists("d/a"));
}

TEST_F(FaultEnvTest, CrashUndoesARenameThatWasNotSynced) {
  env_.PutDurableFile("d/a.tmp", "new");
  ASSERT_TRUE(env_.RenameFile("d/a.tmp", "d/a").ok());
  EXPECT_FALSE(env_.FileExists("d/a.tmp"));
  env_.SimulateCrash();
  EXPECT_TRUE(env_.FileExists("d/a.tmp"));
  EXPECT_FALSE(env_.FileExists("d/a"));

  ASSERT_TRUE(env_.RenameFile("d/a.tmp", "d/a").ok());
  ASSERT_TRUE(env_.SyncDir("d").ok());
  env_.SimulateCrash();
  EXPECT_EQ("new", Contents("d/a"));
}

TEST_F(FaultEnvTest, WriteFailureCanLeaveAPartialWrite) {
  auto f = Create("d/a");
  env_.FailWrites(/*no_space=*/true, /*partial_bytes=*/3);
  Status s = f->Append("abcdef");
  EXPECT_TRUE(s.IsNoSpace());
  EXPECT_NE(std::string::npos, s.message().find("d/a")) << s.message();
  EXPECT_EQ("abc", Contents("d/a"));
  EXPECT_TRUE(f->Append("g").ok());  // one failure only
}

TEST_F(FaultEnvTest, WriteFailureCanBeEio) {
  auto f = Create("d/a");
  env_.FailWrites(/*no_space=*/false, 0, /*count=*/1, /*skip=*/1);
  EXPECT_TRUE(f->Append("ok").ok());
  Status s = f->Append("x");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_FALSE(s.IsNoSpace());
}

TEST_F(FaultEnvTest, FailedSyncMakesNothingDurableAndASecondSyncIsCounted) {
  auto f = Create("d/a");
  ASSERT_TRUE(env_.SyncDir("d").ok());
  ASSERT_TRUE(f->Append("x").ok());
  env_.FailSyncs(1);
  EXPECT_TRUE(f->Sync().IsIOError());
  EXPECT_EQ(0, env_.syncs_after_failed_sync());
  EXPECT_TRUE(f->Sync().ok());
  EXPECT_EQ(1, env_.syncs_after_failed_sync());
}

TEST_F(FaultEnvTest, TruncateOfAnOpenFileMovesItsEnd) {
  auto f = Create("d/a");
  ASSERT_TRUE(f->Append("abcdef").ok());
  ASSERT_TRUE(f->Truncate(2).ok());
  ASSERT_TRUE(f->Append("Z").ok());
  EXPECT_EQ("abZ", Contents("d/a"));
  EXPECT_EQ(3u, f->Size());
}

TEST_F(FaultEnvTest, ChildrenAreTheNamesDirectlyInTheDirectory) {
  env_.PutDurableFile("d/a", "");
  env_.PutDurableFile("d/b", "");
  env_.PutDurableFile("e/c", "");
  std::vector<std::string> names;
  ASSERT_TRUE(env_.GetChildren("d", &names).ok());
  std::sort(names.begin(), names.end());
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), names);
  EXPECT_FALSE(env_.GetChildren("missing", &names).ok());
}

TEST_F(FaultEnvTest, ALockIsExclusiveUntilReleased) {
  std::unique_ptr<FileLock> first, second;
  ASSERT_TRUE(env_.LockFile("d/LOCK", &first).ok());
  Status s = env_.LockFile("d/LOCK", &second);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(std::string::npos, s.message().find("d/LOCK")) << s.message();
  first.reset();
  EXPECT_TRUE(env_.LockFile("d/LOCK", &second).ok());
}

// The real file system's lock, which guards a data directory in production.
TEST(PosixEnvTest, ASecondLockOnADataDirectoryIsRefusedUntilTheFirstIsReleased) {
  const std::string dir = ::testing::TempDir() + "posix-env-lock-" + std::to_string(getpid());
  std::unique_ptr<FileLock> first, second;
  ASSERT_TRUE(LockDataDir(Env::Default(), dir, &first).ok());
  Status s = LockDataDir(Env::Default(), dir, &second);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(std::string::npos, s.message().find("LOCK")) << s.message();
  first.reset();
  EXPECT_TRUE(LockDataDir(Env::Default(), dir, &second).ok());
  second.reset();
  std::filesystem::remove_all(dir);
}

// The real file system maps a file for reading: the same bytes as ReadFile,
// an empty file included, and a clear error for a missing one.
TEST(PosixEnvTest, FileContentsAreTheFilesBytes) {
  Env* env = Env::Default();
  const std::string dir = ::testing::TempDir() + "posix-env-map-" + std::to_string(getpid());
  ASSERT_TRUE(env->CreateDir(dir).ok());
  std::string bytes;
  for (int i = 0; i < 300'000; ++i) bytes.push_back(static_cast<char>(i * 7 + i / 251));
  for (const std::string& content : {bytes, std::string()}) {
    const std::string path = JoinPath(dir, content.empty() ? "empty" : "bytes");
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(env->NewWritableFile(path, &f).ok());
    ASSERT_TRUE(f->Append(content).ok());
    ASSERT_TRUE(f->Close().ok());
    std::unique_ptr<FileContents> mapped;
    ASSERT_TRUE(env->ReadFileContents(path, &mapped).ok());
    EXPECT_EQ(mapped->data(), content);
    // The mapping outlives the file's name.
    ASSERT_TRUE(env->RemoveFile(path).ok());
    EXPECT_EQ(mapped->data(), content);
  }
  std::unique_ptr<FileContents> missing;
  Status s = env->ReadFileContents(JoinPath(dir, "missing"), &missing);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(std::string::npos, s.message().find("missing")) << s.message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bangdan
