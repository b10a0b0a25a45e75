// PushQueue, the bookkeeping of a stream connection's unsent frames, against
// a plain model: per subscription at most the newest unsent frame, sent in
// the order subscriptions became ready, error replies first, snapshots never
// replaced by updates.
#include "stream_session.h"

#include <deque>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace bangdan {
namespace {

std::shared_ptr<const std::string> Body(uint64_t sub_id, uint64_t version) {
  return std::make_shared<const std::string>("{\"v\":" + std::to_string(sub_id * 1000 + version) +
                                             "}");
}

PushDelivery Frame(uint64_t sub_id, uint64_t version, bool snapshot) {
  return PushDelivery{sub_id, snapshot, version, Body(sub_id, version)};
}

TEST(PushQueue, NewestFramePerSubscriptionInReadyOrder) {
  PushQueue q;
  q.Add("a", 1, "view-a", ViewSpec::Kind::kTop, Frame(1, 5, true));
  q.Add("b", 2, "view-b", ViewSpec::Kind::kTotals, Frame(2, 7, true));
  PushQueue::OutFrame out;
  ASSERT_TRUE(q.Pop(&out));  // a's snapshot, b's waits
  EXPECT_EQ(out.prefix, FramePrefix(true, "a"));
  EXPECT_EQ(*out.body, *Body(1, 5));
  EXPECT_EQ(q.Offer(Frame(1, 6, false)), PushQueue::Offered::kQueued);
  EXPECT_EQ(q.Offer(Frame(1, 8, false)), PushQueue::Offered::kReplaced);
  EXPECT_EQ(q.Offer(Frame(1, 8, false)), PushQueue::Offered::kStale);
  EXPECT_EQ(q.Offer(Frame(2, 9, false)), PushQueue::Offered::kNeedsSnapshot);
  EXPECT_EQ(q.Offer(Frame(3, 1, false)), PushQueue::Offered::kStale);  // no such subscription
  q.PushControl("{\"type\":\"error\"}");
  EXPECT_EQ(q.pending_frames(), 3u);
  ASSERT_TRUE(q.Pop(&out));
  EXPECT_EQ(out.prefix, "{\"type\":\"error\"}");
  EXPECT_EQ(out.body, nullptr);
  ASSERT_TRUE(q.Pop(&out));
  EXPECT_EQ(out.prefix, FramePrefix(true, "b"));
  ASSERT_TRUE(q.Pop(&out));
  EXPECT_EQ(out.prefix, FramePrefix(false, "a"));
  EXPECT_EQ(*out.body, *Body(1, 8));
  EXPECT_FALSE(q.Pop(&out));
  EXPECT_EQ(q.pending_frames(), 0u);
  EXPECT_EQ(q.pending_bytes(), 0u);
}

// Random adds, removes, offers and pops on a few subscriptions, each step
// checked against the model.
TEST(PushQueue, RandomOperationsMatchAModel) {
  struct Pending {
    uint64_t version;
    bool snapshot;
  };
  struct Sub {
    uint64_t id;
    uint64_t version = 0;  // newest queued or sent
    std::optional<Pending> pending;
  };
  std::mt19937_64 rng(20261206);
  PushQueue q;
  std::map<std::string, Sub> model;
  std::deque<std::string> ready;  // subscriptions with a pending frame, oldest first
  uint64_t next_id = 0;
  const std::string names[] = {"a", "b", "c", "d", "e"};
  for (int step = 0; step < 200000; ++step) {
    const std::string& name = names[rng() % 5];
    const auto it = model.find(name);
    switch (rng() % 4) {
      case 0: {  // subscribe (again): the old one goes, the new one's snapshot is queued
        std::optional<PushQueue::Subscription> old = q.Remove(name);
        ASSERT_EQ(old.has_value(), it != model.end());
        if (it != model.end()) {
          EXPECT_EQ(old->id, it->second.id);
          std::erase(ready, name);
          model.erase(it);
        }
        const uint64_t id = ++next_id;
        const uint64_t version = rng() % 50 + 1;
        q.Add(name, id, "view", ViewSpec::Kind::kTop, Frame(id, version, true));
        model[name] = Sub{id, version, Pending{version, true}};
        ready.push_back(name);
        break;
      }
      case 1: {  // unsubscribe
        std::optional<PushQueue::Subscription> old = q.Remove(name);
        ASSERT_EQ(old.has_value(), it != model.end());
        if (it != model.end()) {
          std::erase(ready, name);
          model.erase(it);
        }
        break;
      }
      case 2: {  // an update, or a stale one
        if (it == model.end()) break;
        Sub& s = it->second;
        const uint64_t version = s.version + (rng() % 3) - 1;  // one older, equal or newer
        PushQueue::Offered expected;
        if (version <= s.version) {
          expected = PushQueue::Offered::kStale;
        } else if (s.pending && s.pending->snapshot) {
          expected = PushQueue::Offered::kNeedsSnapshot;
        } else {
          expected = s.pending ? PushQueue::Offered::kReplaced : PushQueue::Offered::kQueued;
          if (!s.pending) ready.push_back(name);
          s.pending = Pending{version, false};
          s.version = version;
        }
        ASSERT_EQ(q.Offer(Frame(s.id, version, false)), expected) << step;
        break;
      }
      case 3: {  // a write
        PushQueue::OutFrame out;
        ASSERT_EQ(q.Pop(&out), !ready.empty()) << step;
        if (ready.empty()) break;
        Sub& s = model.at(ready.front());
        ASSERT_EQ(out.prefix, FramePrefix(s.pending->snapshot, ready.front())) << step;
        ASSERT_EQ(*out.body, *Body(s.id, s.pending->version)) << step;
        s.pending.reset();
        ready.pop_front();
        break;
      }
    }
    ASSERT_EQ(q.pending_frames(), ready.size()) << step;
    ASSERT_EQ(q.subscriptions(), model.size()) << step;
  }
  q.RemoveAll();
  EXPECT_EQ(q.pending_frames(), 0u);
  EXPECT_EQ(q.pending_bytes(), 0u);
}

}  // namespace
}  // namespace bangdan
