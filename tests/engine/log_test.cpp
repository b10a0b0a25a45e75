// The block log format: log::Writer framing, log::Reader reading it back and
// telling a torn tail (the writer died) from corruption. In the spirit of
// leveldb's db/log_test.cc: a file in memory, and functions that damage it.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "state_codec.h"
#include "storage/crc32c.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "storage/log_writer.h"
#include "storage/record_codec.h"

namespace bangdan::log {
namespace {

// A string of length n made of copies of `partial`.
std::string BigString(const std::string& partial, size_t n) {
  std::string s;
  while (s.size() < n) s += partial;
  s.resize(n);
  return s;
}

std::string NumberString(int n) { return std::to_string(n) + "."; }

class LogTest : public ::testing::Test {
 protected:
  void Write(const std::string& record) {
    // The record starts after the padding of a block tail too short for a header.
    size_t start = file_.size();
    if (kBlockSize - start % kBlockSize < kHeaderSize) start += kBlockSize - start % kBlockSize;
    offsets_.push_back(start);
    writer_.AddRecord(record, &file_);
  }

  // Reads every record; returns them, leaving the reader's end in end_.
  std::vector<std::string> ReadAll() {
    Reader reader(file_);
    std::vector<std::string> out;
    std::string scratch;
    std::string_view record;
    uint64_t offset = 0;
    read_offsets_.clear();
    while (reader.ReadRecord(&record, &scratch, &offset)) {
      out.emplace_back(record);
      read_offsets_.push_back(offset);
    }
    end_ = reader.end();
    valid_end_ = reader.valid_end();
    damage_offset_ = reader.damage_offset();
    damage_ = reader.damage();
    return out;
  }

  void IncrementByte(size_t offset, int delta) { file_[offset] = static_cast<char>(file_[offset] + delta); }
  void SetByte(size_t offset, char value) { file_[offset] = value; }
  void ShrinkTo(size_t size) { file_.resize(size); }

  // Recomputes the CRC of the fragment whose header is at `offset`.
  void FixChecksum(size_t offset, size_t length) {
    uint32_t crc = crc32c::Mask(crc32c::Value(file_.data() + offset + 6, 1 + length));
    for (int i = 0; i < 4; ++i) file_[offset + i] = static_cast<char>(crc >> (8 * i));
  }

  std::string file_;
  Writer writer_;
  std::vector<uint64_t> offsets_;
  std::vector<uint64_t> read_offsets_;
  Reader::End end_ = Reader::End::kNotYet;
  uint64_t valid_end_ = 0;
  uint64_t damage_offset_ = 0;
  std::string damage_;
};

using Strings = std::vector<std::string>;

TEST_F(LogTest, EmptyFileEndsCleanly) {
  EXPECT_EQ(Strings{}, ReadAll());
  EXPECT_EQ(Reader::End::kClean, end_);
  EXPECT_EQ(0u, valid_end_);
}

TEST_F(LogTest, RecordsComeBackInOrderWithTheirOffsets) {
  Write("foo");
  Write("bar");
  Write("");
  Write("xxxx");
  EXPECT_EQ((Strings{"foo", "bar", "", "xxxx"}), ReadAll());
  EXPECT_EQ(Reader::End::kClean, end_);
  EXPECT_EQ(offsets_, read_offsets_);
  EXPECT_EQ(file_.size(), valid_end_);
}

TEST_F(LogTest, ManyBlocksOfSmallRecordsRoundTrip) {
  Strings expected;
  for (int i = 0; i < 100000; ++i) {
    Write(NumberString(i));
    expected.push_back(NumberString(i));
  }
  EXPECT_GT(file_.size(), 10 * kBlockSize);
  EXPECT_EQ(expected, ReadAll());
  EXPECT_EQ(offsets_, read_offsets_);
}

TEST_F(LogTest, RecordsSpanningBlocksAreReassembled) {
  Write("small");
  Write(BigString("medium", 50000));
  Write(BigString("large", 100000));
  EXPECT_EQ((Strings{"small", BigString("medium", 50000), BigString("large", 100000)}),
            ReadAll());
  EXPECT_EQ(offsets_, read_offsets_);
}

TEST_F(LogTest, ExactlyAHeaderLeftInABlockGetsAnEmptyFirstFragment) {
  const size_t n = kBlockSize - 2 * kHeaderSize;
  Write(BigString("foo", n));
  EXPECT_EQ(kBlockSize - kHeaderSize, file_.size());
  Write("bar");  // an empty FIRST fills the block, "bar" comes as LAST
  EXPECT_EQ(kFirstType, static_cast<uint8_t>(file_[kBlockSize - kHeaderSize + 6]));
  EXPECT_EQ((Strings{BigString("foo", n), "bar"}), ReadAll());
  EXPECT_EQ(Reader::End::kClean, end_);
}

TEST_F(LogTest, EmptyRecordInTheLastHeaderOfABlockIsFull) {
  const size_t n = kBlockSize - 2 * kHeaderSize;
  Write(BigString("foo", n));
  Write("");
  Write("bar");
  EXPECT_EQ((Strings{BigString("foo", n), "", "bar"}), ReadAll());
}

TEST_F(LogTest, ShortBlockTrailerIsPaddedAndSkipped) {
  const size_t n = kBlockSize - 2 * kHeaderSize + 4;
  Write(BigString("foo", n));
  EXPECT_EQ(kBlockSize - kHeaderSize + 4, file_.size());
  Write("");
  Write("bar");
  EXPECT_EQ((Strings{BigString("foo", n), "", "bar"}), ReadAll());
  EXPECT_EQ(Reader::End::kClean, end_);
}

TEST_F(LogTest, FileEndingInsideABlockTrailerEndsCleanly) {
  const size_t n = kBlockSize - 2 * kHeaderSize + 4;
  Write(BigString("foo", n));
  EXPECT_EQ((Strings{BigString("foo", n)}), ReadAll());
  EXPECT_EQ(Reader::End::kClean, end_);
  EXPECT_EQ(file_.size(), valid_end_);
}

TEST_F(LogTest, TornTailAtEveryByteOfTheLastRecordIsCutAtItsStart) {
  // The last record spans a block boundary, so the cuts fall into its FIRST
  // fragment, the boundary, and its LAST fragment.
  Write("first");
  Write(BigString("second", kBlockSize - 100));
  Write(BigString("last", 300));
  const std::string whole = file_;
  const size_t last_start = offsets_[2];
  for (size_t cut = last_start + 1; cut < whole.size(); ++cut) {
    file_ = whole.substr(0, cut);
    Strings got = ReadAll();
    ASSERT_EQ(2u, got.size()) << "cut at " << cut;
    ASSERT_EQ(Reader::End::kTorn, end_) << "cut at " << cut << ": " << damage_;
    ASSERT_EQ(last_start, valid_end_) << "cut at " << cut;
  }
}

TEST_F(LogTest, TornTailAtEveryByteOfASmallLastRecordIsCutAtItsStart) {
  for (int i = 0; i < 10; ++i) Write(NumberString(i));
  const std::string whole = file_;
  for (size_t cut = offsets_.back() + 1; cut < whole.size(); ++cut) {
    file_ = whole.substr(0, cut);
    ASSERT_EQ(9u, ReadAll().size()) << "cut at " << cut;
    ASSERT_EQ(Reader::End::kTorn, end_);
    ASSERT_EQ(offsets_.back(), valid_end_);
  }
}

TEST_F(LogTest, FragmentedRecordCutAtABlockBoundaryIsTorn) {
  Write("a");
  Write(BigString("big", 2 * kBlockSize));
  ShrinkTo(kBlockSize);
  EXPECT_EQ(Strings{"a"}, ReadAll());
  EXPECT_EQ(Reader::End::kTorn, end_);
  EXPECT_EQ(offsets_[1], valid_end_);
}

TEST_F(LogTest, ZeroFilledTailIsTorn) {
  Write("foo");
  Write("bar");
  const size_t size = file_.size();
  file_.append(10000, '\0');  // preallocated, or written by a crash
  EXPECT_EQ((Strings{"foo", "bar"}), ReadAll());
  EXPECT_EQ(Reader::End::kTorn, end_);
  EXPECT_EQ(size, valid_end_);
  EXPECT_EQ("zero-filled header", damage_);
}

TEST_F(LogTest, WholeZeroBlocksAfterTheDataAreTorn) {
  Write("foo");
  file_.append(3 * kBlockSize, '\0');
  EXPECT_EQ(Strings{"foo"}, ReadAll());
  EXPECT_EQ(Reader::End::kTorn, end_);
  EXPECT_EQ(offsets_[0] + kHeaderSize + 3, valid_end_);
}

TEST_F(LogTest, HeaderCutByTheEndOfTheFileIsTorn) {
  Write("foo");
  file_.append("\x01\x02\x03", 3);
  EXPECT_EQ(Strings{"foo"}, ReadAll());
  EXPECT_EQ(Reader::End::kTorn, end_);
  EXPECT_EQ(kHeaderSize + 3, valid_end_);
}

TEST_F(LogTest, BitFlipFollowedByIntactRecordsIsCorruption) {
  Write("foo");
  Write("bar");
  Write("baz");
  IncrementByte(offsets_[1] + kHeaderSize, 1);  // a payload byte of "bar"
  EXPECT_EQ(Strings{"foo"}, ReadAll());
  EXPECT_EQ(Reader::End::kCorruption, end_);
  EXPECT_EQ(offsets_[1], damage_offset_);
  EXPECT_EQ("checksum mismatch", damage_);
}

TEST_F(LogTest, BitFlipInTheChecksumItselfIsCorruption) {
  Write("foo");
  Write("bar");
  IncrementByte(0, 1);
  EXPECT_EQ(Strings{}, ReadAll());
  EXPECT_EQ(Reader::End::kCorruption, end_);
  EXPECT_EQ(0u, damage_offset_);
}

TEST_F(LogTest, BitFlipBeforeALaterBlockIsCorruptionEvenIfTheLengthIsBad) {
  Write("foo");
  Write(BigString("x", 2 * kBlockSize));
  SetByte(offsets_[0] + 5, static_cast<char>(0xff));  // the length of "foo" now runs past its block
  EXPECT_EQ(Strings{}, ReadAll());
  EXPECT_EQ(Reader::End::kCorruption, end_);
  EXPECT_EQ("bad record length", damage_);
}

TEST_F(LogTest, BitFlipInTheLastRecordIsATornTail) {
  // Indistinguishable from a write that reached the file size but not all
  // of its data: nothing intact follows it.
  Write("foo");
  Write("bar");
  IncrementByte(offsets_[1] + kHeaderSize, 1);
  EXPECT_EQ(Strings{"foo"}, ReadAll());
  EXPECT_EQ(Reader::End::kTorn, end_);
  EXPECT_EQ(offsets_[1], valid_end_);
}

TEST_F(LogTest, BadLengthAtTheEndIsTorn) {
  Write("foo");
  Write("bar");
  SetByte(offsets_[1] + 4, 100);  // "bar" claims 100 bytes; the file ends first
  FixChecksum(offsets_[1], 3);
  EXPECT_EQ(Strings{"foo"}, ReadAll());
  EXPECT_EQ(Reader::End::kTorn, end_);
  EXPECT_EQ(offsets_[1], valid_end_);
}

TEST_F(LogTest, BadTypeFollowedByIntactRecordsIsCorruption) {
  Write("foo");
  Write("bar");
  SetByte(6, 9);
  FixChecksum(0, 3);
  EXPECT_EQ(Strings{}, ReadAll());
  EXPECT_EQ(Reader::End::kCorruption, end_);
  EXPECT_EQ("bad record type", damage_);
}

TEST_F(LogTest, MissingFirstFragmentIsCorruption) {
  Write(BigString("big", 2 * kBlockSize));
  Write("after");
  file_.erase(0, kBlockSize);  // the file now starts with a MIDDLE fragment
  EXPECT_EQ(Strings{}, ReadAll());
  EXPECT_EQ(Reader::End::kCorruption, end_);
  EXPECT_EQ("MIDDLE fragment without a FIRST", damage_);
}

TEST_F(LogTest, WriterResetContinuesTheBlockLayoutOfATruncatedFile) {
  Write("foo");
  Write(BigString("big", kBlockSize));
  ShrinkTo(offsets_[1]);  // cut back, as after a rollback
  writer_.Reset(file_.size());
  Write(BigString("again", kBlockSize + 10));
  EXPECT_EQ((Strings{"foo", BigString("again", kBlockSize + 10)}), ReadAll());
  EXPECT_EQ(Reader::End::kClean, end_);
}

// ---- The event record carried in the log ----

TEST(EventRecordTest, EveryFieldRoundTrips) {
  Event e;
  e.id = "ord-1";
  e.city = "合肥";
  e.firm = "万科物业";
  e.team = "创源战队";
  e.user = "u42";
  e.product = "砀山酥梨";
  e.weight_g = 1'000'000'000;
  e.amount_fen = 1'000'000'000'000;
  e.ts_ms = 1'795'363'200'123;
  e.has_ts = true;
  e.refund = true;
  std::string record = "prefix";
  EncodeEvent(e, 0xfedcba9876543210ull, -5, &record);
  Event d;
  uint64_t seq = 0;
  int64_t recv_ms = 0;
  ASSERT_TRUE(DecodeEvent(std::string_view(record).substr(6), &d, &seq, &recv_ms).ok());
  EXPECT_EQ(0xfedcba9876543210ull, seq);
  EXPECT_EQ(-5, recv_ms);
  EXPECT_EQ(e.id, d.id);
  EXPECT_EQ(e.city, d.city);
  EXPECT_EQ(e.firm, d.firm);
  EXPECT_EQ(e.team, d.team);
  EXPECT_EQ(e.user, d.user);
  EXPECT_EQ(e.product, d.product);
  EXPECT_EQ(e.weight_g, d.weight_g);
  EXPECT_EQ(e.amount_fen, d.amount_fen);
  EXPECT_EQ(e.ts_ms, d.ts_ms);
  EXPECT_TRUE(d.has_ts);
  EXPECT_TRUE(d.refund);
}

TEST(EventRecordTest, AbsentOptionalsAndTsDecodeAsAbsent) {
  Event e;
  e.id = "x";
  e.city = "c";
  e.firm = "f";
  e.ts_ms = 99;  // ignored: has_ts is false
  std::string record;
  EncodeEvent(e, 1, 2, &record);
  EXPECT_EQ(kEventHeaderSize + 3, record.size());
  Event d;
  uint64_t seq = 0;
  int64_t recv_ms = 0;
  ASSERT_TRUE(DecodeEvent(record, &d, &seq, &recv_ms).ok());
  EXPECT_TRUE(d.team.empty() && d.user.empty() && d.product.empty());
  EXPECT_FALSE(d.has_ts);
  EXPECT_EQ(0, d.ts_ms);
  EXPECT_FALSE(d.refund);
}

TEST(EventRecordTest, MalformedRecordsAreCorruption) {
  Event e;
  e.id = "x";
  e.city = "c";
  e.firm = "f";
  std::string good;
  EncodeEvent(e, 1, 2, &good);
  Event d;
  uint64_t seq = 0;
  int64_t recv_ms = 0;
  auto decode = [&](const std::string& r) { return DecodeEvent(r, &d, &seq, &recv_ms); };

  EXPECT_TRUE(decode(good.substr(0, kEventHeaderSize - 1)).IsCorruption());
  EXPECT_TRUE(decode(good.substr(0, good.size() - 1)).IsCorruption());
  EXPECT_TRUE(decode(good + "z").IsCorruption());
  std::string bad = good;
  bad[0] = 2;  // a record kind this build does not know
  EXPECT_TRUE(decode(bad).IsCorruption());
  bad = good;
  bad[1] = 4;  // an unknown flag
  EXPECT_TRUE(decode(bad).IsCorruption());
  bad = good;
  bad[42] = 9;  // the id's length no longer matches the record
  EXPECT_TRUE(decode(bad).IsCorruption());
}

// Decodes the record of `e`, received at recv_ms.
Status DecodeEncoded(const Event& e, int64_t recv_ms) {
  std::string record;
  EncodeEvent(e, 1, recv_ms, &record);
  Event d;
  uint64_t seq = 0;
  int64_t decoded_recv_ms = 0;
  return DecodeEvent(record, &d, &seq, &decoded_recv_ms);
}

Event MinimalEvent() {
  Event e;
  e.id = "x";
  e.city = "c";
  e.firm = "f";
  return e;
}

// Found by the log_segment fuzzer: replaying a record with an empty city
// grew the city board to 2^32 entries (an empty string is an absent name).
TEST(EventRecordTest, ARecordWithoutARequiredStringIsCorruption) {
  for (std::string_view Event::*field : {&Event::id, &Event::city, &Event::firm}) {
    Event e = MinimalEvent();
    e.*field = "";
    const Status s = DecodeEncoded(e, 2);
    EXPECT_TRUE(s.IsCorruption());
    EXPECT_NE(std::string::npos, s.message().find("empty")) << s.message();
  }
}

// Replay notes a name's size in a byte: a name longer than §1 allows is
// corruption, not an event.
TEST(EventRecordTest, ANameLongerThanAnEventMayHaveIsCorruption) {
  const std::string long_name(200, 'x');  // a length the record can hold (a byte)
  for (std::string_view Event::*field :
       {&Event::id, &Event::city, &Event::firm, &Event::team, &Event::user, &Event::product}) {
    Event e = MinimalEvent();
    e.*field = long_name;
    const Status s = DecodeEncoded(e, 2);
    EXPECT_TRUE(s.IsCorruption());
    EXPECT_NE(std::string::npos, s.message().find("200-byte")) << s.message();
  }
  Event e = MinimalEvent();
  e.user = std::string_view(long_name).substr(0, kMaxNameBytes);
  EXPECT_TRUE(DecodeEncoded(e, 2).ok());
}

// On replay, a weight beyond SPEC §1's overflowed the engine's sums (found by
// the log_segment fuzzer), and a far-off time its day arithmetic.
TEST(EventRecordTest, AValueOrTimeNoValidEventHasIsCorruption) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Event e = MinimalEvent();
  for (int64_t w : {int64_t{-1}, kMaxWeightG + 1, kMax}) {
    e.weight_g = w;
    const Status s = DecodeEncoded(e, 2);
    EXPECT_TRUE(s.IsCorruption()) << w;
    EXPECT_NE(std::string::npos, s.message().find("weight_g")) << s.message();
  }
  e = MinimalEvent();
  for (int64_t a : {int64_t{-1}, kMaxAmountFen + 1}) {
    e.amount_fen = a;
    EXPECT_NE(std::string::npos, DecodeEncoded(e, 2).message().find("amount_fen")) << a;
  }
  e = MinimalEvent();
  for (int64_t t : {std::numeric_limits<int64_t>::min(), state_codec::kMinTimeMs - 1,
                    state_codec::kMaxTimeMs + 1, kMax}) {
    EXPECT_NE(std::string::npos, DecodeEncoded(e, t).message().find("recv_ms")) << t;
    e.has_ts = true;
    e.ts_ms = t;
    EXPECT_NE(std::string::npos, DecodeEncoded(e, 2).message().find("ts_ms")) << t;
    e.has_ts = false;  // then ts_ms is not the event's time, and not read
    EXPECT_TRUE(DecodeEncoded(e, 2).ok()) << t;
  }
}

TEST(EventRecordTest, TheBoundsThemselvesDecode) {
  Event e = MinimalEvent();
  e.weight_g = kMaxWeightG;
  e.amount_fen = kMaxAmountFen;
  e.has_ts = true;
  for (int64_t t : {state_codec::kMinTimeMs, int64_t{-5}, state_codec::kMaxTimeMs}) {
    e.ts_ms = t;
    EXPECT_TRUE(DecodeEncoded(e, t).ok()) << t;
  }
}

}  // namespace
}  // namespace bangdan::log
