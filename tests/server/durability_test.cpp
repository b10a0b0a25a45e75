// Tests of a server wired to its data directory as bangdan-server does it
// (server/durability.h), here with --wal off: the benchmark mode that acks
// without a log but still takes snapshots.
#include "durability.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace bangdan {
namespace {

using namespace bangdan::testing;
namespace fs = std::filesystem;

// A fresh data directory, removed at the end of the test.
class DataDir {
 public:
  DataDir() : path_(::testing::TempDir() + "bangdan_durability_test_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name()) {
    fs::remove_all(path_);
  }
  ~DataDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

  // The names of the files in it that start with `prefix`.
  std::vector<std::string> Files(const std::string& prefix) const {
    std::vector<std::string> names;
    if (!fs::exists(path_)) return names;
    for (const auto& e : fs::directory_iterator(path_)) {
      std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) == 0) names.push_back(name);
    }
    return names;
  }

 private:
  std::string path_;
};

ServerOptions WalOffOptions(const std::string& dir) {
  ServerOptions o = TestOptions();
  o.data_dir = dir;
  o.wal = false;
  o.admin_token = "adm";
  o.snapshot_interval_ms = 3'600'000;  // snapshots only when asked
  return o;
}

// A server and its data directory, started the way main() starts them.
struct DurableServer {
  explicit DurableServer(const ServerOptions& o) : durability(o), server(std::make_unique<Server>(o)) {
    Status s = durability.Open(&server->engine(), &recovery);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) return;
    server->SetJournal(durability.journal());
    server->SetSnapshotHandler([this](std::string* file, uint64_t* seq) {
      return durability.Snapshot(server->engine(), server->engine_mu(), file, seq);
    });
    server->SetMetricsSource([this](std::string* out) { durability.AppendMetrics(out); });
    s = server->Start();
    EXPECT_TRUE(s.ok()) << s.message();
  }
  ~DurableServer() {
    server->Shutdown();  // stops the writer before the journal goes
    durability.Stop();   // and the periodic snapshots before the engine goes
    server.reset();
  }
  uint16_t port() const { return server->port(); }

  Durability durability;  // declared first: outlives the server
  RecoveryStats recovery;
  std::unique_ptr<Server> server;
};

TEST(WalOff, IngestIsAckedAndOnTheBoardsWithNothingLogged) {
  DataDir dir;
  DurableServer s(WalOffOptions(dir.path()));
  WsClient c;
  ASSERT_FALSE(c.Connect(s.port(), "/v1/ingest"));
  ASSERT_FALSE(c.Send("[" + EventJson("w-1", "合肥", "万科物业", 500) + "," +
                      EventJson("w-2", "芜湖", "万科物业", 1500) + "]"));
  EXPECT_EQ(c.Read(), R"({"type":"ack","batch":1,"accepted":2,"duplicates":0,"rejected":[],"seq":2})");
  ASSERT_FALSE(c.Send(EventJson("w-1")));  // dedup still works
  EXPECT_EQ(c.Read(), R"({"type":"ack","batch":2,"accepted":0,"duplicates":1,"rejected":[],"seq":2})");

  HttpResult board = Get(s.port(), "/v1/boards/city");
  EXPECT_EQ(board.status, 200u);
  EXPECT_NE(board.body.find(R"("rank":1,"key":"芜湖","weight_g":1500)"), std::string::npos) << board.body;
  EXPECT_NE(board.body.find(R"("rank":2,"key":"合肥","weight_g":500)"), std::string::npos) << board.body;
  EXPECT_TRUE(dir.Files("wal-").empty()) << "a log segment was written with --wal off";
}

TEST(WalOff, SnapshotsStillWorkAndARestartRecoversThem) {
  DataDir dir;
  {
    DurableServer s(WalOffOptions(dir.path()));
    WsClient c;
    ASSERT_FALSE(c.Connect(s.port(), "/v1/ingest"));
    ASSERT_FALSE(c.Send(EventJson("s-1", "合肥", "万科物业", 700)));
    EXPECT_EQ(c.Read(), R"({"type":"ack","batch":1,"accepted":1,"duplicates":0,"rejected":[],"seq":1})");
    HttpResult snap = Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}});
    EXPECT_EQ(snap.status, 200u) << snap.body;
    EXPECT_NE(snap.body.find(R"("seq":1})"), std::string::npos) << snap.body;
    EXPECT_EQ(dir.Files("snapshot-").size(), 1u);
    EXPECT_TRUE(dir.Files("wal-").empty());
  }
  // The next start (log on) begins from that snapshot.
  ServerOptions on = WalOffOptions(dir.path());
  on.wal = true;
  DurableServer s(on);
  EXPECT_EQ(s.recovery.last_seq, 1u);
  EXPECT_FALSE(s.recovery.snapshot_file.empty());
  HttpResult board = Get(s.port(), "/v1/boards/city");
  EXPECT_NE(board.body.find(R"("key":"合肥","weight_g":700)"), std::string::npos) << board.body;
}

// Ingests one event on a new connection; its ack.
std::string IngestOne(uint16_t port, const std::string& id) {
  WsClient c;
  EXPECT_FALSE(c.Connect(port, "/v1/ingest"));
  EXPECT_FALSE(c.Send(EventJson(id)));
  return c.Read();
}

TEST(WalOff, ARunWithoutTheLogBetweenTwoWithItKeepsWhatItsSnapshotHolds) {
  DataDir dir;
  ServerOptions on = WalOffOptions(dir.path());
  on.wal = true;
  {
    DurableServer s(on);  // logs seq 1
    EXPECT_NE(IngestOne(s.port(), "m-1").find(R"("seq":1})"), std::string::npos);
  }
  {
    DurableServer s(WalOffOptions(dir.path()));  // recovers seq 1 from the log
    EXPECT_EQ(s.recovery.last_seq, 1u);
    EXPECT_EQ(s.recovery.events_replayed, 1u);
    EXPECT_NE(IngestOne(s.port(), "m-2").find(R"("seq":2})"), std::string::npos);
    EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}}).status, 200u);
    EXPECT_NE(IngestOne(s.port(), "m-3").find(R"("seq":3})"), std::string::npos);  // lost: not logged
  }
  {
    DurableServer s(on);  // the snapshot at 2; the old segment holds nothing after it
    EXPECT_EQ(s.recovery.last_seq, 2u);
    EXPECT_NE(IngestOne(s.port(), "m-4").find(R"("seq":3})"), std::string::npos);
  }
  DurableServer s(on);  // the snapshot at 2 and the log after it
  EXPECT_EQ(s.recovery.last_seq, 3u);
  EXPECT_EQ(s.recovery.events_replayed, 1u);
  HttpResult totals = Get(s.port(), "/v1/totals");
  EXPECT_NE(totals.body.find(R"("events":3)"), std::string::npos) << totals.body;
}

// Segments a snapshot covers are deleted when it is written — except the one
// being written to, and any a crash left behind. Those go at the next start.
TEST(Durability, ASnapshotTakesTheSegmentsItCoversAway) {
  DataDir dir;
  ServerOptions on = WalOffOptions(dir.path());
  on.wal = true;
  {
    DurableServer s(on);
    EXPECT_NE(IngestOne(s.port(), "c-1").find(R"("seq":1})"), std::string::npos);
    EXPECT_NE(IngestOne(s.port(), "c-2").find(R"("seq":2})"), std::string::npos);
    const std::vector<std::string> before = dir.Files("wal-");
    ASSERT_EQ(before, std::vector<std::string>{"wal-00000000000000000001.log"});
    EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}}).status, 200u);
    // Nothing came after the snapshot's seq: the segment was closed, a new
    // one started after it, and the covered one removed.
    EXPECT_EQ(dir.Files("wal-"), std::vector<std::string>{"wal-00000000000000000003.log"});
    EXPECT_NE(IngestOne(s.port(), "c-3").find(R"("seq":3})"), std::string::npos);
  }
  DurableServer s(on);
  EXPECT_EQ(s.recovery.snapshot_seq, 2u);
  EXPECT_EQ(s.recovery.events_replayed, 1u);  // seq 3, from the segment after the snapshot
  EXPECT_EQ(s.recovery.last_seq, 3u);
  EXPECT_NE(IngestOne(s.port(), "c-4").find(R"("seq":4})"), std::string::npos);
  EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}}).status, 200u);
  EXPECT_EQ(dir.Files("wal-"), std::vector<std::string>{"wal-00000000000000000005.log"});
}

// Waits up to `limit` for `done`.
template <typename Done>
bool WaitFor(Done done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  for (auto until = std::chrono::steady_clock::now() + limit; !done();) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A periodic snapshot is taken only when something was applied since the
// newest one, whoever wrote it; an admin snapshot is always answered, with
// the newest one when it already holds the state.
TEST(Durability, SnapshotsAreWrittenOnlyWhenTheStateChanged) {
  DataDir dir;
  ServerOptions on = WalOffOptions(dir.path());
  on.wal = true;
  on.snapshot_interval_ms = 100;
  const std::vector<std::pair<std::string, std::string>> admin = {{"Authorization", "Bearer adm"}};
  {
    DurableServer s(on);
    s.durability.StartPeriodic(s.server->engine(), s.server->engine_mu());
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    EXPECT_EQ(s.durability.snapshots_written(), 0u);  // the empty state needs none
    EXPECT_NE(IngestOne(s.port(), "p-1").find(R"("seq":1})"), std::string::npos);
    HttpResult first = Post(s.port(), "/v1/admin/snapshot", "", admin);
    EXPECT_EQ(first.status, 200u) << first.body;
    EXPECT_NE(first.body.find(R"("seq":1})"), std::string::npos) << first.body;
    // The periodic one may have come first; either way seq 1 is written once.
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    EXPECT_EQ(s.durability.snapshots_written(), 1u);
    HttpResult again = Post(s.port(), "/v1/admin/snapshot", "", admin);
    EXPECT_EQ(again.status, 200u);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(s.durability.snapshots_written(), 1u);

    EXPECT_NE(IngestOne(s.port(), "p-2").find(R"("seq":2})"), std::string::npos);
    EXPECT_TRUE(WaitFor([&] { return s.durability.snapshots_written() == 2; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    EXPECT_EQ(s.durability.snapshots_written(), 2u);
  }
  // A snapshot found at start-up counts as the newest one too.
  DurableServer s(on);
  EXPECT_EQ(s.recovery.snapshot_seq, 2u);
  s.durability.StartPeriodic(s.server->engine(), s.server->engine_mu());
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_EQ(s.durability.snapshots_written(), 0u);
  HttpResult snap = Post(s.port(), "/v1/admin/snapshot", "", admin);
  EXPECT_EQ(snap.body, R"({"snapshot":")" + s.recovery.snapshot_file + R"(","seq":2})");
  EXPECT_EQ(s.durability.snapshots_written(), 0u);
  // Unless its file is gone: then the state is written again.
  fs::remove(dir.path() + "/" + s.recovery.snapshot_file);
  snap = Post(s.port(), "/v1/admin/snapshot", "", admin);
  EXPECT_EQ(snap.status, 200u);
  EXPECT_EQ(s.durability.snapshots_written(), 1u);
  EXPECT_TRUE(fs::exists(dir.path() + "/" + s.recovery.snapshot_file));
}

// The value of series `name` (no labels) in a /metrics text; -1 if absent.
double MetricValue(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

// /metrics tells an operator what the log and the snapshots do: bytes the
// disk took (exactly the segments' size), groups, each group's write and
// sync, and what the newest snapshot covers.
TEST(Durability, MetricsShowTheLogAndTheSnapshots) {
  DataDir dir;
  ServerOptions on = WalOffOptions(dir.path());
  on.wal = true;
  DurableServer s(on);
  std::string m = Get(s.port(), "/metrics").body;
  for (const char* zero : {"bangdan_log_groups_total", "bangdan_log_bytes_total",
                           "bangdan_log_group_failures_total", "bangdan_log_group_seconds_count",
                           "bangdan_snapshots_written_total", "bangdan_snapshot_failures_total",
                           "bangdan_snapshot_seq", "bangdan_snapshot_last_written_timestamp_seconds",
                           "bangdan_snapshot_last_duration_seconds"})
    EXPECT_EQ(MetricValue(m, zero), 0) << zero << " in\n" << m;

  EXPECT_NE(IngestOne(s.port(), "m-1").find(R"("seq":1})"), std::string::npos);
  EXPECT_NE(IngestOne(s.port(), "m-2").find(R"("seq":2})"), std::string::npos);
  m = Get(s.port(), "/metrics").body;
  EXPECT_EQ(MetricValue(m, "bangdan_log_groups_total"), 2);  // one frame, then the other
  EXPECT_EQ(MetricValue(m, "bangdan_log_group_seconds_count"), 2);
  EXPECT_EQ(MetricValue(m, "bangdan_log_group_failures_total"), 0);
  const uint64_t segment = fs::file_size(dir.path() + "/wal-00000000000000000001.log");
  EXPECT_GT(segment, 0u);
  EXPECT_EQ(MetricValue(m, "bangdan_log_bytes_total"), static_cast<double>(segment));

  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}}).status, 200u);
  const double after = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  m = Get(s.port(), "/metrics").body;
  EXPECT_EQ(MetricValue(m, "bangdan_snapshots_written_total"), 1);
  EXPECT_EQ(MetricValue(m, "bangdan_snapshot_seq"), 2);
  const double at = MetricValue(m, "bangdan_snapshot_last_written_timestamp_seconds");
  EXPECT_GE(at, before - 0.001);
  EXPECT_LE(at, after + 0.001);
  EXPECT_GT(MetricValue(m, "bangdan_snapshot_last_duration_seconds"), 0);
  EXPECT_LE(MetricValue(m, "bangdan_snapshot_last_duration_seconds"), after - before + 0.001);
  EXPECT_GE(MetricValue(m, "bangdan_snapshot_lock_held_max_seconds"), 0);
  EXPECT_EQ(MetricValue(m, "bangdan_snapshot_failures_total"), 0);
}

// Restarted, the snapshot found in the data directory is the newest one;
// none is written yet. Without a log, the log's series stay at zero.
TEST(WalOff, MetricsShowTheSnapshotFoundAtStartAndNoLog) {
  DataDir dir;
  {
    DurableServer s(WalOffOptions(dir.path()));
    EXPECT_NE(IngestOne(s.port(), "z-1").find(R"("seq":1})"), std::string::npos);
    EXPECT_EQ(Post(s.port(), "/v1/admin/snapshot", "", {{"Authorization", "Bearer adm"}}).status, 200u);
  }
  DurableServer s(WalOffOptions(dir.path()));
  EXPECT_NE(IngestOne(s.port(), "z-2").find(R"("seq":2})"), std::string::npos);
  const std::string m = Get(s.port(), "/metrics").body;
  EXPECT_EQ(MetricValue(m, "bangdan_snapshot_seq"), 1);
  EXPECT_EQ(MetricValue(m, "bangdan_snapshots_written_total"), 0);
  EXPECT_EQ(MetricValue(m, "bangdan_snapshot_last_written_timestamp_seconds"), 0);
  EXPECT_EQ(MetricValue(m, "bangdan_log_groups_total"), 0);
  EXPECT_EQ(MetricValue(m, "bangdan_log_bytes_total"), 0);
  EXPECT_NE(m.find("# TYPE bangdan_log_group_seconds histogram\n"), std::string::npos);
}

// The lines start-up logs: every few seconds while replaying, then the summary.
TEST(RecoveryLines, SayWhereRecoveryIsAndHowFast) {
  RecoveryStats r;
  r.snapshot_file = "snapshot-00000000000000001000.snap";
  r.snapshot_seq = 1000;
  r.events_replayed = 3'000'000;
  r.elapsed_us = 6'000'000;
  EXPECT_EQ(RecoveryProgressLine("data", r, 5, 35),
            "recovering data: snapshot snapshot-00000000000000001000.snap loaded, 5 of 35 log "
            "segment(s) replayed, 3000000 events (500000 events/s), 6 s so far");
  r.snapshot_file.clear();
  r.events_replayed = 0;
  EXPECT_EQ(RecoveryProgressLine("data", r, 0, 2),
            "recovering data: no snapshot, 0 of 2 log segment(s) replayed, 0 events, 6 s so far");
  r.last_seq = 1000;
  r.segments_read = 2;
  EXPECT_EQ(RecoverySummary("data", r),
            "recovered data to seq 1000 in 6000 ms: no snapshot, 0 events replayed from 2 log "
            "segment(s)");
  // A log whose keys hardly repeat is replayed without sums: the line says so.
  r.events_replayed = 3'000'000;
  r.replayed_without_sums = true;
  EXPECT_EQ(RecoverySummary("data", r),
            "recovered data to seq 1000 in 6000 ms: no snapshot, 3000000 events replayed from 2 "
            "log segment(s) (500000 events/s), not summed: its keys hardly repeat");
}

}  // namespace
}  // namespace bangdan
