#include "report.h"

#include <gtest/gtest.h>

namespace bangdan::loadgen {
namespace {

Report RunOf(uint64_t rate_target, uint64_t accepted, double elapsed_s) {
  Report r;
  r.rate_target = rate_target;
  r.accepted = accepted;
  r.elapsed_s = elapsed_s;
  return r;
}

// A run that fell short of --rate says so; its latencies count from when frames were due.
TEST(ReportTest, ARunBelowItsRateSaysSoInTextAndJson) {
  const Report short_run = RunOf(200'000, 1'200'000, 8.0);  // 150,000/s: 75 %
  EXPECT_DOUBLE_EQ(short_run.rate_reached(), 0.75);
  EXPECT_TRUE(short_run.rate_fell_short());
  const std::string text = FormatText(short_run);
  EXPECT_NE(text.find("150000 accepted events/s (75% of --rate)"), std::string::npos) << text;
  EXPECT_NE(text.find("below --rate: the windows held frames back"), std::string::npos) << text;
  EXPECT_NE(text.find("  from the send p50 "), std::string::npos) << text;
  EXPECT_NE(text.find("late sends      0 of 0 frames"), std::string::npos) << text;
  const std::string json = FormatJson(short_run);
  EXPECT_NE(json.find("\"rate_reached\":0.750"), std::string::npos);
  EXPECT_NE(json.find("\"latency_from\":\"due\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"ack_latency_from_send\":{"), std::string::npos) << json;
  EXPECT_NE(json.find("\"late_frames\":{\"held\":0,\"generator\":0}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"push_latency_from_send\":{"), std::string::npos) << json;

  const Report full_run = RunOf(200'000, 1'592'000, 8.0);  // 199,000/s
  EXPECT_FALSE(full_run.rate_fell_short());
  EXPECT_EQ(FormatText(full_run).find("below --rate"), std::string::npos);
}

TEST(ReportTest, AnUnpacedRunHasNoRateToReach) {
  const Report r = RunOf(0, 5'000'000, 5.0);
  EXPECT_EQ(r.rate_reached(), 0.0);
  EXPECT_FALSE(r.rate_fell_short());
  const std::string text = FormatText(r);
  EXPECT_EQ(text.find("of --rate"), std::string::npos) << text;
  EXPECT_EQ(text.find("from the send"), std::string::npos) << text;  // the same figures
  EXPECT_EQ(text.find("late sends"), std::string::npos) << text;     // nothing is due
  EXPECT_NE(FormatJson(r).find("\"rate_reached\":0.000"), std::string::npos);
  EXPECT_NE(FormatJson(r).find("\"latency_from\":\"send\""), std::string::npos);
}

}  // namespace
}  // namespace bangdan::loadgen
