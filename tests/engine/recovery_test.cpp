// Recovery end to end: an Engine and a Wal driven like the server drives
// them, snapshots, crashes of the FaultEnv, and hand-made damaged logs.
#include "bangdan/recovery.h"

#include <gtest/gtest.h>

#include <random>

#include "bangdan/snapshot.h"
#include "bangdan/state_writer.h"
#include "bangdan/wal.h"
#include "event_builder.h"
#include "storage/fault_env.h"
#include "storage/file_names.h"
#include "storage/log_writer.h"
#include "storage/record_codec.h"

namespace bangdan {
namespace {

using testing_util::Ev;
using testing_util::kMidnight;

constexpr char kDir[] = "db";

Ev EventNumber(uint64_t n, int64_t weight_g = 1) {
  Ev ev;
  ev.id = testing_util::Name("order-", static_cast<long>(n));
  ev.city = n % 3 == 0 ? "合肥" : "六安";
  ev.team = testing_util::Name("team-", static_cast<long>(n % 7));
  ev.weight_g = weight_g;
  ev.amount_fen = static_cast<int64_t>(n);
  return ev;
}

// A segment made by hand, record by record, for logs a Wal would not write.
struct SegmentBuilder {
  std::string data;
  log::Writer writer;
  std::vector<uint64_t> offsets;
  void Add(uint64_t seq, int64_t weight_g = 1, uint64_t id = 0) {
    std::string record;
    log::EncodeEvent(EventNumber(id ? id : seq, weight_g).view(), seq, kMidnight, &record);
    offsets.push_back(data.size());
    writer.AddRecord(record, &data);
  }
};

class RecoveryTest : public ::testing::Test {
 protected:
  // The server's write path: admit, log, sync, apply.
  void Ingest(Engine& engine, Wal& wal, uint64_t n, int64_t weight_g = 1) {
    std::vector<std::pair<Ev, Admission>> group;
    for (uint64_t i = 0; i < n; ++i) {
      Ev ev = EventNumber(next_event_++, weight_g);
      Admission a = engine.Admit(ev.view(), kMidnight);
      ASSERT_TRUE(a.accepted());
      ASSERT_TRUE(wal.Append(ev.view(), a.seq, a.recv_ms).ok());
      group.emplace_back(std::move(ev), a);
    }
    ASSERT_TRUE(wal.Sync().ok());
    for (auto& [ev, a] : group) engine.Apply(ev.view(), a);
  }

  Status RecoverInto(Engine* engine) { return Recover(&env_, kDir, engine, &stats_); }

  // Writes `payload` as the snapshot at `seq` and lets the segments it covers
  // go, as the server does; then `groups` more groups of 5 and a crash.
  // Returns the snapshot's file name.
  std::string SnapshotIngestAndCrash(Engine& engine, std::unique_ptr<Wal>& wal, uint64_t seq,
                                     std::string_view payload, int groups) {
    std::string name;
    EXPECT_TRUE(WriteSnapshot(&env_, kDir, seq, payload, &name).ok());
    EXPECT_TRUE(wal->DeleteSegmentsBefore(seq).ok());
    for (int g = 0; g < groups; ++g) Ingest(engine, *wal, 5);
    wal.reset();
    env_.SimulateCrash();
    return name;
  }

  // An empty directory recovered, a log opened, 10 groups of 5 events.
  void StartWith50Events(Engine& engine, const WalOptions& options, std::unique_ptr<Wal>* wal) {
    ASSERT_TRUE(RecoverInto(&engine).ok());
    ASSERT_TRUE(Wal::Open(&env_, kDir, options, 0, wal).ok());
    for (int g = 0; g < 10; ++g) Ingest(engine, **wal, 5);
  }

  void PutSegment(uint64_t first_seq, const std::string& data) {
    env_.PutDurableFile(JoinPath(kDir, SegmentFileName(first_seq)), data);
  }

  // Recovery must fail with Corruption naming `file`; returns the message.
  std::string CorruptionNaming(const std::string& file) {
    Engine engine;
    Status s = RecoverInto(&engine);
    EXPECT_TRUE(s.IsCorruption()) << s.message();
    EXPECT_NE(std::string::npos, s.message().find(file)) << s.message();
    return s.message();
  }

  static std::string State(const Engine& engine) {
    std::string s;
    engine.Serialize(&s);
    return s;
  }

  FaultEnv env_;
  RecoveryStats stats_;
  uint64_t next_event_ = 1;
};

TEST_F(RecoveryTest, AnEmptyDirectoryRecoversToAnEmptyEngine) {
  Engine engine;
  ASSERT_TRUE(RecoverInto(&engine).ok());
  EXPECT_EQ(0u, engine.applied_seq());
  EXPECT_TRUE(stats_.snapshot_file.empty());
  EXPECT_TRUE(stats_.warnings.empty());
}

TEST_F(RecoveryTest, SnapshotPlusLogRebuildsTheStateByteForByte) {
  Engine engine;
  std::unique_ptr<Wal> wal;
  WalOptions options;
  options.segment_bytes = 2048;
  StartWith50Events(engine, options, &wal);
  const std::string name =
      SnapshotIngestAndCrash(engine, wal, engine.applied_seq(), State(engine), 6);

  Engine recovered;
  ASSERT_TRUE(RecoverInto(&recovered).ok());
  EXPECT_EQ(name, stats_.snapshot_file);
  EXPECT_EQ(50u, stats_.snapshot_seq);
  EXPECT_EQ(30u, stats_.events_replayed);
  EXPECT_EQ(80u, stats_.last_seq);
  EXPECT_EQ(State(engine), State(recovered));

  // And the log goes on after it.
  ASSERT_TRUE(Wal::Open(&env_, kDir, options, recovered.applied_seq(), &wal).ok());
  Ingest(recovered, *wal, 3);
  Engine again;
  ASSERT_TRUE(RecoverInto(&again).ok());
  EXPECT_EQ(83u, again.applied_seq());
}

// The server's snapshot: written in steps with groups ingested between them,
// named after where writing began, the log synced before the file is written.
TEST_F(RecoveryTest, ASnapshotWrittenInStepsPlusTheLogIsTheStateByteForByte) {
  Engine engine;
  std::unique_ptr<Wal> wal;
  WalOptions options;
  options.segment_bytes = 2048;
  StartWith50Events(engine, options, &wal);
  StateWriter writer(engine);
  while (!writer.Step(200)) Ingest(engine, *wal, 2);
  ASSERT_GT(writer.end_seq(), writer.begin_seq());
  ASSERT_TRUE(wal->SyncNow().ok());
  const std::string name =
      SnapshotIngestAndCrash(engine, wal, writer.begin_seq(), writer.Take(), 3);

  Engine recovered;
  ASSERT_TRUE(RecoverInto(&recovered).ok());
  EXPECT_EQ(name, stats_.snapshot_file);
  EXPECT_EQ(50u, stats_.snapshot_seq);
  EXPECT_EQ(engine.applied_seq(), recovered.applied_seq());
  EXPECT_EQ(State(engine), State(recovered));
}

TEST_F(RecoveryTest, ASnapshotWrittenInStepsWhoseEventsTheLogLacksIsCorruption) {
  Engine engine;
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(&env_, kDir, {}, 0, &wal).ok());
  for (int g = 0; g < 10; ++g) Ingest(engine, *wal, 5);
  StateWriter writer(engine);
  while (!writer.Step(200)) Ingest(engine, *wal, 2);
  std::string name;
  ASSERT_TRUE(WriteSnapshot(&env_, kDir, writer.begin_seq(), writer.Take(), &name).ok());
  wal.reset();
  // The log after the snapshot's start is gone (as if never synced).
  ASSERT_TRUE(env_.RemoveFile(JoinPath(kDir, SegmentFileName(1))).ok());
  PutSegment(1, "");
  const std::string message = CorruptionNaming(name);
  EXPECT_NE(std::string::npos, message.find("holds events up to seq")) << message;
}

TEST_F(RecoveryTest, ATornTailIsCutWithAWarningAndTheLogGoesOn) {
  SegmentBuilder seg;
  for (uint64_t s = 1; s <= 5; ++s) seg.Add(s);
  const size_t intact = seg.data.size();
  seg.Add(6);
  seg.data.resize(seg.data.size() - 3);
  PutSegment(1, seg.data);

  Engine engine;
  ASSERT_TRUE(RecoverInto(&engine).ok());
  EXPECT_EQ(5u, engine.applied_seq());
  EXPECT_EQ(seg.data.size() - intact, stats_.torn_bytes_dropped);
  ASSERT_EQ(1u, stats_.warnings.size());
  EXPECT_NE(std::string::npos, stats_.warnings[0].find("wal-00000000000000000001.log"));
  uint64_t size = 0;
  ASSERT_TRUE(env_.FileSize(JoinPath(kDir, SegmentFileName(1)), &size).ok());
  EXPECT_EQ(intact, size);
  // The cut bytes are kept beside the segment, and named in the warning.
  std::string kept;
  ASSERT_TRUE(env_.ReadFile(JoinPath(kDir, SegmentFileName(1)) + ".torn", &kept).ok());
  EXPECT_EQ(seg.data.substr(intact), kept);
  EXPECT_NE(std::string::npos, stats_.warnings[0].find(".torn)"));

  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(&env_, kDir, {}, engine.applied_seq(), &wal).ok());
  next_event_ = 6;
  Ingest(engine, *wal, 2);
  Engine again;
  ASSERT_TRUE(RecoverInto(&again).ok());
  EXPECT_EQ(7u, again.applied_seq());
  EXPECT_TRUE(stats_.warnings.empty());
}

TEST_F(RecoveryTest, ATornTailAtEveryByteOfTheLastRecordRecoversThePrefix) {
  SegmentBuilder seg;
  for (uint64_t s = 1; s <= 4; ++s) seg.Add(s);
  const std::string whole = seg.data;
  for (size_t cut = seg.offsets.back() + 1; cut < whole.size(); ++cut) {
    PutSegment(1, whole.substr(0, cut));
    Engine engine;
    Status s = RecoverInto(&engine);
    ASSERT_TRUE(s.ok()) << "cut at " << cut << ": " << s.message();
    ASSERT_EQ(3u, engine.applied_seq()) << "cut at " << cut;
    ASSERT_EQ(cut - seg.offsets.back(), stats_.torn_bytes_dropped);
  }
}

TEST_F(RecoveryTest, AChecksumFailureBeforeTheEndStopsRecoveryNamingFileAndOffset) {
  SegmentBuilder seg;
  for (uint64_t s = 1; s <= 5; ++s) seg.Add(s);
  seg.data[seg.offsets[2] + 20] ^= 0x40;
  PutSegment(1, seg.data);
  const std::string msg = CorruptionNaming("wal-00000000000000000001.log");
  EXPECT_NE(std::string::npos, msg.find("offset " + std::to_string(seg.offsets[2])));
  EXPECT_NE(std::string::npos, msg.find("checksum mismatch"));
}

TEST_F(RecoveryTest, ATornTailInASegmentThatIsNotTheLastIsCorruption) {
  SegmentBuilder first;
  for (uint64_t s = 1; s <= 5; ++s) first.Add(s);
  first.data.resize(first.data.size() - 2);
  PutSegment(1, first.data);
  SegmentBuilder second;
  for (uint64_t s = 6; s <= 8; ++s) second.Add(s);
  PutSegment(6, second.data);
  CorruptionNaming("wal-00000000000000000001.log");
}

TEST_F(RecoveryTest, AMissingSegmentIsAGapNamingTheSegmentBeforeIt) {
  SegmentBuilder a, c;
  for (uint64_t s = 1; s <= 5; ++s) a.Add(s);
  for (uint64_t s = 11; s <= 12; ++s) c.Add(s);
  PutSegment(1, a.data);
  PutSegment(11, c.data);
  const std::string msg = CorruptionNaming("wal-00000000000000000001.log");
  EXPECT_NE(std::string::npos, msg.find("starts at 11")) << msg;
}

TEST_F(RecoveryTest, AGapInsideASegmentIsCorruption) {
  SegmentBuilder seg;
  seg.Add(1);
  seg.Add(2);
  seg.Add(4);
  PutSegment(1, seg.data);
  const std::string msg = CorruptionNaming("wal-00000000000000000001.log");
  EXPECT_NE(std::string::npos, msg.find("sequence number 4 where 3 was expected")) << msg;
  EXPECT_NE(std::string::npos, msg.find("offset " + std::to_string(seg.offsets[2]))) << msg;
}

TEST_F(RecoveryTest, ALogStartingAfterTheStateIsAGap) {
  SegmentBuilder seg;
  seg.Add(3);
  PutSegment(3, seg.data);
  CorruptionNaming("wal-00000000000000000003.log");
}

TEST_F(RecoveryTest, RecordsAnOlderSegmentHoldsBeyondItsSuccessorsStartAreRolledBack) {
  SegmentBuilder old_seg, new_seg;
  for (uint64_t s = 1; s <= 5; ++s) old_seg.Add(s, 1);
  for (uint64_t s = 6; s <= 8; ++s) old_seg.Add(s, 1000);  // fsync failed: never acked
  old_seg.data.resize(old_seg.data.size() - 4);            // and torn, too
  for (uint64_t s = 6; s <= 9; ++s) new_seg.Add(s, 1, 100 + s);
  PutSegment(1, old_seg.data);
  PutSegment(6, new_seg.data);
  Engine engine;
  ASSERT_TRUE(RecoverInto(&engine).ok());
  EXPECT_EQ(9u, engine.applied_seq());
  EXPECT_EQ(9, engine.GetTotals(WindowSpec::Total(), kMidnight).weight_g);
}

TEST_F(RecoveryTest, EmptySegmentsAtTheEndAreFineAndInTheMiddleAreAGap) {
  SegmentBuilder seg;
  for (uint64_t s = 1; s <= 3; ++s) seg.Add(s);
  PutSegment(1, seg.data);
  PutSegment(4, "");
  Engine engine;
  ASSERT_TRUE(RecoverInto(&engine).ok());
  EXPECT_EQ(3u, engine.applied_seq());

  SegmentBuilder later;
  later.Add(6);
  PutSegment(6, later.data);
  CorruptionNaming("wal-00000000000000000004.log");
}

// Progress is told after the snapshot (0 segments done) and after each
// segment, with the events replayed so far; the last call has every segment.
TEST_F(RecoveryTest, ProgressIsToldAfterEachSegment) {
  SegmentBuilder a, b, c;
  for (uint64_t s = 1; s <= 3; ++s) a.Add(s);
  for (uint64_t s = 4; s <= 7; ++s) b.Add(s);
  for (uint64_t s = 8; s <= 9; ++s) c.Add(s);
  PutSegment(1, a.data);
  PutSegment(4, b.data);
  PutSegment(8, c.data);
  std::vector<std::pair<size_t, uint64_t>> told;  // {segments done, events replayed}
  Engine engine;
  const Status st = Recover(&env_, kDir, &engine, &stats_,
                            [&](const RecoveryStats& r, size_t done, size_t segments) {
                              EXPECT_EQ(segments, 3u);
                              told.emplace_back(done, r.events_replayed);
                            });
  ASSERT_TRUE(st.ok()) << st.ToString();
  const std::vector<std::pair<size_t, uint64_t>> expected = {{0, 0}, {1, 3}, {2, 7}, {3, 9}};
  EXPECT_EQ(told, expected);
}

TEST_F(RecoveryTest, ADuplicateIdInTheLogIsCorruptionNamingTheRecord) {
  SegmentBuilder seg;
  seg.Add(1, 1, 77);
  seg.Add(2, 1, 77);
  PutSegment(1, seg.data);
  const std::string msg = CorruptionNaming("wal-00000000000000000001.log");
  EXPECT_NE(std::string::npos, msg.find("offset " + std::to_string(seg.offsets[1]))) << msg;
}

TEST_F(RecoveryTest, AnUnreadableNewestSnapshotStopsRecoveryEvenWithAnOlderOne) {
  Engine engine;
  std::string older;
  ASSERT_TRUE(WriteSnapshot(&env_, kDir, 0, State(engine), &older).ok());
  env_.PutDurableFile(JoinPath(kDir, "snapshot-00000000000000000009.snap"), "garbage");
  CorruptionNaming("snapshot-00000000000000000009.snap");
}

TEST_F(RecoveryTest, APayloadTheEngineRejectsIsCorruptionNamingTheSnapshot) {
  std::string name;
  ASSERT_TRUE(WriteSnapshot(&env_, kDir, 4, "not an engine state", &name).ok());
  CorruptionNaming(name);
}

TEST_F(RecoveryTest, ASnapshotOfAnotherTimeZoneLosesItsDaysWithAWarning) {
  Engine engine;  // --tz +08:00
  for (uint64_t n = 1; n <= 3; ++n) {
    Ev ev = EventNumber(n);
    engine.Apply(ev.view(), engine.Admit(ev.view(), kMidnight + 1000));
  }
  std::string name;
  ASSERT_TRUE(WriteSnapshot(&env_, kDir, 3, State(engine), &name).ok());
  EngineOptions west;
  west.tz_offset_minutes = -8 * 60;
  Engine restarted(west);
  ASSERT_TRUE(RecoverInto(&restarted).ok());
  ASSERT_EQ(1u, stats_.warnings.size());
  const std::string& warning = stats_.warnings[0];
  EXPECT_NE(warning.find(name), std::string::npos) << warning;
  EXPECT_NE(warning.find("--tz +08:00, not -08:00"), std::string::npos) << warning;
  EXPECT_NE(warning.find("1 day window(s)"), std::string::npos) << warning;
  EXPECT_EQ(restarted.GetTotals(WindowSpec::Total(), kMidnight + 2000).events, 3u);
  EXPECT_EQ(restarted.GetTotals(WindowSpec::Today(), kMidnight + 2000).events, 0u);
  // The same time zone: nothing dropped, nothing said.
  Engine same;
  stats_ = {};
  ASSERT_TRUE(RecoverInto(&same).ok());
  EXPECT_TRUE(stats_.warnings.empty());
  EXPECT_EQ(same.GetTotals(WindowSpec::Today(), kMidnight + 2000).events, 3u);
}

TEST_F(RecoveryTest, TempFilesOfInterruptedSnapshotsAreRemovedWithAWarning) {
  env_.PutDurableFile(JoinPath(kDir, "snapshot-00000000000000000003.snap.tmp"), "half");
  Engine engine;
  ASSERT_TRUE(RecoverInto(&engine).ok());
  EXPECT_FALSE(env_.FileExists(JoinPath(kDir, "snapshot-00000000000000000003.snap.tmp")));
  ASSERT_EQ(1u, stats_.warnings.size());
}

// Many rounds of: groups synced, a group left unsynced or failing, a crash.
// Recovery must give exactly the synced prefix every time.
TEST_F(RecoveryTest, CrashesGiveBackExactlyWhatWasSynced) {
  std::mt19937 rng(2026);
  WalOptions options;
  options.segment_bytes = 4096;
  for (int round = 0; round < 40; ++round) {
    Engine engine;
    Status s = RecoverInto(&engine);
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.message();
    next_event_ = engine.applied_seq() + 1;
    std::unique_ptr<Wal> wal;
    ASSERT_TRUE(Wal::Open(&env_, kDir, options, engine.applied_seq(), &wal).ok());
    if (round % 7 == 3) {
      std::string name;
      ASSERT_TRUE(WriteSnapshot(&env_, kDir, engine.applied_seq(), State(engine), &name).ok());
      ASSERT_TRUE(wal->DeleteSegmentsBefore(engine.applied_seq()).ok());
    }
    const int groups = static_cast<int>(rng() % 5);
    for (int g = 0; g < groups; ++g) Ingest(engine, *wal, 1 + rng() % 20);
    const std::string expected = State(engine);
    // The last group never becomes durable: unsynced, or its write or
    // fsync fails (and is rolled back, or the crash comes first).
    const uint64_t n = 1 + rng() % 20;
    for (uint64_t i = 0; i < n; ++i) {
      Ev ev = EventNumber(wal->appended_seq() + 1, 1000);
      ASSERT_TRUE(wal->Append(ev.view(), wal->appended_seq() + 1, kMidnight).ok());
    }
    switch (rng() % 3) {
      case 0: break;
      case 1: env_.FailWrites(rng() % 2 == 0, rng() % 300); break;
      case 2: env_.FailSyncs(1); break;
    }
    if (rng() % 4 != 0 && !wal->Sync().ok()) wal->Rollback();
    else if (rng() % 2 == 0) wal->Sync();  // may succeed: not expected then
    const bool synced_last = wal->durable_seq() == wal->appended_seq() && n > 0 &&
                             wal->durable_seq() > engine.applied_seq();
    env_.FailWrites(false, 0, 0);
    env_.FailSyncs(0);
    wal.reset();
    env_.SimulateCrash();
    Engine recovered;
    s = RecoverInto(&recovered);
    ASSERT_TRUE(s.ok()) << "round " << round << ": " << s.message();
    if (synced_last) {
      ASSERT_EQ(engine.applied_seq() + n, recovered.applied_seq()) << "round " << round;
    } else {
      ASSERT_EQ(engine.applied_seq(), recovered.applied_seq()) << "round " << round;
      ASSERT_EQ(expected, State(recovered)) << "round " << round;
    }
  }
  EXPECT_EQ(0, env_.syncs_after_failed_sync());
}

}  // namespace
}  // namespace bangdan
