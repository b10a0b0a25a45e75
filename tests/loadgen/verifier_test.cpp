#include "verifier.h"

#include <gtest/gtest.h>

#include "model.h"
#include "redis_client.h"

namespace bangdan::loadgen {
namespace {

TEST(BoardCsvTest, ParsesBomHeaderAndQuotedKeys) {
  std::string csv =
      "\xEF\xBB\xBFrank,key,weight_g,amount_fen,orders\r\n"
      "1,\xE5\x90\x88\xE8\x82\xA5,2500,3990,1\r\n"
      "2,\"a,\"\"b\"\"\",-500,-10,0\r\n";
  std::vector<CsvRow> rows;
  ASSERT_TRUE(ParseBoardCsv(csv, &rows).ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, "合肥");
  EXPECT_EQ(rows[0].weight_g, 2500);
  EXPECT_EQ(rows[1].key, "a,\"b\"");
  EXPECT_EQ(rows[1].weight_g, -500);
  EXPECT_EQ(rows[1].rank, 2u);
}

TEST(BoardCsvTest, AnEmptyBoardIsJustTheHeader) {
  std::vector<CsvRow> rows;
  ASSERT_TRUE(ParseBoardCsv("rank,key,weight_g,amount_fen,orders\n", &rows).ok());
  EXPECT_TRUE(rows.empty());
}

TEST(BoardCsvTest, AMalformedRowIsAnError) {
  std::vector<CsvRow> rows;
  EXPECT_FALSE(ParseBoardCsv("rank,key,weight_g,amount_fen,orders\n1,x,2,3\n", &rows).ok());
  EXPECT_FALSE(ParseBoardCsv("something else\n", &rows).ok());
}

TEST(DayAtTest, UsesTheOffset) {
  // 2026-11-22T20:00:00Z is already the 23rd at +08:00.
  const int64_t ms = 1'795'377'600'000;
  EXPECT_EQ(DayAt(ms, "+00:00"), "2026-11-22");
  EXPECT_EQ(DayAt(ms, "+08:00"), "2026-11-23");
  EXPECT_EQ(DayAt(ms, "-05:30"), "2026-11-22");
}

Options TinyCampaign() {
  Options o;
  o.cities = 2;
  o.firms = 2;
  o.teams = 3;
  o.users = 4;
  o.products = 2;
  return o;
}

TEST(ModelTest, EqualValuesRankTheEarlierChangeFirst) {
  Options o = TinyCampaign();
  Campaign c(o);
  Model model(c);
  GenEvent a{0, 0, 0, 0, 0, 1000, 100, false};
  GenEvent b{1, 1, 1, 1, 1, 1000, 100, false};
  model.Apply(b, 1);  // city 1 reaches 1000 g first
  model.Apply(a, 2);
  std::vector<ExpectedRow> rows = model.Board(BoardKind::kCity, 0, Metric::kWeight);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, 1u);
  EXPECT_EQ(rows[1].key, 0u);
}

TEST(ModelTest, RefundsSubtractAndCountAsAChange) {
  Options o = TinyCampaign();
  Campaign c(o);
  Model model(c);
  GenEvent buy{0, 0, 0, 0, 0, 1000, 100, false};
  GenEvent other{1, 1, 1, 1, 1, 500, 50, false};
  model.Apply(buy, 1);
  model.Apply(other, 2);
  GenEvent refund = buy;
  refund.refund = true;
  refund.weight_g = 500;
  refund.amount_fen = 50;
  model.Apply(refund, 3);  // city 0 back to 500 g, changed last: ranks after city 1
  std::vector<ExpectedRow> rows = model.Board(BoardKind::kCity, 0, Metric::kWeight);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, 1u);
  EXPECT_EQ(rows[1].row.value[0], 500);
  EXPECT_EQ(rows[1].row.value[2], 0);  // orders: one purchase minus one refund
  EXPECT_EQ(model.total(Metric::kOrders), 1);
  EXPECT_EQ(model.events(), 3u);
}

TEST(ModelTest, ScopedBoardsCountOnlyTheirScope) {
  Options o = TinyCampaign();
  Campaign c(o);
  Model model(c);
  model.Apply(GenEvent{0, 0, 0, 0, 0, 1000, 100, false}, 1);
  model.Apply(GenEvent{1, 1, 0, 1, 0, 300, 30, false}, 2);
  EXPECT_EQ(model.Scopes(BoardKind::kFirmByCity), (std::vector<uint32_t>{0, 1}));
  std::vector<ExpectedRow> in_city1 = model.Board(BoardKind::kFirmByCity, 1, Metric::kWeight);
  ASSERT_EQ(in_city1.size(), 1u);
  EXPECT_EQ(in_city1[0].row.value[0], 300);
  EXPECT_EQ(model.Board(BoardKind::kFirm, 0, Metric::kWeight)[0].row.value[0], 1300);
  // Boards read, then more applied: what is read next includes it.
  model.Apply(GenEvent{1, 1, 0, 1, 0, 200, 20, false}, 3);
  in_city1 = model.Board(BoardKind::kFirmByCity, 1, Metric::kWeight);
  ASSERT_EQ(in_city1.size(), 1u);
  EXPECT_EQ(in_city1[0].row.value[0], 500);
  EXPECT_TRUE(model.Board(BoardKind::kFirmByCity, 7, Metric::kWeight).empty());  // no such scope
}

TEST(RespTest, CountsOnlyCompleteReplies) {
  size_t consumed = 0;
  uint64_t errors = 0;
  std::string data = "$4\r\n1500\r\n:3\r\n-ERR wrong\r\n$-1\r\n$10\r\n12";
  EXPECT_EQ(CountRespReplies(data, &consumed, &errors), 4u);
  EXPECT_EQ(errors, 1u);
  EXPECT_EQ(data.substr(consumed), "$10\r\n12");
}

}  // namespace
}  // namespace bangdan::loadgen
