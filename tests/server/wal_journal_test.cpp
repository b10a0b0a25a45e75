// WalJournal (server/wal_journal.h): group commit on the log's thread, here
// against a disk that fails on request (FaultEnv).
#include "wal_journal.h"

#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/fault_env.h"

namespace bangdan {
namespace {

constexpr int64_t kRecvMs = 1'795'363'200'000;

class WalJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Wal> wal;
    ASSERT_TRUE(Wal::Open(&env_, "db", {}, 0, &wal).ok());
    journal_ = std::make_unique<WalJournal>(std::move(wal), &env_);
  }

  // Commits one event with the next sequence number; waits for the result.
  Status CommitOne() {
    const std::string id = "order-" + std::to_string(next_seq_);
    Event e;
    e.id = id;
    e.city = "合肥";
    e.firm = "万科物业";
    e.weight_g = 500;
    e.amount_fen = 100;
    std::vector<JournalRecord> group(1);
    group[0].event = &e;
    group[0].admission.seq = next_seq_;
    group[0].admission.recv_ms = group[0].admission.ts_ms = kRecvMs;
    std::promise<Status> done;
    journal_->Commit(group, [&](Status s) { done.set_value(std::move(s)); });
    Status s = done.get_future().get();
    if (s.ok()) ++next_seq_;  // a failed group's numbers are given again
    return s;
  }

  FaultEnv env_;
  std::unique_ptr<WalJournal> journal_;
  uint64_t next_seq_ = 1;
};

size_t CountLines(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A full disk fails every group, hundreds a second under load: one ERROR
// line, not one per group, and one line when groups last again.
TEST_F(WalJournalTest, AFullDiskIsLoggedOnceNotOncePerGroupAndItsEndIsSaid) {
  ASSERT_TRUE(CommitOne().ok());
  ::testing::internal::CaptureStderr();
  env_.FailWrites(/*no_space=*/true, /*partial_bytes=*/0, /*count=*/50);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(CommitOne().ok()) << i;
  EXPECT_TRUE(CommitOne().ok());
  EXPECT_TRUE(CommitOne().ok());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(CountLines(log, " ERROR log: group of 1 events not durable: "), 1u) << log;
  EXPECT_EQ(CountLines(log, "\n"), 2u) << log;
  EXPECT_EQ(CountLines(log, " INFO log: groups durable again, after 50 failed\n"), 1u) << log;
  EXPECT_EQ(journal_->failed_groups(), 50u);
}

// Once groups last again, the next failure is news: logged at once.
TEST_F(WalJournalTest, AFailureAfterARecoveryIsLoggedAtOnce) {
  ::testing::internal::CaptureStderr();
  env_.FailWrites(/*no_space=*/true);
  EXPECT_FALSE(CommitOne().ok());
  EXPECT_TRUE(CommitOne().ok());
  env_.FailWrites(/*no_space=*/false);
  EXPECT_FALSE(CommitOne().ok());
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(CountLines(log, " ERROR log: group of 1 events not durable: "), 2u) << log;
  EXPECT_EQ(CountLines(log, "groups failed since the last such line"), 0u) << log;
}

}  // namespace
}  // namespace bangdan
