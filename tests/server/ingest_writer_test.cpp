// IngestWriter's pipeline against a journal the test completes by hand:
// a group is applied while the next is committed, acks keep the order of
// frames, a failed group takes the next group's admissions back with its
// own before anything of the next reaches the journal, and frames that came
// while the writer waited on a commit are taken when it is done.
#include "ingest_writer.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <atomic>
#include <future>
#include <initializer_list>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "bangdan/engine.h"
#include "bangdan/event_parser.h"
#include "journal.h"
#include "metrics.h"

namespace bangdan {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kNow = 1'795'363'200'000;  // 2026-11-23 00:00 +08:00

// Keeps every Commit until the test completes it.
class HeldJournal final : public Journal {
 public:
  struct Held {
    std::vector<uint64_t> seqs;
    std::function<void(Status)> done;
  };

  void Commit(const std::vector<JournalRecord>& records,
              std::function<void(Status)> done) override {
    Held h;
    for (const JournalRecord& r : records) h.seqs.push_back(r.admission.seq);
    h.done = std::move(done);
    {
      std::lock_guard lk(mu_);
      held_.push_back(std::move(h));
    }
    cv_.notify_all();
  }

  // The next Commit, once it came (fails the test after 5 s).
  Held Next() {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, 5s, [&] { return !held_.empty(); })) {
      ADD_FAILURE() << "no Commit came";
      return Held{{}, [](Status) {}};
    }
    Held h = std::move(held_.front());
    held_.pop_front();
    return h;
  }

  bool NoneWaiting(std::chrono::milliseconds wait) {
    std::unique_lock lk(mu_);
    return !cv_.wait_for(lk, wait, [&] { return !held_.empty(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Held> held_;
};

class IngestWriterTest : public ::testing::Test {
 protected:
  explicit IngestWriterTest(EngineOptions options = {})
      : engine_(options), writer_(engine_, engine_mu_, journal_, metrics_) {
    writer_.Start();
  }
  ~IngestWriterTest() override {
    // Stop() waits for the journal: complete whatever is still held.
    std::thread drain([this] {
      while (!stopped_) {
        if (!journal_.NoneWaiting(10ms)) journal_.Next().done(Status::OK());
      }
    });
    writer_.Stop();
    stopped_ = true;
    drain.join();
  }

  // Submits a frame of `count` events with ids `<name>-0…`; its answer goes
  // to the returned future. `on_answer` runs first, on the writer's thread.
  std::future<std::string> Submit(const std::string& name, int count,
                                  std::function<void()> on_answer = {}) {
    std::string text = "[";
    for (int i = 0; i < count; ++i) {
      if (i) text += ",";
      text += R"({"id":")" + name + "-" + std::to_string(i) +
              R"(","city":"合肥","firm":"安居","weight_g":100,"amount_fen":990})";
    }
    text += "]";
    return SubmitText(name, text, std::move(on_answer));
  }

  // The same for a frame given as text.
  std::future<std::string> SubmitText(const std::string& name, const std::string& text,
                                      std::function<void()> on_answer = {}) {
    auto frame = std::make_unique<IngestFrame>();
    EXPECT_TRUE(parser_.Parse(text, kNow, &frame->parsed).ok());
    frame->batch_json = "\"" + name + "\"";
    frame->recv_ms = kNow;
    frame->received = std::chrono::steady_clock::now();
    auto answer = std::make_shared<std::promise<std::string>>();
    std::future<std::string> f = answer->get_future();
    frame->respond = [answer, on_answer](std::string text, bool) {
      if (on_answer) on_answer();
      answer->set_value(std::move(text));
    };
    EXPECT_TRUE(writer_.Submit(std::move(frame)));
    return f;
  }

  uint64_t AppliedSeq() {
    std::lock_guard lk(engine_mu_);
    return engine_.applied_seq();
  }

  // Waits until the writer admitted up to `seq`.
  void AwaitAdmitted(uint64_t seq) {
    for (int i = 0; i < 5000; ++i) {
      {
        std::lock_guard lk(engine_mu_);
        if (engine_.admitted_seq() >= seq) return;
      }
      std::this_thread::sleep_for(1ms);
    }
    ADD_FAILURE() << "never admitted up to " << seq;
  }

  Engine engine_;
  std::mutex engine_mu_;
  HeldJournal journal_;
  ServerMetrics metrics_;
  EventParser parser_;
  IngestWriter writer_;
  std::atomic<bool> stopped_{false};
};

std::string Ready(std::future<std::string>& f) {
  if (f.wait_for(5s) != std::future_status::ready) return "(no answer)";
  return f.get();
}

TEST_F(IngestWriterTest, TheNextGroupIsCommittedWhileTheDurableOneIsApplied) {
  // The first group's answer waits for the second group to reach the
  // journal: the second Commit must come before the first group is answered.
  std::promise<void> second_committed;
  std::shared_future<void> gate = second_committed.get_future().share();
  std::atomic<bool> second_came_first{false};
  auto a = Submit("a", 3, [gate, &second_came_first] {
    second_came_first = gate.wait_for(2s) == std::future_status::ready;
  });
  HeldJournal::Held first = journal_.Next();
  EXPECT_EQ(first.seqs, (std::vector<uint64_t>{1, 2, 3}));
  auto b = Submit("b", 2);  // admitted while the first group is committed
  AwaitAdmitted(5);
  first.done(Status::OK());

  HeldJournal::Held second = journal_.Next();
  EXPECT_EQ(second.seqs, (std::vector<uint64_t>{4, 5}));
  second_committed.set_value();
  EXPECT_EQ(Ready(a), R"({"type":"ack","batch":"a","accepted":3,"duplicates":0,"rejected":[],"seq":3})");
  EXPECT_TRUE(second_came_first);
  EXPECT_EQ(AppliedSeq(), 3u);  // the second group is not durable yet

  second.done(Status::OK());
  EXPECT_EQ(Ready(b), R"({"type":"ack","batch":"b","accepted":2,"duplicates":0,"rejected":[],"seq":5})");
  EXPECT_EQ(AppliedSeq(), 5u);
}

TEST_F(IngestWriterTest, AFailedGroupTakesTheNextGroupsAdmissionsBackBeforeItIsCommitted) {
  auto a = Submit("a", 3);
  HeldJournal::Held first = journal_.Next();
  auto b = Submit("b", 2);
  AwaitAdmitted(5);
  first.done(Status::IOError("disk full"));

  EXPECT_EQ(Ready(a), R"({"type":"error","batch":"a","error":"not durable: disk full"})");
  // The second group was admitted after the first, as seqs 4 and 5: it comes
  // to the journal admitted again, as 1 and 2, never with the seqs that
  // followed the failed group.
  HeldJournal::Held second = journal_.Next();
  EXPECT_EQ(second.seqs, (std::vector<uint64_t>{1, 2}));
  second.done(Status::OK());
  EXPECT_EQ(Ready(b), R"({"type":"ack","batch":"b","accepted":2,"duplicates":0,"rejected":[],"seq":2})");
  EXPECT_EQ(AppliedSeq(), 2u);

  // The failed group's ids were taken back: sent again, they are accepted.
  auto again = Submit("a", 3);
  HeldJournal::Held third = journal_.Next();
  EXPECT_EQ(third.seqs, (std::vector<uint64_t>{3, 4, 5}));
  third.done(Status::OK());
  EXPECT_EQ(Ready(again), R"({"type":"ack","batch":"a","accepted":3,"duplicates":0,"rejected":[],"seq":5})");
}

// A writer that waits for a commit with a group admitted is not woken by new
// frames; they must still be taken once the commit is done.
TEST_F(IngestWriterTest, FramesThatCameDuringACommitAreTakenWhenItIsDone) {
  auto a = Submit("a", 1);
  HeldJournal::Held first = journal_.Next();
  auto b = Submit("b", 1);
  AwaitAdmitted(2);  // b is the admitted group waiting for the commit
  auto c = Submit("c", 1);
  auto d = Submit("d", 1);
  EXPECT_TRUE(journal_.NoneWaiting(20ms));
  first.done(Status::OK());

  HeldJournal::Held second = journal_.Next();
  EXPECT_EQ(second.seqs, (std::vector<uint64_t>{2}));
  AwaitAdmitted(4);  // c and d, with no frame submitted since
  second.done(Status::OK());
  HeldJournal::Held third = journal_.Next();
  EXPECT_EQ(third.seqs, (std::vector<uint64_t>{3, 4}));
  third.done(Status::OK());
  for (auto* f : {&a, &b, &c, &d}) EXPECT_NE(Ready(*f).find(R"("type":"ack")"), std::string::npos);
  EXPECT_EQ(AppliedSeq(), 4u);
}

TEST_F(IngestWriterTest, AcksKeepTheOrderOfFramesAcrossOverlappingGroups) {
  std::vector<std::future<std::string>> answers;
  std::mutex order_mu;
  std::vector<int> order;
  auto answered = [&] {
    std::lock_guard lk(order_mu);
    return order.size();
  };
  for (int i = 0; i < 200; ++i) {
    std::string name = "f";
    name += std::to_string(i);
    answers.push_back(Submit(name, 1 + i % 5, [&, i] {
      std::lock_guard lk(order_mu);
      order.push_back(i);
    }));
    if (!journal_.NoneWaiting(0ms)) journal_.Next().done(Status::OK());
  }
  for (int spins = 0; answered() < 200 && spins < 5000; ++spins) {
    if (!journal_.NoneWaiting(1ms)) journal_.Next().done(Status::OK());
  }
  ASSERT_EQ(answered(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_NE(Ready(answers[i]).find(R"("type":"ack")"), std::string::npos) << i;
    EXPECT_EQ(order[i], i);
  }
  EXPECT_EQ(AppliedSeq(), 600u);  // 200 frames of 1..5 events: 40 × 15
}

// An engine whose sums may reach 10,000 only (EngineOptions::max_sum), so
// that one frame reaches the limit.
class IngestWriterNearTheSumLimitTest : public IngestWriterTest {
 protected:
  static EngineOptions Limited() {
    EngineOptions o;
    o.max_sum = 10'000;
    return o;
  }
  IngestWriterNearTheSumLimitTest() : IngestWriterTest(Limited()) {}
};

// A frame of events given as (id, amount_fen).
std::string Frame(std::initializer_list<std::pair<const char*, const char*>> events) {
  std::string text = "[";
  for (const auto& [id, amount] : events) {
    if (text.size() > 1) text += ",";
    text += R"({"id":")";
    text += id;
    text += R"(","city":"合肥","firm":"安居","weight_g":1,"amount_fen":)";
    text += amount;
    text += "}";
  }
  text += "]";
  return text;
}

TEST_F(IngestWriterNearTheSumLimitTest, AnEventThatWouldOverflowIsListedAsRejected) {
  // The parser's rejection and the engine's, in frame order; the events
  // after the refused one that fit are accepted.
  auto a = SubmitText("o", Frame({{"a", "6000"}, {"b", "-1"}, {"c", "5000"}, {"d", "4000"},
                                  {"a", "1"}}));
  HeldJournal::Held held = journal_.Next();
  EXPECT_EQ(held.seqs, (std::vector<uint64_t>{1, 2}));  // the refused event is not logged
  held.done(Status::OK());
  EXPECT_EQ(Ready(a), R"({"type":"ack","batch":"o","accepted":2,"duplicates":1,"rejected":[)"
                      R"({"index":1,"error":"amount_fen: must be an integer from 0 to 1000000000000"},)"
                      R"({"index":2,"error":"amount_fen: would overflow the campaign's 64-bit sums"}],)"
                      R"("seq":2})");
  EXPECT_EQ(metrics_.events_rejected.load(), 2u);
  // Its id was not remembered: sent again with what fits, it is accepted.
  auto again = SubmitText("p", Frame({{"c", "0"}}));
  journal_.Next().done(Status::OK());
  EXPECT_EQ(Ready(again), R"({"type":"ack","batch":"p","accepted":1,"duplicates":0,"rejected":[],"seq":3})");
}

}  // namespace
}  // namespace bangdan
