#include "report.h"

#include <gtest/gtest.h>

namespace bangdan::loadgen {
namespace {

// A paced run of 8 s at `rate_target` events/s, 100-event frames: the
// generator sent `events_sent` of them, the last frame at `last_send_s`.
Report RunOf(uint64_t rate_target, uint64_t events_sent, double last_send_s) {
  Report r;
  r.rate_target = rate_target;
  r.batch = 100;
  r.events_sent = events_sent;
  r.frames_sent = events_sent / 100;
  r.accepted = events_sent;
  r.elapsed_s = 8.0;
  r.last_send_s = last_send_s;
  r.frame_interval_s = rate_target > 0 ? 100.0 / rate_target : 0;
  return r;
}

// A run that fell short of --rate says so; its latencies count from when frames were due.
TEST(ReportTest, ARunBelowItsRateSaysSoInTextAndJson) {
  // 1,200,000 events in 8 s (the last frame 0.5 ms before the end): 75 %.
  const Report short_run = RunOf(200'000, 1'200'000, 8.0 - 0.0005);
  EXPECT_DOUBLE_EQ(short_run.rate_reached(), 0.75);
  EXPECT_TRUE(short_run.rate_fell_short());
  const std::string text = FormatText(short_run);
  EXPECT_NE(text.find("150000 accepted events/s; sent at 75% of --rate"), std::string::npos) << text;
  EXPECT_NE(text.find("below --rate: frames went late"), std::string::npos) << text;
  EXPECT_NE(text.find("  from the send "), std::string::npos) << text;
  EXPECT_NE(text.find("late sends      0 of 12000 frames"), std::string::npos) << text;
  const std::string json = FormatJson(short_run);
  EXPECT_NE(json.find("\"rate_reached\":0.750"), std::string::npos);
  EXPECT_NE(json.find("\"latency_from\":\"due\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"ack_latency_from_send\":{"), std::string::npos) << json;
  EXPECT_NE(json.find("\"late_frames\":{\"held\":0,\"generator\":0}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"push_latency_from_send\":{"), std::string::npos) << json;

  // All 16,000 frames on time: the last went one turn (0.5 ms) before the end.
  const Report full_run = RunOf(200'000, 1'600'000, 8.0 - 0.0005);
  EXPECT_DOUBLE_EQ(full_run.rate_reached(), 1.0);
  EXPECT_FALSE(full_run.rate_fell_short());
  EXPECT_EQ(FormatText(full_run).find("below --rate"), std::string::npos);
}

// --rate paces sends, retries included: a run whose retries came back as
// duplicates kept its rate, though fewer events were accepted.
TEST(ReportTest, RetriesCountTowardsTheRateTheyWereSentAt) {
  Report r = RunOf(200'000, 1'600'000, 8.0 - 0.0005);
  r.accepted = 1'000'000;
  r.duplicates = 600'000;
  EXPECT_DOUBLE_EQ(r.rate_reached(), 1.0);
  EXPECT_FALSE(r.rate_fell_short());
}

TEST(ReportTest, FramesNeverAnsweredFailTheRun) {
  Report r = RunOf(0, 1'000, 0);
  EXPECT_TRUE(r.ok());
  r.unanswered = 4;
  EXPECT_FALSE(r.ok());
  EXPECT_NE(FormatText(r).find("frames never answered 4"), std::string::npos) << FormatText(r);
  EXPECT_NE(FormatJson(r).find("\"unanswered\":4"), std::string::npos);
  EXPECT_NE(FormatJson(r).find("\"ok\":false"), std::string::npos);
}

TEST(ReportTest, ARunThatSentNothingFails) {
  Report r = RunOf(0, 0, 0);
  EXPECT_FALSE(r.ok());
}

TEST(ReportTest, DashboardsThatFailedFailTheRunAndLatencyWithoutSamplesIsNotZero) {
  Report r = RunOf(0, 1'000, 0);
  r.subscribers = 3;
  r.subscriber_errors = 3;
  EXPECT_FALSE(r.ok());
  const std::string text = FormatText(r);
  EXPECT_NE(text.find("push latency    none (0 samples)"), std::string::npos) << text;
  const std::string json = FormatJson(r);
  EXPECT_NE(json.find("\"push_latency\":{\"count\":0,\"min_ms\":null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"p99_ms\":null"), std::string::npos) << json;
}

TEST(ReportTest, AnUnpacedRunHasNoRateToReach) {
  const Report r = RunOf(0, 5'000'000, 5.0);  // unpaced: no turns, no rate
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
