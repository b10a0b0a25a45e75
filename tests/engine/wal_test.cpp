// Wal: appending, group sync, rotation, and rolling back after injected
// write and fsync failures, checked by recovering the log into an Engine.
#include "bangdan/wal.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include "bangdan/recovery.h"
#include "bangdan/snapshot.h"
#include "event_builder.h"
#include "storage/fault_env.h"
#include "storage/file_names.h"

namespace bangdan {
namespace {

using testing_util::Ev;
using testing_util::kMidnight;

constexpr char kDir[] = "db";

class WalTest : public ::testing::Test {
 protected:
  void Open(WalOptions options = {}, uint64_t last_seq = 0) {
    options_ = options;
    wal_.reset();
    ASSERT_TRUE(Wal::Open(&env_, kDir, options, last_seq, &wal_).ok());
  }

  // Appends `n` events of `weight_g` grams each, without syncing.
  Status AppendEvents(int n, int64_t weight_g) {
    for (int i = 0; i < n; ++i) {
      Ev ev;
      ev.id = testing_util::Name("order-", static_cast<long>(next_id_++));
      ev.weight_g = weight_g;
      const uint64_t seq = wal_->appended_seq() + 1;
      Status s = wal_->Append(ev.view(), seq, kMidnight + static_cast<int64_t>(seq));
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  Status AppendGroup(int n, int64_t weight_g) {
    Status s = AppendEvents(n, weight_g);
    return s.ok() ? wal_->Sync() : s;
  }

  // What a restart would see: the events recovered and their total weight.
  struct Recovered {
    uint64_t events = 0;
    int64_t weight_g = 0;
  };
  Recovered RecoverLog() {
    Engine engine;
    RecoveryStats stats;
    Status s = Recover(&env_, kDir, &engine, &stats);
    EXPECT_TRUE(s.ok()) << s.message();
    Totals t = engine.GetTotals(WindowSpec::Total(), kMidnight);
    EXPECT_EQ(t.events, engine.applied_seq());
    return {t.events, t.weight_g};
  }

  std::vector<SegmentFile> Segments() {
    std::vector<SegmentFile> segments;
    EXPECT_TRUE(ListSegments(&env_, kDir, &segments).ok());
    return segments;
  }

  FaultEnv env_;
  WalOptions options_;
  std::unique_ptr<Wal> wal_;
  uint64_t next_id_ = 1;
};

TEST_F(WalTest, SyncedGroupsAreRecovered) {
  Open();
  ASSERT_TRUE(AppendGroup(10, 1).ok());
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  EXPECT_EQ(15u, wal_->durable_seq());
  Recovered r = RecoverLog();
  EXPECT_EQ(15u, r.events);
  EXPECT_EQ(15, r.weight_g);
}

TEST_F(WalTest, TheFirstSegmentIsNamedAfterTheNextSequenceNumber) {
  Open({}, 41);
  EXPECT_EQ("wal-00000000000000000042.log", wal_->segment_name());
}

TEST_F(WalTest, AppendRequiresTheNextSequenceNumber) {
  Open();
  Ev ev;
  ev.id = "x";
  EXPECT_TRUE(wal_->Append(ev.view(), 2, kMidnight).IsInvalidArgument());
  EXPECT_TRUE(wal_->Append(ev.view(), 1, kMidnight).ok());
}

TEST_F(WalTest, UnsyncedAppendsAreLostInACrashAndSyncedOnesAreNot) {
  Open();
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  ASSERT_TRUE(AppendEvents(5, 1000).ok());
  env_.SimulateCrash();
  Recovered r = RecoverLog();
  EXPECT_EQ(5u, r.events);
  EXPECT_EQ(5, r.weight_g);
}

TEST_F(WalTest, FsyncNoneWritesWithoutFsyncAndSurvivesAProcessCrash) {
  WalOptions options;
  options.fsync = FsyncMode::kNone;
  Open(options);
  const int syncs = env_.file_syncs();
  ASSERT_TRUE(AppendGroup(7, 1).ok());
  EXPECT_EQ(syncs, env_.file_syncs());
  wal_.reset();  // the process dies; the kernel keeps what was written
  EXPECT_EQ(7u, RecoverLog().events);
}

TEST_F(WalTest, SegmentsRotateAtTheConfiguredSizeBetweenGroups) {
  WalOptions options;
  options.segment_bytes = 4096;
  Open(options);
  for (int g = 0; g < 30; ++g) ASSERT_TRUE(AppendGroup(10, 1).ok());
  std::vector<SegmentFile> segments = Segments();
  ASSERT_GT(segments.size(), 3u);
  EXPECT_EQ(1u, segments[0].first_seq);
  for (const auto& seg : segments) {
    EXPECT_EQ(1u, seg.first_seq % 10) << seg.name << ": a group was split";
  }
  EXPECT_EQ(300u, RecoverLog().events);
}

// durable_bytes() (the server's bangdan_log_bytes_total) is what the
// segments hold, over rotations, and counts nothing of a group that failed.
TEST_F(WalTest, DurableBytesAreWhatTheSegmentsHold) {
  WalOptions options;
  options.segment_bytes = 4096;
  Open(options);
  EXPECT_EQ(0u, wal_->durable_bytes());
  for (int g = 0; g < 20; ++g) ASSERT_TRUE(AppendGroup(10, 1).ok());
  ASSERT_TRUE(AppendEvents(3, 1).ok());  // appended, not synced: not counted
  auto on_disk = [&] {
    uint64_t total = 0;
    for (const SegmentFile& seg : Segments()) {
      uint64_t size = 0;
      EXPECT_TRUE(env_.FileSize(std::string(kDir) + "/" + seg.name, &size).ok());
      total += size;
    }
    return total;
  };
  ASSERT_GT(Segments().size(), 2u);
  const uint64_t synced = wal_->durable_bytes();
  ASSERT_TRUE(wal_->Sync().ok());
  EXPECT_GT(wal_->durable_bytes(), synced);
  EXPECT_EQ(on_disk(), wal_->durable_bytes());

  const uint64_t before_failure = wal_->durable_bytes();
  env_.FailWrites(/*no_space=*/true, /*partial_bytes=*/70);
  ASSERT_TRUE(AppendEvents(5, 1000).ok());
  EXPECT_FALSE(wal_->Sync().ok());
  ASSERT_TRUE(wal_->Rollback().ok());
  EXPECT_EQ(before_failure, wal_->durable_bytes());
  EXPECT_EQ(on_disk(), wal_->durable_bytes());
}

TEST_F(WalTest, RollbackAfterNoSpaceForgetsTheFailedGroupAndLaterAppendsWork) {
  Open();
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  env_.FailWrites(/*no_space=*/true, /*partial_bytes=*/70);
  ASSERT_TRUE(AppendEvents(5, 1000).ok());
  Status s = wal_->Sync();
  EXPECT_TRUE(s.IsNoSpace()) << s.message();
  EXPECT_NE(std::string::npos, s.message().find("wal-")) << s.message();
  ASSERT_TRUE(wal_->Rollback().ok());
  EXPECT_EQ(5u, wal_->durable_seq());
  EXPECT_EQ(5u, wal_->appended_seq());
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  EXPECT_EQ(10u, wal_->durable_seq());
  Recovered r = RecoverLog();
  EXPECT_EQ(10u, r.events);
  EXPECT_EQ(10, r.weight_g);  // nothing of the failed group
}

TEST_F(WalTest, RollbackAfterAnEioShortWriteForgetsTheFailedGroup) {
  Open();
  ASSERT_TRUE(AppendGroup(3, 1).ok());
  env_.FailWrites(/*no_space=*/false, /*partial_bytes=*/200);
  ASSERT_TRUE(AppendEvents(4, 1000).ok());
  Status s = wal_->Sync();
  EXPECT_TRUE(s.IsIOError());
  EXPECT_FALSE(s.IsNoSpace());
  ASSERT_TRUE(wal_->Rollback().ok());
  ASSERT_TRUE(AppendGroup(2, 1).ok());
  env_.SimulateCrash();
  Recovered r = RecoverLog();
  EXPECT_EQ(5u, r.events);
  EXPECT_EQ(5, r.weight_g);
}

TEST_F(WalTest, AFailedAppendRefusesFurtherWritesUntilRollback) {
  WalOptions options;
  options.write_buffer_bytes = 1;  // every Append writes
  Open(options);
  ASSERT_TRUE(AppendGroup(2, 1).ok());
  env_.FailWrites(true);
  EXPECT_TRUE(AppendEvents(1, 1000).IsNoSpace());
  EXPECT_TRUE(AppendEvents(1, 1000).IsIOError());
  EXPECT_TRUE(wal_->Sync().IsIOError());
  ASSERT_TRUE(wal_->Rollback().ok());
  ASSERT_TRUE(AppendGroup(1, 1).ok());
  EXPECT_EQ(3u, wal_->durable_seq());
  EXPECT_EQ(3, RecoverLog().weight_g);
}

TEST_F(WalTest, AfterAFailedFsyncTheSegmentIsNeverSyncedAgain) {
  Open();
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  const std::string first_segment = wal_->segment_name();
  env_.FailSyncs(1);
  ASSERT_TRUE(AppendEvents(5, 1000).ok());
  EXPECT_TRUE(wal_->Sync().IsIOError());
  ASSERT_TRUE(wal_->Rollback().ok());
  EXPECT_EQ("wal-00000000000000000006.log", wal_->segment_name());
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  EXPECT_EQ(0, env_.syncs_after_failed_sync());
  env_.SimulateCrash();
  Recovered r = RecoverLog();
  EXPECT_EQ(10u, r.events);
  EXPECT_EQ(10, r.weight_g);
}

TEST_F(WalTest, FailedFsyncOfTheFirstGroupReplacesTheSegmentOfTheSameName) {
  Open();
  env_.FailSyncs(1);
  ASSERT_TRUE(AppendEvents(3, 1000).ok());
  EXPECT_TRUE(wal_->Sync().IsIOError());
  ASSERT_TRUE(wal_->Rollback().ok());
  EXPECT_EQ("wal-00000000000000000001.log", wal_->segment_name());
  ASSERT_TRUE(AppendGroup(2, 1).ok());
  EXPECT_EQ(0, env_.syncs_after_failed_sync());
  Recovered r = RecoverLog();
  EXPECT_EQ(2u, r.events);
  EXPECT_EQ(2, r.weight_g);
}

TEST_F(WalTest, ARollbackThatFailsCanBeTriedAgain) {
  Open();
  ASSERT_TRUE(AppendGroup(2, 1).ok());
  env_.FailSyncs(1);
  env_.FailDirSyncs(1);  // the new segment's name cannot be made durable
  ASSERT_TRUE(AppendEvents(2, 1000).ok());
  EXPECT_FALSE(wal_->Sync().ok());
  EXPECT_FALSE(wal_->Rollback().ok());
  EXPECT_TRUE(AppendEvents(1, 1).IsIOError());
  ASSERT_TRUE(wal_->Rollback().ok());
  ASSERT_TRUE(AppendGroup(2, 1).ok());
  Recovered r = RecoverLog();
  EXPECT_EQ(4u, r.events);
  EXPECT_EQ(4, r.weight_g);
}

TEST_F(WalTest, DeleteSegmentsBeforeRemovesOnlySegmentsASnapshotCovers) {
  WalOptions options;
  options.segment_bytes = 2048;
  Open(options);
  for (int g = 0; g < 20; ++g) ASSERT_TRUE(AppendGroup(10, 1).ok());
  std::vector<SegmentFile> before = Segments();
  ASSERT_GT(before.size(), 4u);
  const uint64_t inside_third = before[2].first_seq + 1;
  // Bytes recovery once cut off the first segment's tail go with it.
  const std::string torn = JoinPath(kDir, before[0].name) + ".torn";
  std::unique_ptr<WritableFile> kept;
  ASSERT_TRUE(env_.NewWritableFile(torn, &kept).ok());
  ASSERT_TRUE(kept->Append("cut").ok() && kept->Close().ok());
  ASSERT_TRUE(wal_->DeleteSegmentsBefore(inside_third).ok());
  std::vector<SegmentFile> after = Segments();
  ASSERT_EQ(before.size() - 2, after.size());
  EXPECT_EQ(before[2].name, after[0].name);
  EXPECT_FALSE(env_.FileExists(torn));
  // Everything: the current segment stays.
  ASSERT_TRUE(wal_->DeleteSegmentsBefore(wal_->durable_seq()).ok());
  after = Segments();
  ASSERT_EQ(1u, after.size());
  EXPECT_EQ(wal_->segment_name(), after[0].name);
}

TEST_F(WalTest, CloseSegmentIfCoveredClosesOnlyASegmentWithNothingAfterTheSnapshot) {
  Open();
  EXPECT_TRUE(wal_->CloseSegmentIfCovered(0).ok());  // empty: stays
  EXPECT_EQ("wal-00000000000000000001.log", wal_->segment_name());
  ASSERT_TRUE(AppendGroup(5, 1).ok());
  EXPECT_TRUE(wal_->CloseSegmentIfCovered(4).ok());  // seq 5 is not covered: stays
  EXPECT_EQ("wal-00000000000000000001.log", wal_->segment_name());
  EXPECT_TRUE(wal_->CloseSegmentIfCovered(5).ok());
  EXPECT_EQ("wal-00000000000000000006.log", wal_->segment_name());
  ASSERT_TRUE(wal_->DeleteSegmentsBefore(5).ok());
  std::vector<SegmentFile> after = Segments();
  ASSERT_EQ(1u, after.size());
  EXPECT_EQ(wal_->segment_name(), after[0].name);
  EXPECT_EQ(6u, after[0].first_seq);
  ASSERT_TRUE(AppendGroup(2, 1).ok());  // and the log goes on in it
  EXPECT_EQ(7u, wal_->durable_seq());
}

TEST_F(WalTest, OpenRefusesToOverwriteASegmentHoldingRecords) {
  Open();
  ASSERT_TRUE(AppendGroup(3, 1).ok());
  std::unique_ptr<Wal> other;
  Status s = Wal::Open(&env_, kDir, {}, 0, &other);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.message();
}

TEST_F(WalTest, StringsLongerThanARecordAllowsAreRefused) {
  Open();
  Ev ev;
  ev.id = std::string(300, 'x');
  EXPECT_TRUE(wal_->Append(ev.view(), 1, kMidnight).IsInvalidArgument());
  EXPECT_EQ(0u, wal_->appended_seq());
}

// ---- Kill points, with the real file system and a real SIGKILL ----
//
// Death tests re-run this binary for the child (style "threadsafe"), so the
// child reads BANGDAN_KILL_POINT afresh.

class WalKillPointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // Unique per process, as tests may run in parallel; the child re-runs
    // this binary and finds the parent's choice in its environment.
    if (std::getenv("BANGDAN_KILL_POINT_TEST_DIR") == nullptr) {
      const std::string dir =
          ::testing::TempDir() + "wal-kill-point-test-" + std::to_string(getpid());
      setenv("BANGDAN_KILL_POINT_TEST_DIR", dir.c_str(), 1);
    }
    dir_ = std::getenv("BANGDAN_KILL_POINT_TEST_DIR");
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // In the child: groups of 10 events, each synced, with a snapshot after the
  // second, until the kill point fires.
  static void RunUntilKilled(const std::string& dir, const char* point,
                             uint64_t segment_bytes = 64 << 20) {
    setenv("BANGDAN_KILL_POINT", point, 1);
    Engine engine;
    RecoveryStats stats;
    if (!Recover(Env::Default(), dir, &engine, &stats).ok()) std::_Exit(1);
    std::unique_ptr<Wal> wal;
    WalOptions options;
    options.segment_bytes = segment_bytes;
    if (!Wal::Open(Env::Default(), dir, options, engine.applied_seq(), &wal).ok()) std::_Exit(2);
    for (uint64_t seq = 1; seq <= 100; ++seq) {
      Ev ev;
      ev.id = testing_util::Name("order-", static_cast<long>(seq));
      ev.weight_g = 1;
      Admission a = engine.Admit(ev.view(), kMidnight);
      if (!wal->Append(ev.view(), a.seq, kMidnight).ok()) std::_Exit(3);
      engine.Apply(ev.view(), a);
      if (seq % 10 != 0) continue;
      if (!wal->Sync().ok()) std::_Exit(4);
      if (seq == 20) {
        std::string state;
        engine.Serialize(&state);
        if (!WriteSnapshot(Env::Default(), dir, seq, state, nullptr).ok()) std::_Exit(5);
      }
    }
    std::_Exit(0);
  }

  uint64_t Recovered(RecoveryStats* stats) {
    Engine engine;
    Status s = Recover(Env::Default(), dir_, &engine, stats);
    EXPECT_TRUE(s.ok()) << s.message();
    return engine.applied_seq();
  }

  std::string dir_;
};

TEST_F(WalKillPointTest, AKillBeforeFsyncKeepsWhatWasWrittenToTheKernel) {
  EXPECT_EXIT(RunUntilKilled(dir_, "after_write_before_fsync:3"),
              ::testing::KilledBySignal(SIGKILL), "");
  RecoveryStats stats;
  EXPECT_EQ(30u, Recovered(&stats));  // the third group was written, not yet acked
  EXPECT_TRUE(stats.warnings.empty());
}

TEST_F(WalKillPointTest, AKillBeforeTheSnapshotRenameLeavesATempFileThatIsRemoved) {
  EXPECT_EXIT(RunUntilKilled(dir_, "mid_snapshot_rename"), ::testing::KilledBySignal(SIGKILL),
              "");
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/snapshot-00000000000000000020.snap.tmp"));
  RecoveryStats stats;
  EXPECT_EQ(20u, Recovered(&stats));
  EXPECT_TRUE(stats.snapshot_file.empty());
  EXPECT_EQ(1u, stats.warnings.size());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/snapshot-00000000000000000020.snap.tmp"));
}

TEST_F(WalKillPointTest, AKillAfterTheSnapshotRenameRecoversFromTheSnapshot) {
  EXPECT_EXIT(RunUntilKilled(dir_, "after_snapshot_rename"), ::testing::KilledBySignal(SIGKILL),
              "");
  RecoveryStats stats;
  EXPECT_EQ(20u, Recovered(&stats));
  EXPECT_EQ(20u, stats.snapshot_seq);
}

TEST_F(WalKillPointTest, AKillDuringSegmentRotationLosesNothingSynced) {
  // Segments of 1 KiB: two groups fill the first, so it rotates when event
  // 21 arrives, between the old segment's close and the new one's creation.
  EXPECT_EXIT(RunUntilKilled(dir_, "mid_segment_rotation:1", 1024),
              ::testing::KilledBySignal(SIGKILL), "");
  RecoveryStats stats;
  EXPECT_EQ(20u, Recovered(&stats));
  EXPECT_TRUE(stats.warnings.empty());
}

}  // namespace
}  // namespace bangdan
