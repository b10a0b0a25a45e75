// What the end-to-end tests share: the real server started on port 0 in a
// fresh data directory (its "listening on HOST:PORT" line gives the port),
// the real load generator run with its output captured, and readers of the
// report it writes.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bangdan::loadgen::e2e {

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
inline int RunLoadgen(const std::vector<std::string>& args, std::string* out, const std::string& wrapper = "") {
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
inline uint64_t ServerEvents(int port) {
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

// Stops the server `stall_ms` once events have flowed for a while (the
// generator builds its pool first), then sends it `then`: SIGCONT to go on,
// SIGKILL to die with the frames in flight unanswered.
inline std::thread StallServerMidRun(pid_t pid, int port, int stall_ms, int then) {
  return std::thread([=] {
    for (int i = 0; i < 200 && ServerEvents(port) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(pid, SIGSTOP);
    std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms));
    kill(pid, then);
  });
}

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline uint64_t JsonNumber(const std::string& json, const std::string& field) {
  size_t at = json.find("\"" + field + "\":");
  if (at == std::string::npos) return UINT64_MAX;
  return std::strtoull(json.c_str() + at + field.size() + 3, nullptr, 10);
}

// A JSON number field as a double, or NaN.
inline double JsonDouble(const std::string& json, const std::string& field) {
  size_t at = json.find("\"" + field + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at + field.size() + 3, nullptr);
}

// The object `"field":{…}` of a flat JSON report (no nesting inside it).
inline std::string JsonObject(const std::string& json, const std::string& field) {
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

}  // namespace bangdan::loadgen::e2e
