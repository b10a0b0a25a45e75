// The progress line of a real run, phase by phase: it must not go quiet
// while dashboards subscribe, while the acks of a stopped run are awaited,
// or while --verify compares the boards. A short --progress-interval makes
// every phase of a small run last several lines.
#include "end_to_end.h"

namespace {

using namespace bangdan::loadgen::e2e;

// Where `re` first matches in `text`, npos if nowhere.
size_t Find(const std::string& text, const std::string& re) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(re)) ? static_cast<size_t>(m.position(0)) : std::string::npos;
}

TEST_F(EndToEndTest, TheProgressLineFollowsTheDashboardsAndVerify) {
  std::string out;
  int rc = RunLoadgen({"--url", url_, "--events", "20000", "--batch", "50", "--connections", "3", "--cities", "6",
                       "--firms", "15", "--teams", "40", "--users", "500", "--products", "12", "--subscribers", "4",
                       "--views", "4", "--verify", "--progress", "--progress-interval", "1ms"},
                      &out);
  ASSERT_EQ(rc, 0) << out;
  // Dashboards first, then the events, then the last pushes, then verify.
  const size_t dashboards = Find(out, R"(\[ *[0-9.]+s\] dashboards: [0-4]/4 subscribed, 0 failed\n)");
  const size_t sending = Find(out, R"(\[ *[0-9.]+s\] +[0-9]+ events/s accepted, [0-9]+ acks)");
  const size_t last_pushes = Find(out, R"(\[ *[0-9.]+s\] dashboards: waiting for the last pushes, pushes [1-9])");
  ASSERT_NE(dashboards, std::string::npos) << out;
  ASSERT_NE(sending, std::string::npos) << out;
  ASSERT_NE(last_pushes, std::string::npos) << out;
  EXPECT_LT(dashboards, sending) << out;
  EXPECT_LT(sending, last_pushes) << out;

  // The verify lines count up to the boards the report says were compared.
  std::smatch report;
  ASSERT_TRUE(std::regex_search(out, report, std::regex(R"(verify          OK: ([0-9]+) boards)"))) << out;
  const uint64_t boards = std::stoull(report[1]);
  EXPECT_GT(boards, 100u) << out;
  const std::regex verify_line(R"(\[ *[0-9.]+s\] verify: ([0-9]+)/([0-9]+) boards compared, 0 differences\n)");
  uint64_t lines = 0, last = 0;
  for (std::sregex_iterator it(out.begin(), out.end(), verify_line), end; it != end; ++it, ++lines) {
    EXPECT_GT(static_cast<size_t>(it->position(0)), last_pushes) << out;
    EXPECT_EQ(std::stoull((*it)[2]), boards) << it->str();
    const uint64_t compared = std::stoull((*it)[1]);
    EXPECT_GE(compared, last) << it->str();
    EXPECT_LE(compared, boards) << it->str();
    last = compared;
  }
  EXPECT_GT(lines, 0u) << out;
}

// The server stops while frames are in flight and the run reaches its end:
// until the acks come, the line counts the frames still awaited.
TEST_F(EndToEndTest, AfterSendingStopsTheProgressLineCountsTheFramesAwaited) {
  std::string out;
  std::thread stall = StallServerMidRun(server_.pid(), server_.port(), 1500, SIGCONT);
  int rc = RunLoadgen({"--url", url_, "--rate", "1000", "--batch", "10", "--connections", "2", "--duration", "1s",
                       "--progress-interval", "50ms"},
                      &out);
  stall.join();
  EXPECT_EQ(rc, 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(\[ *[0-9.]+s\] sending stopped: ([0-9]+) frames awaiting )"
                                                   R"(an answer, [0-9]+ acks, errors 0\n)")))
      << out;
  // At most both connections' windows (8 frames each), full while the server stood still.
  EXPECT_GE(std::stoull(m[1]), 1u) << out;
  EXPECT_LE(std::stoull(m[1]), 16u) << out;
  EXPECT_LT(Find(out, "events/s accepted"), static_cast<size_t>(m.position(0))) << out;
  EXPECT_NE(out.find("frames never answered 0"), std::string::npos) << out;
}

}  // namespace
