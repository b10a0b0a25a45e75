#include "options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "verifier.h"  // DayAt, which reads --tz

namespace bangdan::loadgen {
namespace {

Status Parse(std::vector<const char*> args, Options* o) {
  args.insert(args.begin(), "bangdan-loadgen");
  return ParseOptions(static_cast<int>(args.size()), args.data(), o);
}

// The message of parsing `args` into fresh Options; "" if they parse.
std::string ErrorOf(std::vector<const char*> args) {
  Options o;
  Status s = Parse(std::move(args), &o);
  return s.ok() ? "" : s.message();
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(OptionsTest, DefaultsNeedNoFlags) {
  Options o;
  ASSERT_TRUE(Parse({}, &o).ok());
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8080);
  EXPECT_EQ(o.batch, 100u);
  EXPECT_DOUBLE_EQ(o.zipf, 1.0);
  EXPECT_DOUBLE_EQ(o.duration_s, 10);
}

TEST(OptionsTest, ReadsEveryKindOfValue) {
  Options o;
  Status s = Parse({"--url", "ws://10.0.0.2:9000", "--cities", "7", "--zipf=0.8", "--duration", "250ms",
                    "--refunds", "0.05", "--duplicates", "0.01", "--verify", "--subscribers", "3",
                    "--report", "out.json", "--target", "redis", "--redis-variant", "lean"},
                   &o);
  // --target redis refuses --verify and --subscribers: that rule is tested below.
  EXPECT_FALSE(s.ok());
  o = Options();
  s = Parse({"--url", "ws://10.0.0.2:9000", "--cities", "7", "--zipf=0.8", "--duration", "250ms", "--refunds",
             "0.05", "--duplicates", "0.01", "--verify", "--subscribers", "3", "--report", "out.json"},
            &o);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(o.host, "10.0.0.2");
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.cities, 7u);
  EXPECT_DOUBLE_EQ(o.zipf, 0.8);
  EXPECT_DOUBLE_EQ(o.duration_s, 0.25);
  EXPECT_DOUBLE_EQ(o.refunds, 0.05);
  EXPECT_TRUE(o.verify);
  EXPECT_EQ(o.subscribers, 3u);
  EXPECT_EQ(o.report, "out.json");
}

TEST(OptionsTest, UnknownFlagIsNamed) {
  Options o;
  Status s = Parse({"--colour", "red"}, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--colour"), std::string::npos);
}

TEST(OptionsTest, BadNumberNamesTheFlagAndTheValue) {
  Options o;
  Status s = Parse({"--connections", "4x"}, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--connections"), std::string::npos);
  EXPECT_NE(s.message().find("4x"), std::string::npos);
}

TEST(OptionsTest, MissingValueIsAnError) {
  Options o;
  Status s = Parse({"--rate"}, &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--rate"), std::string::npos);
}

TEST(OptionsTest, ZeroBatchIsRefused) {
  Options o;
  EXPECT_FALSE(Parse({"--batch", "0"}, &o).ok());
}

TEST(OptionsTest, EventsAloneRunUntilAllAreSent) {
  Options o;
  ASSERT_TRUE(Parse({"--events", "5000"}, &o).ok());
  EXPECT_EQ(o.events, 5000u);
  EXPECT_DOUBLE_EQ(o.duration_s, 0);
}

TEST(OptionsTest, NoEndConditionIsRefused) {
  Options o;
  EXPECT_FALSE(Parse({"--duration", "0"}, &o).ok());
}

TEST(OptionsTest, SharesAboveHalfAreRefused) {
  Options o;
  EXPECT_FALSE(Parse({"--refunds", "0.9"}, &o).ok());
  o = Options();
  EXPECT_FALSE(Parse({"--refunds", "0.3", "--duplicates", "0.3"}, &o).ok());
}

TEST(OptionsTest, IdPrefixMustBeSafeToEmbed) {
  Options o;
  EXPECT_FALSE(Parse({"--id-prefix", "a\"b"}, &o).ok());
  o = Options();
  EXPECT_TRUE(Parse({"--id-prefix", "run-7.a_b"}, &o).ok());
}

TEST(OptionsTest, UrlForms) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseUrl("ws://example.org:81/", &host, &port).ok());
  EXPECT_EQ(host, "example.org");
  EXPECT_EQ(port, 81);
  ASSERT_TRUE(ParseUrl("localhost:8080", &host, &port).ok());
  EXPECT_EQ(host, "localhost");
  EXPECT_FALSE(ParseUrl("wss://x:1", &host, &port).ok());
  EXPECT_FALSE(ParseUrl("ws://x:70000", &host, &port).ok());
}

TEST(OptionsTest, Durations) {
  double s = 0;
  ASSERT_TRUE(ParseDurationSeconds("2m", &s).ok());
  EXPECT_DOUBLE_EQ(s, 120);
  ASSERT_TRUE(ParseDurationSeconds("1.5", &s).ok());
  EXPECT_DOUBLE_EQ(s, 1.5);
  EXPECT_FALSE(ParseDurationSeconds("soon", &s).ok());
  EXPECT_FALSE(ParseDurationSeconds("-3s", &s).ok());
}

TEST(OptionsTest, HelpListsTheFlags) {
  std::string usage = Usage();
  for (const char* flag : {"--url", "--rate", "--batch", "--connections", "--subscribers", "--verify", "--report",
                           "--duplicates", "--refunds", "--zipf", "--seed", "--threads"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

TEST(OptionsTest, TzTakesExactlyWhatTheServerTakes) {
  // The same cases as the server's TimeZoneIsAnOffset, and more.
  for (const char* good : {"+08:00", "-05:30", "+14:59", "-14:00", "+00:00", "-00:00", "Z", "UTC"}) {
    Options o;
    Status s = Parse({"--tz", good}, &o);
    ASSERT_TRUE(s.ok()) << good << ": " << s.message();
    EXPECT_NO_THROW(DayAt(1'700'000'000'000, o.tz)) << good;
  }
  Options o;
  ASSERT_TRUE(Parse({"--tz", "Z"}, &o).ok());
  EXPECT_EQ(o.tz, "+00:00");  // the one form the day window reads
  for (const char* bad : {"+ab:cd", "+25:00", "+15:00", "+08:60", "8", "+8:00", "+08-00", "08:000", "+0a:00",
                          "z", "utc", "Asia/Shanghai", ""}) {
    std::string error = ErrorOf({"--tz", bad});
    EXPECT_TRUE(Has(error, "--tz")) << bad << ": " << error;
  }
}

TEST(OptionsTest, HandBuiltTzMustBeAnOffset) {
  Options o;
  o.tz.assign(1, 'Z');  // what the flag takes, but DayAt reads ±HH:MM only
  EXPECT_FALSE(CheckOptions(o).ok());
}

TEST(OptionsTest, BooleanFlagsTakeAValueOnlyAfterEquals) {
  Options o;
  ASSERT_TRUE(Parse({"--verify=false"}, &o).ok());
  EXPECT_FALSE(o.verify);
  ASSERT_TRUE(Parse({"--verify=yes"}, &o).ok());
  EXPECT_TRUE(o.verify);
  ASSERT_TRUE(Parse({"--verify=0", "--progress=off"}, &o).ok());
  EXPECT_FALSE(o.verify);
  EXPECT_FALSE(o.progress);
  ASSERT_TRUE(Parse({"--no-progress=false"}, &o).ok());
  EXPECT_TRUE(o.progress);
  ASSERT_TRUE(Parse({"--no-progress=on"}, &o).ok());
  EXPECT_FALSE(o.progress);
  ASSERT_TRUE(Parse({"--help=no"}, &o).ok());
  EXPECT_FALSE(o.help);
  ASSERT_TRUE(Parse({"--help=1"}, &o).ok());
  EXPECT_TRUE(o.help);
  for (const char* flag : {"--verify=maybe", "--progress=", "--no-progress=2", "--help=please", "--verify=TRUE"}) {
    std::string name = std::string(flag).substr(0, std::string(flag).find('='));
    std::string error = ErrorOf({flag});
    EXPECT_TRUE(Has(error, name)) << flag << ": " << error;
  }
  // The next argument is never taken as the value.
  std::string error = ErrorOf({"--verify", "false"});
  EXPECT_TRUE(Has(error, "unexpected argument 'false'")) << error;
}

TEST(OptionsTest, AbsurdSizesAreRefusedNamingTheFlagAndTheLimit) {
  struct Case {
    const char* flag;
    const char* value;
    const char* limit;
  };
  for (const Case& c : {Case{"--users", "4000000000", "50000000"}, Case{"--pool", "100000000", "20000000"},
                        Case{"--cities", "10000001", "10000000"}, Case{"--firms", "20000000", "10000000"},
                        Case{"--teams", "20000000", "10000000"}, Case{"--products", "20000000", "10000000"},
                        Case{"--subscribers", "1000000", "100000"}, Case{"--connections", "100001", "100000"},
                        Case{"--threads", "257", "256"}, Case{"--window", "1000001", "1000000"},
                        Case{"--views", "100001", "100000"}, Case{"--rate", "1000000001", "1000000000"},
                        Case{"--batch", "10001", "10000"}}) {
    std::string error = ErrorOf({c.flag, c.value});
    EXPECT_TRUE(Has(error, c.flag) && Has(error, c.limit)) << c.flag << ": " << error;
  }
  // The limits themselves are allowed.
  Options o;
  Status s = Parse({"--threads", "256", "--window", "1000000", "--views", "100000", "--rate", "1000000000",
                    "--subscribers", "100000", "--connections", "1000"},
                   &o);
  EXPECT_TRUE(s.ok()) << s.message();
  // Every connection holds a frame's text: their product is bounded too.
  std::string error = ErrorOf({"--connections", "100000", "--batch", "10000"});
  EXPECT_TRUE(Has(error, "--connections") && Has(error, "--batch")) << error;
}

TEST(OptionsTest, DurationsBeyondAYearAreRefused) {
  for (const char* d : {"1e10", "1e300h", "1e308h", "31536001"}) {
    std::string error = ErrorOf({"--duration", d});
    EXPECT_TRUE(Has(error, "--duration")) << d << ": " << error;
  }
  Options o;
  ASSERT_TRUE(Parse({"--duration", "8760h"}, &o).ok());
  EXPECT_DOUBLE_EQ(o.duration_s, 31'536'000);
}

TEST(OptionsTest, ProgressIntervalIsADurationFromAMillisecondToAnHour) {
  Options o;
  ASSERT_TRUE(Parse({}, &o).ok());
  EXPECT_DOUBLE_EQ(o.progress_interval_s, 1);
  ASSERT_TRUE(Parse({"--progress-interval", "250ms"}, &o).ok());
  EXPECT_DOUBLE_EQ(o.progress_interval_s, 0.25);
  ASSERT_TRUE(Parse({"--progress-interval=1h"}, &o).ok());
  EXPECT_DOUBLE_EQ(o.progress_interval_s, 3600);
  for (const char* d : {"0", "0.5ms", "61m", "soon"}) {
    std::string error = ErrorOf({"--progress-interval", d});
    EXPECT_TRUE(Has(error, "--progress-interval")) << d << ": " << error;
  }
}

TEST(OptionsTest, UrlNamesTheServerOnly) {
  std::string error = ErrorOf({"--url", "ws://127.0.0.1:0"});
  EXPECT_TRUE(Has(error, "--url: 'ws://127.0.0.1:0': port 0")) << error;
  error = ErrorOf({"--url", "ws://127.0.0.1:8080/v1/ingest"});
  EXPECT_TRUE(Has(error, "--url") && Has(error, "has a path") && Has(error, "ws://HOST:PORT")) << error;
  EXPECT_FALSE(Has(error, "bad port")) << error;
  EXPECT_FALSE(ErrorOf({"--url", "ws://h:1?x=1"}).empty());
  EXPECT_FALSE(ErrorOf({"--url", "ws://::1:8080"}).empty());  // IPv6 needs brackets
  EXPECT_FALSE(ErrorOf({"--url", "ws://[::1:8080"}).empty());
  EXPECT_TRUE(Has(ErrorOf({"--host", ""}), "--host"));

  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseUrl("ws://127.0.0.1:8080/", &host, &port).ok());  // a trailing '/' alone is fine
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseUrl("ws://[::1]:8080", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseUrl("ws://[::1]", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 80);
  ASSERT_TRUE(ParseUrl("ws://example.org", &host, &port).ok());  // ws://'s default port
  EXPECT_EQ(port, 80);
}

TEST(OptionsTest, EmptyReportIsRefused) {
  for (std::vector<const char*> args : {std::vector<const char*>{"--report", ""}, {"--report="}}) {
    std::string error = ErrorOf(args);
    EXPECT_TRUE(Has(error, "--report") && Has(error, "- for standard output")) << error;
  }
}

TEST(OptionsTest, HelpSaysTheLimitsAndTheBooleanValues) {
  std::string usage = Usage();
  EXPECT_TRUE(Has(usage, "--report FILE             write the final report as JSON (- : standard output)"));
  EXPECT_TRUE(Has(usage, "true|false|1|0|yes|no|on|off"));
  EXPECT_TRUE(Has(usage, "without :PORT, 80"));
  for (const char* limit : {"10000000", "50000000", "20000000", "1000000000", "at most a year", "256", "100000"}) {
    EXPECT_TRUE(Has(usage, limit)) << limit;
  }
}

}  // namespace
}  // namespace bangdan::loadgen
