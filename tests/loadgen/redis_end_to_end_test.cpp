// The real load generator against a real Redis (--target redis), when
// redis-server is installed: every frame whose replies are all in is
// answered, so that a clean run passes.
#include <thread>

#include "end_to_end.h"

namespace {

using namespace bangdan::loadgen::e2e;

// A port no one listens on now: the kernel's pick for a socket bound to port 0.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// redis-server on `port` with no persistence, until destroyed.
class RedisProcess {
 public:
  explicit RedisProcess(int port) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string p = std::to_string(port);
      execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~RedisProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

// Whether something accepts connections on `port` within `seconds`.
bool Listening(int port, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(RedisEndToEndTest, ARedisRunWithEveryReplyInPasses) {
  if (std::system("command -v redis-server > /dev/null 2>&1") != 0) GTEST_SKIP() << "no redis-server";
  const int port = FreePort();
  ASSERT_NE(port, 0);
  RedisProcess redis(port);
  ASSERT_TRUE(Listening(port, 10)) << "redis-server did not listen on " << port;
  const fs::path report = fs::temp_directory_path() / ("bangdan-loadgen-redis-" + std::to_string(getpid()) + ".json");
  std::string out;
  int rc = RunLoadgen({"--target", "redis", "--url", "ws://127.0.0.1:" + std::to_string(port), "--events", "2000",
                       "--batch", "10", "--connections", "2", "--no-progress", "--report", report.string()},
                      &out);
  const std::string json = ReadFile(report);
  fs::remove(report);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(JsonNumber(json, "frames_sent"), 200u) << json;
  EXPECT_EQ(JsonNumber(json, "acks"), 200u) << json;
  EXPECT_EQ(JsonNumber(json, "unanswered"), 0u) << json;
  EXPECT_NE(json.find("\"ok\":true"), std::string::npos) << json;
}

}  // namespace
