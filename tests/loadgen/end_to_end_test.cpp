// The real server and the real load generator, end to end: a short run with
// refunds, retried sends, several connections and a few dashboards, then
// --verify compares every board with the model. The server runs on port 0
// in a fresh data directory; its "listening on HOST:PORT" line gives the port.
#include <fcntl.h>
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
  std::string Start(const fs::path& data_dir) {
    int err_pipe[2];
    if (pipe(err_pipe) != 0) return "pipe failed";
    pid_ = fork();
    if (pid_ == 0) {
      dup2(err_pipe[1], STDERR_FILENO);
      close(err_pipe[0]);
      close(err_pipe[1]);
      std::string dir = data_dir.string();
      execl(BANGDAN_SERVER_BIN, BANGDAN_SERVER_BIN, "--listen", "127.0.0.1:0", "--data-dir", dir.c_str(),
            static_cast<char*>(nullptr));
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
int RunLoadgen(const std::vector<std::string>& args, std::string* out) {
  std::string cmd = BANGDAN_LOADGEN_BIN;
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
    std::string error = server_.Start(dir_ / "data");
    ASSERT_EQ(error, "");
    url_ = "ws://127.0.0.1:" + std::to_string(server_.port());
  }
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

}  // namespace
