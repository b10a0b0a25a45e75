// AdmitBatch and ApplyBatch against Admit and Apply one event at a time: two
// engines fed the same random stream — one event by one, and in frames of
// random sizes — must agree on every verdict and sequence number, answer the
// same queries, and serialize to the same bytes. The stream crosses days,
// drops days past retention mid-frame, repeats ids within a frame, and leaves
// optional fields out, so the batch path's look-ahead meets every case where
// what it learned ahead could go stale.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "bangdan/engine.h"
#include "event_builder.h"
#include "random_stream.h"

namespace bangdan {
namespace {

using namespace testing_util;

EngineOptions Options() {
  EngineOptions o;
  o.keep_days = 2;  // days drop often
  o.dedup_window_ms = 3600 * 1000;
  return o;
}

void ExpectSameTop(Engine& one, Engine& batch, const BoardRef& ref, int64_t now) {
  for (Metric m : {Metric::kWeight, Metric::kAmount, Metric::kOrders}) {
    BoardPage a, b;
    ASSERT_TRUE(one.Top(ref, m, 0, 50, now, &a).ok());
    ASSERT_TRUE(batch.Top(ref, m, 0, 50, now, &b).ok());
    ASSERT_EQ(a.count, b.count);
    ASSERT_EQ(a.rows.size(), b.rows.size());
    for (size_t i = 0; i < a.rows.size(); ++i) {
      EXPECT_EQ(a.rows[i].key, b.rows[i].key) << "row " << i;
      EXPECT_EQ(a.rows[i].weight_g, b.rows[i].weight_g) << "row " << i;
      EXPECT_EQ(a.rows[i].orders, b.rows[i].orders) << "row " << i;
    }
  }
}

TEST(EngineApply, FramesGiveTheSameStateAsOneEventAtATime) {
  Engine one(Options()), batch(Options());
  Stream stream(7);
  constexpr int kEvents = 100'000;
  int sent = 0;
  int64_t now = 0;
  while (sent < kEvents) {
    // A frame: 1…200 events received at one moment (the server's unit).
    const int n = static_cast<int>(stream.Uniform(1, 200));
    std::deque<Ev> evs;
    int64_t recv_ms = 0;
    for (int i = 0; i < n; ++i) {
      int64_t r;
      evs.push_back(stream.Next(&r));
      if (i == 0) recv_ms = r;
      // Within a frame, now and then the same id twice.
      if (stream.Uniform(0, 49) == 0) evs.push_back(evs.back());
    }
    now = recv_ms;
    std::vector<Event> events;
    for (const Ev& e : evs) events.push_back(e.view());
    std::vector<uint64_t> want;
    for (const Ev& e : evs) want.push_back(Send(one, e, recv_ms));

    std::vector<Admission> admissions(events.size());
    batch.AdmitBatch(events, recv_ms, admissions.data());
    std::vector<AdmittedEvent> admitted;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(admissions[i].accepted() ? admissions[i].seq : 0, want[i]) << "event " << sent + i;
      if (admissions[i].accepted()) admitted.push_back(AdmittedEvent{&events[i], admissions[i]});
    }
    batch.ApplyBatch(admitted);
    ASSERT_EQ(batch.applied_seq(), one.applied_seq());
    sent += static_cast<int>(events.size());

    if (stream.Uniform(0, 99) == 0) {  // read between frames: orderings rebuilt
      ExpectSameTop(one, batch, Ref(Dimension::kUser), now);
      ExpectSameTop(one, batch, Ref(Dimension::kTeam, ScopeKind::kCity, "合肥", WindowSpec::Today()), now);
      ExpectSameTop(one, batch, Ref(Dimension::kUser, ScopeKind::kTeam, "队1"), now);
      if (HasFatalFailure()) return;
    }
  }
  for (Dimension d : {Dimension::kCity, Dimension::kFirm, Dimension::kTeam, Dimension::kUser,
                      Dimension::kProduct}) {
    ExpectSameTop(one, batch, Ref(d), now);
    ExpectSameTop(one, batch, Ref(d, ScopeKind::kNone, "", WindowSpec::Today()), now);
  }
  ExpectSameTop(one, batch, Ref(Dimension::kFirm, ScopeKind::kCity, "芜湖"), now);
  ExpectSameTop(one, batch, Ref(Dimension::kProduct, ScopeKind::kCity, "合肥"), now);
  std::string a, b;
  one.Serialize(&a);
  batch.Serialize(&b);
  EXPECT_EQ(a, b);
}

TEST(EngineApply, EmptyBatchesChangeNothing) {
  Engine engine;
  engine.ApplyBatch({});
  engine.AdmitBatch({}, 0, nullptr);
  EXPECT_EQ(engine.applied_seq(), 0u);
  EXPECT_EQ(engine.admitted_seq(), 0u);
}

}  // namespace
}  // namespace bangdan
