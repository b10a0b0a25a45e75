// The real server and the real load generator, end to end: a short run with
// refunds, retried sends, several connections and a few dashboards, then
// --verify compares every board with the model. The server runs on port 0
// in a fresh data directory; its "listening on HOST:PORT" line gives the port.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

class ServerProcess {
 public:
  // Starts the server; returns "" on success, else what went wrong.
  std::string Start(const fs::path& data_dir, const std::vector<std::string>& extra_args = {}) {
    int err_pipe[2];
    if (pipe(err_pipe) != 0) return "pipe failed";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err_pipe[1], STDERR_FILENO);
      close(err_pipe[0]);
      close(err_pipe[1]);
      std::vector<std::string> args = {BANGDAN_SERVER_BIN, "--listen", "127.0.0.1:0", "--data-dir",
                                       data_dir.string()};
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(BANGDAN_SERVER_BIN, argv.data());
      _exit(127);
    }
    close(err_pipe[1]);
    stderr_fd_ = err_pipe[0];
    // Read the log until the listening line (the server writes it once it accepts).
    std::string log;
    std::regex listening("listening on ([0-9.]+):([0-9]+)");
    char buf[4096];
    while (true) {
      ssize_t n = read(stderr_fd_, buf, sizeof buf);
      if (n <= 0) return "server exited before listening; its log:\n" + log;
      log.append(buf, static_cast<size_t>(n));
      std::smatch m;
      if (std::regex_search(log, m, listening)) {
        port_ = std::stoi(m[2]);
        break;
      }
    }
    // Keep draining its log so that it never blocks on a full pipe.
    drain_ = fork();
    if (drain_ == 0) {
      while (read(stderr_fd_, buf, sizeof buf) > 0) {
      }
      _exit(0);
    }
    return "";
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
    if (drain_ > 0) waitpid(drain_, nullptr, 0);
    if (stderr_fd_ >= 0) close(stderr_fd_);
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1, drain_ = -1;
  int stderr_fd_ = -1;
  int port_ = 0;
};

// Runs the loadgen with `args`; returns its exit status, its output in *out.
// `wrapper` goes before it on the shell's command line (e.g. `timeout`).
int RunLoadgen(const std::vector<std::string>& args, std::string* out, const std::string& wrapper = "") {
  std::string cmd = wrapper + BANGDAN_LOADGEN_BIN;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The server's accepted-event count from GET /v1/totals, 0 if it does not answer.
uint64_t ServerEvents(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  const std::string request = "GET /v1/totals HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t at = response.find("\"events\":");
  return at == std::string::npos ? 0 : std::strtoull(response.c_str() + at + 9, nullptr, 10);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t JsonNumber(const std::string& json, const std::string& field) {
  size_t at = json.find("\"" + field + "\":");
  if (at == std::string::npos) return UINT64_MAX;
  return std::strtoull(json.c_str() + at + field.size() + 3, nullptr, 10);
}

// The object `"field":{…}` of a flat JSON report (no nesting inside it).
std::string JsonObject(const std::string& json, const std::string& field) {
  size_t at = json.find("\"" + field + "\":{");
  if (at == std::string::npos) return "";
  return json.substr(at, json.find('}', at) - at + 1);
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bangdan-loadgen-e2e-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string error = server_.Start(dir_ / "data", ServerArgs());
    ASSERT_EQ(error, "");
    url_ = "ws://127.0.0.1:" + std::to_string(server_.port());
  }
  virtual std::vector<std::string> ServerArgs() const { return {}; }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  ServerProcess server_;
  std::string url_;
};

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
  EXPECT_NE(json.find("\"rate_reached\":1.0"), std::string::npos) << json;
  EXPECT_LT(took, 6.0) << out;  // the pool's build included
}

// Frames the server never answers fail the run, and say how many: the
// server stops with frames in flight, then dies.
TEST_F(EndToEndTest, FramesNeverAnsweredFailTheRun) {
  std::string out;
  fs::path report = dir_ / "report.json";
  std::thread stop([pid = server_.pid(), port = server_.port()] {
    // Once events flow (the generator builds its pool first), for a while.
    for (int i = 0; i < 200 && ServerEvents(port) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(pid, SIGSTOP);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    kill(pid, SIGKILL);
  });
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
// awaited and the report is written.
TEST_F(EndToEndTest, AnInterruptedRunStillReports) {
  std::string out;
  fs::path report = dir_ / "report.json";
  int rc = RunLoadgen({"--url", url_, "--rate", "1000", "--batch", "10", "--duration", "60s", "--no-progress",
                       "--report", report.string()},
                      &out, "timeout --preserve-status -s INT 3 ");
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
