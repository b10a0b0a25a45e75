// KeyCache: what live apply learned of a key — its names' ids and its
// entries in the total window — found again by a print of the names
// (ApplyBatch, engine_apply.cpp).
//
// An event's ten families follow from two keys, (city, firm, team, user) and
// (city, product); a campaign's users buy again and again from the same
// team. Without the cache, every event interns its five names and looks up
// its ten total entries: a dozen hash-table probes, most of them cache misses
// in a campaign of a million users. With it, an event whose keys were seen
// lately reads one line per key and goes straight to its entries.
//
// A key is found by a print of its names' bytes (Print128, hash.h; seeds
// drawn per engine): two keys taken for one would need a collision of the
// prints, about n² / 2^129 for n keys. A name's first event cannot hit — no
// line holds a key with that name yet — so names are still interned in event
// order, by the events that miss.
//
// Two ways, one cache line per key, sized to the users the engine knows up to
// a bound the caller sets (engine_apply.cpp: 2^18 lines, 16 MiB, for people;
// 2^16 for products), filled only with keys that come back (Remember there);
// a key whose line another key took is looked up the long way again and put
// back. Entries never move and the total window's are never freed, so a line
// stays right as long as the engine lives; a state loaded anew starts with
// empty caches. Nothing here is serialized, and the result is the same with
// or without a line. KeyCacheGate, below, rests the caches when keys do not
// come back at all.
//
// Thread safety: none.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "hash.h"
#include "prefetch.h"

namespace bangdan {

class KeyCache {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  using Print = Print128;

  // A key: its names' ids and its entries in the total window, by family
  // (from the key's first family on: city for (city, firm, team, user),
  // product for (city, product)); kNone where the family is not touched.
  struct alignas(64) Line {
    Print print;
    uint32_t id[4];  // id[0] == kNone: no key
    uint32_t entry[8];
  };

  KeyCache() = default;

  // Empties the cache and sizes it for about `keys` keys (a power of two
  // from 1,024 to max_lines lines).
  void Reset(size_t keys, size_t max_lines) {
    size_t lines = 1024;
    while (lines < keys && lines < max_lines) lines *= 2;
    lines_.assign(lines, Line{{0, 0}, {kNone, kNone, kNone, kNone}, {}});
    mask_ = lines - 1;
  }
  size_t lines() const { return lines_.size(); }

  // A key may sit in either line of its pair (two ways: far fewer keys
  // push each other out), which share 128 bytes.
  void Prefetch(const Print& p) const {
    if (lines_.empty()) return;
    const Line* pair = &lines_[p.lo & mask_ & ~size_t{1}];
    PrefetchLine(pair);
    PrefetchLine(pair + 1);
  }
  // The line of the key printed p, or nullptr.
  const Line* Find(const Print& p) const {
    if (lines_.empty()) return nullptr;
    const Line* pair = &lines_[p.lo & mask_ & ~size_t{1}];
    for (int way = 0; way < 2; ++way) {
      if (pair[way].id[0] != kNone && pair[way].print == p) return &pair[way];
    }
    return nullptr;
  }
  void Put(const Line& line) {
    if (lines_.empty()) return;
    Line* pair = &lines_[line.print.lo & mask_ & ~size_t{1}];
    int way = 0;
    if (pair[0].id[0] != kNone && !(pair[0].print == line.print)) {
      way = pair[1].id[0] == kNone || pair[1].print == line.print ? 1 : (line.print.hi & 1);
    }
    pair[way] = line;
  }

  size_t MemoryBytes() const { return lines_.capacity() * sizeof(Line); }

 private:
  std::vector<Line> lines_;
  size_t mask_ = 0;
};

// Whether the caches pay. An event whose keys are not in them costs a print
// and a line more than it would without them: when keys do not repeat (every
// field drawn apart) the caches only cost. Over each trial of kTrial events,
// if fewer than one in eight found its keys, the caches rest for kRest events
// — neither read nor filled — and then try again: such a stream pays for one
// event in 65.
class KeyCacheGate {
 public:
  static constexpr uint64_t kTrial = 4096;
  static constexpr uint64_t kRest = 262'144;

  // Whether a batch of n events uses the caches (decided per batch).
  bool Use(size_t n) {
    if (resting_ == 0) return true;
    resting_ = resting_ > n ? resting_ - n : 0;
    return false;
  }
  // After a batch that used them: how many of its events tried, how many hit.
  void Tally(uint64_t tried, uint64_t hits) {
    tried_ += tried;
    hits_ += hits;
    if (tried_ < kTrial) return;
    if (hits_ * 8 < tried_) resting_ = kRest;
    tried_ = hits_ = 0;
  }
  bool resting() const { return resting_ != 0; }

 private:
  uint64_t tried_ = 0, hits_ = 0;
  uint64_t resting_ = 0;
};

// The print of names n[0], n[1], … (a key's, in its order). The names' sizes
// go into the seeds, so that the same bytes split differently print
// differently.
inline KeyCache::Print PrintNames(const std::string_view* n, int count, const PrintSeeds& seeds) {
  uint64_t sizes = 0;
  for (int i = 0; i < count; ++i) sizes = sizes << 8 | n[i].size();  // names ≤ 128 bytes
  uint64_t lo = seeds.lo ^ sizes, hi = seeds.hi ^ HashInt(sizes);
  for (int i = 0; i < count; ++i) {
    lo = Hash64(n[i], lo);
    hi = Hash64(n[i], hi);
  }
  return KeyCache::Print{lo, hi};
}

}  // namespace bangdan
