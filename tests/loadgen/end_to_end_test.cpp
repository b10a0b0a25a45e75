// The real server and the real load generator, end to end: a short run with
// refunds, retried sends, several connections and a few dashboards, then
// --verify compares every board with the model; paced runs, a server that
// stalls or dies, an interrupted run, refused dashboards.
#include <thread>

#include "end_to_end.h"

namespace {

using namespace bangdan::loadgen::e2e;

TEST_F(EndToEndTest, VerifiedRunWithRefundsRetriesAndDashboardsPasses) {
  std::string out;
  fs::path report = dir_ / "report.json";
  int rc = RunLoadgen({"--url", url_, "--events", "20000", "--batch", "50", "--connections", "3", "--window", "4",
                       "--cities", "6", "--firms", "15", "--teams", "40", "--users", "500", "--products", "12",
                       "--refunds", "0.05", "--duplicates", "0.05", "--subscribers", "8", "--views", "8", "--verify",
                       "--no-progress", "--report", report.string()},
                      &out);
  EXPECT_EQ(rc, 0) << out;
  std::string json = ReadFile(report);
  ASSERT_FALSE(json.empty()) << out;
  EXPECT_NE(json.find("\"ok\":true"), std::string::npos) << json;
  EXPECT_EQ(JsonNumber(json, "events_sent"), 20000u) << json;
  // Every send is either accepted or a duplicate by design; none is rejected.
  EXPECT_EQ(JsonNumber(json, "accepted") + JsonNumber(json, "duplicates"), 20000u) << json;
  EXPECT_GT(JsonNumber(json, "duplicates"), 0u) << json;
  EXPECT_EQ(JsonNumber(json, "rejected"), 0u) << json;
  EXPECT_EQ(JsonNumber(json, "differences"), 0u) << json;
  EXPECT_GT(JsonNumber(json, "boards"), 100u) << json;
  EXPECT_EQ(JsonNumber(json, "ready"), 8u) << json;
  // --no-progress silences every phase, the dashboards' and verify's too.
  EXPECT_EQ(out.find("s] "), std::string::npos) << out;
}

TEST_F(EndToEndTest, PacedSingleEventFramesAreEachAckedAndVerified) {
  std::string out;
  fs::path report = dir_ / "report.json";
  int rc = RunLoadgen({"--url", url_, "--events", "2000", "--batch", "1", "--connections", "4", "--rate", "4000",
                       "--users", "1000", "--verify", "--verify-scopes", "3", "--no-progress", "--report",
                       report.string()},
                      &out);
  EXPECT_EQ(rc, 0) << out;
  std::string json = ReadFile(report);
  EXPECT_EQ(JsonNumber(json, "accepted"), 2000u) << json;
  EXPECT_EQ(JsonNumber(json, "acks"), 2000u) << json;
  EXPECT_NE(json.find("\"ok\":true"), std::string::npos) << json;
}

// Coordinated omission: the server stops for 600 ms in the middle of a paced
// run. A producer that does not wait would have had every frame due in
// those 600 ms acked late, by up to 600 ms; the connections, their one-frame
// windows full, sent just four of them (and all the rest late). Latency from
// the due time shows the stall in the p99; from the send, it hides it.
TEST_F(EndToEndTest, PacedLatencyCountsFromWhenEachFrameWasDue) {
  std::string out;
  fs::path report = dir_ / "report.json";
  std::thread stall([pid = server_.pid()] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    kill(pid, SIGSTOP);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    kill(pid, SIGCONT);
  });
  int rc = RunLoadgen({"--url", url_, "--events", "8000", "--batch", "1", "--connections", "4", "--window", "1",
                       "--rate", "2000", "--no-progress", "--report", report.string()},
                      &out);
  stall.join();
  EXPECT_EQ(rc, 0) << out;
  const std::string json = ReadFile(report);
  EXPECT_EQ(JsonNumber(json, "accepted"), 8000u) << json;
  EXPECT_NE(json.find("\"latency_from\":\"due\""), std::string::npos) << json;
  const std::string due = JsonObject(json, "ack_latency"), send = JsonObject(json, "ack_latency_from_send");
  EXPECT_EQ(JsonNumber(due, "count"), 8000u) << json;
  EXPECT_EQ(JsonNumber(send, "count"), 8000u) << json;
  // ~1,200 of the 8,000 frames were due during the stall: the top 1 % waited
  // 480–600 ms for it. From the send only the four stuck in the windows did.
  EXPECT_GE(JsonNumber(due, "p99_ms"), 400u) << json;
  EXPECT_LT(JsonNumber(send, "p99_ms") * 2, JsonNumber(due, "p99_ms")) << json;
  EXPECT_GE(JsonNumber(send, "max_ms"), 400u) << json;
  EXPECT_NE(out.find("  from the send p50 "), std::string::npos) << out;
  // Those frames were late because the windows were full, not the generator.
  const std::string late = JsonObject(json, "late_frames");
  EXPECT_GE(JsonNumber(late, "held"), 600u) << json;
  EXPECT_GT(JsonNumber(late, "held"), 2 * JsonNumber(late, "generator")) << json;
}

TEST_F(EndToEndTest, VerifyRefusesAServerThatIsNotEmpty) {
  std::string out;
  ASSERT_EQ(RunLoadgen({"--url", url_, "--events", "100", "--no-progress"}, &out), 0) << out;
  out.clear();
  int rc = RunLoadgen({"--url", url_, "--events", "100", "--verify", "--no-progress"}, &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("empty server"), std::string::npos) << out;
}

// A paced run ends at its --duration, however far apart its frames are:
// 10 frames a second over 2 s are 20 frames, their turns spread over the
// connections, and the run is over when the last one is acked — not a whole
// per-connection interval (0.4 s) later, nor with a burst at the start.
TEST_F(EndToEndTest, APacedRunEndsAtItsDuration) {
  std::string out;
  fs::path report = dir_ / "report.json";
  const auto start = std::chrono::steady_clock::now();
  int rc = RunLoadgen({"--url", url_, "--rate", "100", "--batch", "10", "--connections", "4", "--duration", "2s",
                       "--no-progress", "--report", report.string()},
                      &out);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(rc, 0) << out;
  const std::string json = ReadFile(report);
  EXPECT_GE(JsonNumber(json, "events_sent"), 190u) << json;  // a connection may open a turn late
  EXPECT_LE(JsonNumber(json, "events_sent"), 200u) << json;
  EXPECT_LT(JsonNumber(json, "elapsed_s"), 2u) << json;
  // Every frame that was due was sent: 1.0 on a quiet machine; a turn a
  // loaded machine opens late may fall after the end and be left out.
  EXPECT_GE(JsonDouble(json, "rate_reached"), 0.95) << json;
  EXPECT_LE(JsonDouble(json, "rate_reached"), 1.0) << json;
  EXPECT_LT(took, 6.0) << out;  // the pool's build included
}

// Frames the server never answers fail the run, and say how many: the
// server stops with frames in flight, then dies.
TEST_F(EndToEndTest, FramesNeverAnsweredFailTheRun) {
  std::string out;
  fs::path report = dir_ / "report.json";
  std::thread stop = StallServerMidRun(server_.pid(), server_.port(), 500, SIGKILL);
  int rc = RunLoadgen({"--url", url_, "--rate", "2000", "--batch", "10", "--connections", "2", "--duration", "4s",
                       "--no-progress", "--report", report.string()},
                      &out);
  stop.join();
  EXPECT_EQ(rc, 1) << out;
  const std::string json = ReadFile(report);
  EXPECT_GT(JsonNumber(json, "unanswered"), 0u) << json;
  EXPECT_NE(json.find("\"ok\":false"), std::string::npos) << json;
  EXPECT_NE(out.find("were never answered"), std::string::npos) << out;
}

// Ctrl-C ends the run as its deadline would: the acks in flight are
// awaited and the report is written. One Ctrl-C: without --foreground,
// timeout signals the generator and then its whole process group, and a
// second Ctrl-C kills (exit 130) when the first was taken already.
TEST_F(EndToEndTest, AnInterruptedRunStillReports) {
  std::string out;
  fs::path report = dir_ / "report.json";
  int rc = RunLoadgen({"--url", url_, "--rate", "1000", "--batch", "10", "--duration", "60s", "--no-progress",
                       "--report", report.string()},
                      &out, "timeout --foreground --preserve-status -s INT 3 ");
  EXPECT_EQ(rc, 0) << out;
  const std::string json = ReadFile(report);
  EXPECT_NE(json.find("\"ok\":true"), std::string::npos) << json;
  EXPECT_GT(JsonNumber(json, "accepted"), 0u) << json;
  EXPECT_EQ(JsonNumber(json, "accepted"), JsonNumber(json, "events_sent")) << json;
  EXPECT_NE(out.find("interrupted after"), std::string::npos) << out;
}

class EndToEndWithTokensTest : public EndToEndTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--read-token", "R1"}; }
};

// Dashboards the server refuses fail the run, say why, and the run does
// not wait the time it gives slow ones to join.
TEST_F(EndToEndWithTokensTest, RefusedDashboardsFailTheRunAndNameTheFlag) {
  std::string out;
  fs::path report = dir_ / "report.json";
  const auto start = std::chrono::steady_clock::now();
  int rc = RunLoadgen({"--url", url_, "--rate", "1000", "--batch", "10", "--duration", "1s", "--subscribers", "3",
                       "--no-progress", "--report", report.string()},
                      &out);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(rc, 1) << out;
  EXPECT_LT(took, 8.0) << out;
  const std::string json = ReadFile(report);
  EXPECT_EQ(JsonNumber(JsonObject(json, "subscribers"), "errors"), 3u) << json;
  EXPECT_NE(out.find("HTTP 401"), std::string::npos) << out;
  EXPECT_NE(out.find("--read-token"), std::string::npos) << out;
  EXPECT_NE(out.find("push latency    none (0 samples)"), std::string::npos) << out;

  out.clear();
  rc = RunLoadgen({"--url", url_, "--rate", "1000", "--batch", "10", "--duration", "1s", "--subscribers", "3",
                   "--read-token", "R1", "--no-progress"},
                  &out);
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
