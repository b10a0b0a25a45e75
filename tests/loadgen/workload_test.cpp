#include "workload.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace bangdan::loadgen {
namespace {

Options SmallCampaign() {
  Options o;
  o.cities = 5;
  o.firms = 12;
  o.teams = 40;
  o.users = 300;
  o.products = 20;
  o.batch = 10;
  o.seed = 11;
  o.refunds = 0.05;
  o.duplicates = 0.1;
  return o;
}

// The id written at slot j of a rendered frame.
std::string IdAt(const std::string& text, const Slot& slot) { return text.substr(slot.id_offset, 16); }

TEST(WorkloadTest, SameSeedBuildsTheSameFrames) {
  Options o = SmallCampaign();
  Campaign c1(o), c2(o);
  FramePool a(c1, o, 500, 10, "p"), b(c2, o, 500, 10, "p");
  ASSERT_EQ(a.frames(), b.frames());
  for (uint64_t k = 0; k < a.frames(); ++k) EXPECT_EQ(a.TemplateFor(0, 1, k).text, b.TemplateFor(0, 1, k).text);
}

TEST(WorkloadTest, ATeamAlwaysHasTheSameFirmAndCity) {
  Options o = SmallCampaign();
  Campaign c(o);
  Rng rng(5);
  std::map<uint32_t, std::pair<uint32_t, uint32_t>> seen;
  for (int i = 0; i < 2'000; ++i) {
    GenEvent e = c.Purchase(rng);
    auto [it, fresh] = seen.emplace(e.team, std::make_pair(e.firm, e.city));
    if (!fresh) {
      ASSERT_EQ(it->second, std::make_pair(e.firm, e.city));
    }
    ASSERT_GT(e.weight_g, 0);
    ASSERT_GT(e.amount_fen, 0);
  }
}

TEST(WorkloadTest, FreshIdsNeverRepeatAndRetriesRepeatAnEarlierFramesId) {
  Options o = SmallCampaign();
  Campaign c(o);
  const uint32_t distance = 10;
  FramePool pool(c, o, 300, distance, "run");  // 30 frames, cycled below
  std::set<std::string> fresh_ids;
  std::vector<std::string> rendered;
  uint64_t retries = 0;
  for (uint64_t k = 0; k < 100; ++k) {
    std::string text;
    pool.Render(0, 1, k, &text);
    rendered.push_back(text);
    const FrameTemplate& t = pool.TemplateFor(0, 1, k);
    for (const Slot& s : t.slots) {
      std::string id = IdAt(text, s);
      if (pool.IsRetry(k, s)) {
        ++retries;
        // Same id and same event as the slot it retries, `distance` frames back.
        const FrameTemplate& before = pool.TemplateFor(0, 1, k - distance);
        const Slot& original = before.slots[static_cast<uint32_t>(s.retry_of)];
        ASSERT_FALSE(pool.IsRetry(k - distance, original));
        EXPECT_EQ(id, IdAt(rendered[k - distance], original));
        EXPECT_EQ(s.event, original.event);
      } else {
        EXPECT_TRUE(fresh_ids.insert(id).second) << "id " << id << " sent fresh twice";
      }
    }
  }
  EXPECT_GT(retries, 0u);
}

TEST(WorkloadTest, ConnectionsUseDisjointIds) {
  Options o = SmallCampaign();
  o.duplicates = 0;
  Campaign c(o);
  FramePool pool(c, o, 100, 10, "x");
  std::string a, b;
  pool.Render(0, 2, 0, &a);
  pool.Render(1, 2, 0, &b);
  EXPECT_NE(IdAt(a, pool.TemplateFor(0, 2, 0).slots[0]), IdAt(b, pool.TemplateFor(1, 2, 0).slots[0]));
  EXPECT_EQ(pool.IdOf(1, 0), "x-" + IdAt(b, pool.TemplateFor(1, 2, 0).slots[0]));
}

TEST(WorkloadTest, FramesAreJsonArraysOfEventsWithEveryField) {
  Options o = SmallCampaign();
  Campaign c(o);
  FramePool pool(c, o, 100, 10, "p");
  std::string text;
  pool.Render(0, 1, 0, &text);
  EXPECT_EQ(text.front(), '[');
  EXPECT_EQ(text.back(), ']');
  for (const char* field : {"\"id\":\"p-", "\"city\":", "\"firm\":", "\"team\":", "\"user\":", "\"product\":",
                            "\"weight_g\":", "\"amount_fen\":"}) {
    EXPECT_NE(text.find(field), std::string::npos) << field;
  }
}

TEST(WorkloadTest, SingleEventFramesAreBareObjects) {
  Options o = SmallCampaign();
  o.batch = 1;
  Campaign c(o);
  FramePool pool(c, o, 10, 10, "p");
  std::string text;
  pool.Render(0, 1, 3, &text);
  EXPECT_EQ(text.front(), '{');
  EXPECT_EQ(text.back(), '}');
}

TEST(WorkloadTest, RefundsAppearAtRoughlyTheirShare) {
  Options o = SmallCampaign();
  o.refunds = 0.1;
  o.duplicates = 0;
  Campaign c(o);
  FramePool pool(c, o, 20'000, 10, "p");
  uint64_t refunds = 0;
  for (const GenEvent& e : pool.events()) refunds += e.refund;
  EXPECT_NEAR(static_cast<double>(refunds) / pool.events().size(), 0.1, 0.01);
}

// Whenever a run stops, every user's sums are at least zero: each refund a
// connection sends takes back a purchase it sent before, never one it has
// not sent yet, never one already taken back, never a refund. Checked for
// every connection over two passes round the pool, after every frame, with
// retries in the mix (a retry repeats an id, so the server counts it once).
TEST(WorkloadTest, ARefundTakesBackAPurchaseItsConnectionSentBefore) {
  Options o = SmallCampaign();
  o.refunds = 0.3;
  o.duplicates = 0.1;
  o.connections = 3;
  o.users = 40;  // few users: a refund's purchase is often the user's only one
  Campaign c(o);
  FramePool pool(c, o, 3'000, 10, "p");
  for (uint32_t conn = 0; conn < o.connections; ++conn) {
    std::map<uint32_t, int64_t> weight, orders;  // by user
    for (uint64_t k = 0; k < 2 * pool.frames(); ++k) {
      const FrameTemplate& t = pool.TemplateFor(conn, o.connections, k);
      for (const Slot& slot : t.slots) {
        if (pool.IsRetry(k, slot)) continue;
        const GenEvent& e = pool.events()[slot.event];
        weight[e.user] += e.refund ? -e.weight_g : e.weight_g;
        orders[e.user] += e.refund ? -1 : 1;
        ASSERT_GE(weight[e.user], 0) << "connection " << conn << " frame " << k << " user " << e.user;
        ASSERT_GE(orders[e.user], 0) << "connection " << conn << " frame " << k << " user " << e.user;
      }
    }
  }
  uint64_t refunds = 0;
  for (const GenEvent& e : pool.events()) refunds += e.refund;
  EXPECT_GT(refunds, pool.events().size() / 5);  // the rule still leaves refunds their share
}

}  // namespace
}  // namespace bangdan::loadgen
