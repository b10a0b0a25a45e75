// Tests of the command line and config file of SPEC §9 (server/options.h).
#include "options.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bangdan {
namespace {

struct Parsed {
  Status status;
  ServerOptions options;
  Action action = Action::kRun;
};

Parsed Parse(std::vector<std::string> args) {
  std::vector<const char*> argv = {"bangdan-server"};
  for (const auto& a : args) argv.push_back(a.c_str());
  Parsed p;
  p.status = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), &p.options, &p.action);
  return p;
}

std::string WriteConfig(const std::string& text) {
  std::string path = ::testing::TempDir() + "bangdan_options_test.conf";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(Options, NoArgumentsGiveTheDefaultsOfTheSpec) {
  Parsed p = Parse({});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  const ServerOptions& o = p.options;
  EXPECT_EQ(o.listen_host, "127.0.0.1");
  EXPECT_EQ(o.listen_port, 8080);
  EXPECT_EQ(o.data_dir, "./bangdan-data");
  EXPECT_EQ(o.fsync, FsyncMode::kAlways);
  EXPECT_TRUE(o.wal);
  EXPECT_EQ(o.snapshot_interval_ms, 60'000);
  EXPECT_EQ(o.dedup_window_ms, 3'600'000);
  EXPECT_EQ(o.dedup_max, 50'000'000u);
  EXPECT_EQ(o.tz_offset_minutes, 480);
  EXPECT_EQ(o.keep_days, 7);
  EXPECT_EQ(o.max_frame_bytes, 4u << 20);
  EXPECT_EQ(o.max_batch, 10'000u);
  EXPECT_EQ(o.push_interval_ms, 100);
  EXPECT_EQ(o.send_timeout_ms, 30'000);
  EXPECT_EQ(o.max_subscriptions, 128u);
  EXPECT_EQ(o.stream_nice, 19u);
  EXPECT_EQ(o.max_csv_downloads, 2u);
  EXPECT_EQ(o.max_views, 10'000u);
  EXPECT_TRUE(o.ingest_token.empty());
  EXPECT_TRUE(o.read_token.empty());
  EXPECT_TRUE(o.admin_token.empty());
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_EQ(p.action, Action::kRun);
}

TEST(Options, EveryFlagIsApplied) {
  Parsed p = Parse({"--listen", "0.0.0.0:9000", "--data-dir", "data/x", "--threads", "3",
                    "--fsync", "none", "--wal", "off", "--snapshot-interval", "2m", "--dedup-window", "30s",
                    "--dedup-max", "1000", "--tz", "-05:30", "--keep-days", "3",
                    "--max-frame-bytes", "512KiB", "--max-batch", "50", "--push-interval", "250ms",
                    "--send-timeout", "5s", "--max-subscriptions", "9", "--max-connections", "77",
                    "--stream-nice", "0", "--max-csv-downloads", "5", "--max-views", "12",
                    "--ingest-token", "in", "--read-token", "rd", "--admin-token", "ad",
                    "--allowed-origins", "http://a.example, https://b.example", "--title", "合肥 <榜>",
                    "--log-level", "debug"});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  const ServerOptions& o = p.options;
  EXPECT_EQ(o.listen_host, "0.0.0.0");
  EXPECT_EQ(o.listen_port, 9000);
  EXPECT_EQ(o.data_dir, "data/x");
  EXPECT_EQ(o.threads, 3u);
  EXPECT_EQ(o.fsync, FsyncMode::kNone);
  EXPECT_FALSE(o.wal);
  EXPECT_EQ(o.snapshot_interval_ms, 120'000);
  EXPECT_EQ(o.dedup_window_ms, 30'000);
  EXPECT_EQ(o.dedup_max, 1000u);
  EXPECT_EQ(o.tz_offset_minutes, -330);
  EXPECT_EQ(o.keep_days, 3);
  EXPECT_EQ(o.max_frame_bytes, 512u * 1024);
  EXPECT_EQ(o.max_batch, 50u);
  EXPECT_EQ(o.push_interval_ms, 250);
  EXPECT_EQ(o.send_timeout_ms, 5'000);
  EXPECT_EQ(o.max_subscriptions, 9u);
  EXPECT_EQ(o.max_connections, 77u);
  EXPECT_EQ(o.stream_nice, 0u);
  EXPECT_EQ(o.max_csv_downloads, 5u);
  EXPECT_EQ(o.max_views, 12u);
  EXPECT_EQ(o.ingest_token, "in");
  EXPECT_EQ(o.read_token, "rd");
  EXPECT_EQ(o.admin_token, "ad");
  EXPECT_EQ(o.allowed_origins, (std::vector<std::string>{"http://a.example", "https://b.example"}));
  EXPECT_EQ(o.title, "合肥 <榜>");
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
}

TEST(Options, EqualsFormWorksLikeTwoArguments) {
  Parsed p = Parse({"--listen=127.0.0.1:0", "--title=a=b"});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.options.listen_port, 0);
  EXPECT_EQ(p.options.title, "a=b");
}

TEST(Options, DurationsTakeMillisecondsSecondsMinutesHours) {
  int64_t ms = 0;
  EXPECT_TRUE(ParseDurationMs("250ms", &ms));
  EXPECT_EQ(ms, 250);
  EXPECT_TRUE(ParseDurationMs("30s", &ms));
  EXPECT_EQ(ms, 30'000);
  EXPECT_TRUE(ParseDurationMs("2m", &ms));
  EXPECT_EQ(ms, 120'000);
  EXPECT_TRUE(ParseDurationMs("1h", &ms));
  EXPECT_EQ(ms, 3'600'000);
  for (const char* bad : {"", "30", "s", "1.5s", "-1s", "10 s", "1hour", "99999999999999999999h"})
    EXPECT_FALSE(ParseDurationMs(bad, &ms)) << bad;
}

TEST(Options, DurationFlagsStopAtAYear) {
  // The server's timers count nanoseconds in an int64: 200000d wrapped round
  // into the past, and every ingest connection was closed as it opened.
  constexpr int64_t kYearMs = int64_t{365} * 86'400'000;
  const std::pair<const char*, int64_t ServerOptions::*> kDurationFlags[] = {
      {"snapshot-interval", &ServerOptions::snapshot_interval_ms},
      {"dedup-window", &ServerOptions::dedup_window_ms},
      {"push-interval", &ServerOptions::push_interval_ms},
      {"send-timeout", &ServerOptions::send_timeout_ms}};
  for (auto [flag, field] : kDurationFlags) {
    const std::string name = std::string("--") + flag;
    for (const char* longest : {"365d", "8760h"}) {
      Parsed p = Parse({name, longest});
      ASSERT_TRUE(p.status.ok()) << name << " " << longest << ": " << p.status.message();
      EXPECT_EQ(p.options.*field, kYearMs) << name;
    }
    for (const char* too_long : {"366d", "8761h", "200000d", "106751991167d", "9223372036854775807ms"}) {
      Parsed p = Parse({name, too_long});
      ASSERT_FALSE(p.status.ok()) << name << " " << too_long;
      EXPECT_NE(p.status.message().find(name), std::string::npos) << p.status.message();
      EXPECT_NE(p.status.message().find("365d"), std::string::npos) << p.status.message();
    }
  }
}

TEST(Options, SizesThatOverflowSixtyFourBitsAreRefused) {
  uint64_t b = 0;
  EXPECT_TRUE(ParseSizeBytes("18446744073709551615", &b));
  EXPECT_EQ(b, UINT64_MAX);
  EXPECT_TRUE(ParseSizeBytes("17179869183GiB", &b));
  EXPECT_EQ(b, ((uint64_t{1} << 34) - 1) << 30);
  for (const char* bad : {"18446744073709551616", "17179869184GiB", "17592186044416MiB", "18014398509481984KiB"})
    EXPECT_FALSE(ParseSizeBytes(bad, &b)) << bad;
  Parsed p = Parse({"--max-frame-bytes", "17179869184GiB"});  // 2^64 bytes: wraps to 0
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("--max-frame-bytes"), std::string::npos) << p.status.message();
}

TEST(Options, SizesTakeBinaryUnitsOrPlainBytes) {
  uint64_t b = 0;
  EXPECT_TRUE(ParseSizeBytes("4MiB", &b));
  EXPECT_EQ(b, 4u << 20);
  EXPECT_TRUE(ParseSizeBytes("512KiB", &b));
  EXPECT_EQ(b, 512u << 10);
  EXPECT_TRUE(ParseSizeBytes("1GiB", &b));
  EXPECT_EQ(b, 1u << 30);
  EXPECT_TRUE(ParseSizeBytes("4096", &b));
  EXPECT_EQ(b, 4096u);
  for (const char* bad : {"", "MiB", "4MB", "4 MiB", "-1", "4.5MiB"}) EXPECT_FALSE(ParseSizeBytes(bad, &b)) << bad;
}

TEST(Options, ListenAcceptsBracketedIpv6AndPortZero) {
  std::string host;
  uint16_t port = 1;
  EXPECT_TRUE(ParseListen("[::1]:0", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  for (const char* bad : {"8080", ":8080", "::1:80", "h:65536", "h:", "h:x"})
    EXPECT_FALSE(ParseListen(bad, &host, &port)) << bad;
}

TEST(Options, TimeZoneIsAnOffset) {
  int32_t m = 0;
  EXPECT_TRUE(ParseTzOffset("+08:00", &m));
  EXPECT_EQ(m, 480);
  EXPECT_TRUE(ParseTzOffset("Z", &m));
  EXPECT_EQ(m, 0);
  // The load generator's --tz takes these same values (tests/loadgen/options_test.cpp).
  for (const char* good : {"-05:30", "+14:59", "-14:00", "-00:00", "UTC"}) EXPECT_TRUE(ParseTzOffset(good, &m)) << good;
  for (const char* bad : {"8", "+8:00", "+08:60", "+15:00", "Asia/Shanghai", "+ab:cd", "+25:00", "+0a:00", "z", ""})
    EXPECT_FALSE(ParseTzOffset(bad, &m)) << bad;
}

TEST(Options, TitleIsAShortLineOfUtf8) {
  Parsed p = Parse({"--title", "bad\xff\xfe"});
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("--title"), std::string::npos) << p.status.message();
  EXPECT_NE(p.status.message().find("UTF-8"), std::string::npos) << p.status.message();
  EXPECT_EQ(p.status.message().find("\xff"), std::string::npos);  // the bad bytes are not echoed
  ServerOptions o;
  Status s = ApplyConfigText("title = \xe5\x90\n", "my.conf", &o);  // a character cut short
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("my.conf:1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--title"), std::string::npos) << s.message();

  p = Parse({"--title", std::string(201, 'x')});
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("--title"), std::string::npos) << p.status.message();
  EXPECT_NE(p.status.message().find("200"), std::string::npos) << p.status.message();
  std::string longest;
  for (int i = 0; i < 66; ++i) longest += "榜";  // 198 bytes
  p = Parse({"--title", longest});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.options.title, longest);
}

TEST(Options, BadValuesNameTheFlag) {
  for (auto [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"listen", "nowhere"}, {"threads", "0"}, {"fsync", "sometimes"}, {"wal", "maybe"},
           {"snapshot-interval", "60"}, {"dedup-window", "1x"}, {"dedup-max", "-3"},
           {"tz", "CET"}, {"keep-days", "many"}, {"max-frame-bytes", "4MB"},
           {"max-batch", "0"}, {"push-interval", "fast"}, {"send-timeout", ""},
           {"max-subscriptions", "0"}, {"max-connections", "x"}, {"log-level", "loud"},
           {"allowed-origins", "a,,b"}, {"stream-nice", "20"}, {"stream-nice", "-1"},
           {"max-csv-downloads", "0"}, {"max-csv-downloads", "65"},
           {"max-views", "0"}, {"max-views", "10000001"}}) {
    Parsed p = Parse({"--" + flag, value});
    ASSERT_FALSE(p.status.ok()) << flag;
    EXPECT_NE(p.status.message().find("--" + flag), std::string::npos) << p.status.message();
  }
}

TEST(Options, UnknownFlagsAndMissingValuesAreNamed) {
  Parsed p = Parse({"--colour", "red"});
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("--colour"), std::string::npos);
  p = Parse({"--threads"});
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("--threads"), std::string::npos);
  p = Parse({"serve"});
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("serve"), std::string::npos);
}

TEST(Options, WalIsOnOrOffAndOffSaysItIsNotDurable) {
  Parsed p = Parse({"--wal", "off"});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_FALSE(p.options.wal);
  p = Parse({"--wal=on"});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_TRUE(p.options.wal);
  for (const char* bad : {"", "OFF", "false", "0", "none"}) {
    p = Parse({"--wal", bad});
    ASSERT_FALSE(p.status.ok()) << bad;
    EXPECT_NE(p.status.message().find("--wal"), std::string::npos) << p.status.message();
    EXPECT_NE(p.status.message().find("on or off"), std::string::npos) << p.status.message();
  }
  ServerOptions o;
  ASSERT_TRUE(ApplyConfigText("wal = off\n", "my.conf", &o).ok());
  EXPECT_FALSE(o.wal);
  Status s = ApplyConfigText("wal = no\n", "my.conf", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("my.conf:1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--wal"), std::string::npos) << s.message();
  // --help warns that it is not durable.
  std::string help = HelpText();
  size_t at = help.find("--wal on|off");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(help.find("not durable", at), std::string::npos);
}

TEST(Options, HelpAndVersionAreActions) {
  EXPECT_EQ(Parse({"--help"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--threads", "2", "--version"}).action, Action::kVersion);
  std::string help = HelpText();
  for (const char* flag : {"--listen", "--data-dir", "--threads", "--fsync", "--wal", "--snapshot-interval",
                           "--dedup-window", "--dedup-max", "--tz", "--keep-days", "--max-frame-bytes",
                           "--max-batch", "--push-interval", "--send-timeout", "--max-subscriptions",
                           "--max-connections", "--stream-nice", "--max-csv-downloads", "--max-views", "--ingest-token", "--read-token",
                           "--admin-token", "--allowed-origins", "--title", "--log-level", "--config", "--help", "--version"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
}

TEST(Options, ConfigFileSetsValuesAndTheCommandLineWins) {
  std::string path = WriteConfig(
      "# a comment line\n"
      "   # an indented comment\n"
      "\n"
      "threads = 4\n"
      "title = 第 1 # 榜单  \n"
      "max-batch=20\r\n"
      "listen = 127.0.0.1:9999\n");
  Parsed p = Parse({"--listen", "127.0.0.1:1234", "--config", path});
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.options.threads, 4u);
  EXPECT_EQ(p.options.title, "第 1 # 榜单");  // '#' inside a value belongs to it
  EXPECT_EQ(p.options.max_batch, 20u);
  EXPECT_EQ(p.options.listen_port, 1234);  // the command line wins, wherever --config is
  std::remove(path.c_str());
}

TEST(Options, ConfigFileErrorsNameTheFileLineAndFlag) {
  ServerOptions o;
  Status s = ApplyConfigText("threads = 2\nfsync = maybe\n", "my.conf", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("my.conf:2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--fsync"), std::string::npos) << s.message();
  s = ApplyConfigText("just words\n", "my.conf", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("my.conf:1"), std::string::npos);
  s = ApplyConfigText("colour = red\n", "my.conf", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--colour"), std::string::npos);
  s = ApplyConfigText("config = other.conf\n", "my.conf", &o);
  EXPECT_FALSE(s.ok());
}

TEST(Options, ConfigFileMayStartWithAByteOrderMark) {
  ServerOptions o;
  Status s = ApplyConfigText("\xEF\xBB\xBFthreads = 3\nlog-level = WARN\n", "bom.conf", &o);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(o.threads, 3u);
  EXPECT_EQ(o.log_level, LogLevel::kWarn);  // level words in either case
}

TEST(Options, MissingConfigFileIsNamed) {
  Parsed p = Parse({"--config", "/nonexistent/bangdan.conf"});
  ASSERT_FALSE(p.status.ok());
  EXPECT_NE(p.status.message().find("/nonexistent/bangdan.conf"), std::string::npos);
}

TEST(Options, ATokenGivenEmptyIsNoted) {
  ServerOptions o;
  ASSERT_TRUE(ApplyConfigText("ingest-token =\nread-token = r\nadmin-token =\n", "c.conf", &o).ok());
  EXPECT_EQ(o.empty_tokens, (std::vector<std::string>{"ingest-token", "admin-token"}));
  EXPECT_TRUE(o.ingest_token.empty());
  ASSERT_TRUE(ApplyOption("ingest-token", "t", &o).ok());  // set again: the last counts
  EXPECT_EQ(o.empty_tokens, (std::vector<std::string>{"admin-token"}));
  EXPECT_TRUE(ServerOptions().empty_tokens.empty());       // not given: nothing to say
}

}  // namespace
}  // namespace bangdan
