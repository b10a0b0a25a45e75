// Snapshot files: atomic write, round trip, and a clear Corruption naming the
// file and offset for every kind of damage.
#include "bangdan/snapshot.h"

#include <gtest/gtest.h>

#include <random>

#include "storage/fault_env.h"

namespace bangdan {
namespace {

constexpr char kDir[] = "db";

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDir(kDir).ok()); }

  std::string Write(uint64_t seq, const std::string& payload) {
    std::string name;
    Status s = WriteSnapshot(&env_, kDir, seq, payload, &name);
    EXPECT_TRUE(s.ok()) << s.message();
    return name;
  }

  Status Read(const std::string& name, uint64_t* seq, std::string* payload) {
    std::unique_ptr<FileContents> file;
    std::string_view view;
    Status s = ReadSnapshot(&env_, JoinPath(kDir, name), seq, &file, &view);
    payload->assign(view);
    return s;
  }

  // Reads `name` expecting Corruption; returns its message.
  std::string CorruptionOf(const std::string& name) {
    uint64_t seq = 0;
    std::string payload;
    Status s = Read(name, &seq, &payload);
    EXPECT_TRUE(s.IsCorruption()) << s.message();
    EXPECT_NE(std::string::npos, s.message().find(name)) << s.message();
    return s.message();
  }

  std::string Contents(const std::string& name) {
    std::string data;
    EXPECT_TRUE(env_.ReadFile(JoinPath(kDir, name), &data).ok());
    return data;
  }
  void Replace(const std::string& name, const std::string& data) {
    env_.PutDurableFile(JoinPath(kDir, name), data);
  }
  std::vector<std::string> Children() {
    std::vector<std::string> names;
    EXPECT_TRUE(env_.GetChildren(kDir, &names).ok());
    return names;
  }

  FaultEnv env_;
};

TEST_F(SnapshotTest, PayloadAndSequenceNumberRoundTrip) {
  std::string payload(1 << 20, '\0');
  std::mt19937 rng(7);
  for (auto& c : payload) c = static_cast<char>(rng());
  const std::string name = Write(42, payload);
  EXPECT_EQ("snapshot-00000000000000000042.snap", name);
  uint64_t seq = 0;
  std::string got;
  ASSERT_TRUE(Read(name, &seq, &got).ok());
  EXPECT_EQ(42u, seq);
  EXPECT_EQ(payload, got);
}

TEST_F(SnapshotTest, EmptyPayloadRoundTrips) {
  const std::string name = Write(0, "");
  uint64_t seq = 9;
  std::string got = "x";
  ASSERT_TRUE(Read(name, &seq, &got).ok());
  EXPECT_EQ(0u, seq);
  EXPECT_EQ("", got);
}

TEST_F(SnapshotTest, AWrittenSnapshotSurvivesACrash) {
  const std::string name = Write(7, "state");
  env_.SimulateCrash();
  uint64_t seq = 0;
  std::string got;
  ASSERT_TRUE(Read(name, &seq, &got).ok());
  EXPECT_EQ("state", got);
}

TEST_F(SnapshotTest, ANewerSnapshotReplacesTheOlderOnes) {
  Write(10, "ten");
  Write(20, "twenty");
  EXPECT_EQ(std::vector<std::string>{"snapshot-00000000000000000020.snap"}, Children());
  std::string name;
  uint64_t seq = 0;
  ASSERT_TRUE(FindNewestSnapshot(&env_, kDir, &name, &seq).ok());
  EXPECT_EQ(20u, seq);
}

TEST_F(SnapshotTest, NoSnapshotIsNotFoundAndATempFileIsNoSnapshot) {
  std::string name;
  uint64_t seq = 0;
  EXPECT_TRUE(FindNewestSnapshot(&env_, kDir, &name, &seq).IsNotFound());
  Replace("snapshot-00000000000000000005.snap.tmp", "half");
  EXPECT_TRUE(FindNewestSnapshot(&env_, kDir, &name, &seq).IsNotFound());
}

TEST_F(SnapshotTest, AFailedSyncLeavesNeitherSnapshotNorTempFile) {
  env_.FailSyncs(1);
  std::string name;
  Status s = WriteSnapshot(&env_, kDir, 3, "state", &name);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_TRUE(Children().empty());
}

TEST_F(SnapshotTest, NoSpaceIsReportedAsSuch) {
  env_.FailWrites(/*no_space=*/true, 10);
  Status s = WriteSnapshot(&env_, kDir, 3, std::string(100, 'x'), nullptr);
  EXPECT_TRUE(s.IsNoSpace());
  EXPECT_NE(std::string::npos, s.message().find(".tmp")) << s.message();
}

TEST_F(SnapshotTest, ABitFlipAnywhereIsCorruption) {
  const std::string name = Write(5, "a small engine state");
  const std::string good = Contents(name);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    Replace(name, bad);
    CorruptionOf(name);
  }
}

TEST_F(SnapshotTest, ABitFlipInThePayloadIsAChecksumMismatchAtTheTrailer) {
  const std::string name = Write(5, "payload");
  std::string bad = Contents(name);
  bad[33] ^= 1;
  Replace(name, bad);
  EXPECT_NE(std::string::npos, CorruptionOf(name).find("offset 39: checksum mismatch"));
}

TEST_F(SnapshotTest, TruncationAtAnyLengthIsCorruption) {
  const std::string name = Write(5, "payload");
  const std::string good = Contents(name);
  for (size_t n = 0; n < good.size(); ++n) {
    Replace(name, good.substr(0, n));
    CorruptionOf(name);
  }
  Replace(name, good.substr(0, good.size() - 1));
  EXPECT_NE(std::string::npos, CorruptionOf(name).find("offset 24: payload length 7"));
}

TEST_F(SnapshotTest, AnUnknownVersionIsNamed) {
  const std::string name = Write(5, "payload");
  std::string bad = Contents(name);
  bad[8] = 2;
  Replace(name, bad);
  EXPECT_NE(std::string::npos, CorruptionOf(name).find("offset 8: unsupported format version 2"));
}

TEST_F(SnapshotTest, AFileThatIsNotASnapshotHasBadMagic) {
  Replace("snapshot-00000000000000000001.snap", "{\"json\": \"not a snapshot at all\"}");
  EXPECT_NE(std::string::npos,
            CorruptionOf("snapshot-00000000000000000001.snap").find("offset 0: not a snapshot"));
}

TEST_F(SnapshotTest, ASequenceNumberThatDisagreesWithTheNameIsCorruption) {
  const std::string name = Write(5, "payload");
  Replace("snapshot-00000000000000000006.snap", Contents(name));
  EXPECT_NE(std::string::npos,
            CorruptionOf("snapshot-00000000000000000006.snap").find("offset 16"));
}

}  // namespace
}  // namespace bangdan
