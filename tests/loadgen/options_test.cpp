#include "options.h"

#include <gtest/gtest.h>

#include <vector>

namespace bangdan::loadgen {
namespace {

Status Parse(std::vector<const char*> args, Options* o) {
  args.insert(args.begin(), "bangdan-loadgen");
  return ParseOptions(static_cast<int>(args.size()), args.data(), o);
}

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

}  // namespace
}  // namespace bangdan::loadgen
