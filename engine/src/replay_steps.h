// The steps of ReplayPipeline (engine_replay.cpp): the caller's half
// (Prepare), the helper's half (SumNotes, or ApplyNotes once the log has
// shown that its keys do not repeat), and the roll-up of the sums onto a
// window's boards. docs/engine.md, "Replay: sums first, on two threads".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "apply_steps.h"
#include "bangdan/engine.h"
#include "engine_impl.h"
#include "replay_sums.h"

namespace bangdan::replay {

using apply::EntityIds;
using apply::Fields;

// The order in which a note's names are copied: each key's names lie side by
// side, (product, city) and (city, firm, team, user), so that one pass of a
// hash prints them.
inline constexpr Dimension kNameOrder[kDimensionCount] = {
    Dimension::kProduct, Dimension::kCity, Dimension::kFirm, Dimension::kTeam, Dimension::kUser};

// The print of a key whose names' bytes are `bytes`, their sizes packed in
// `sizes` (so that names split differently print differently).
inline SumTable::Print PrintOf(std::string_view bytes, uint64_t sizes, const PrintSeeds& seeds) {
  return SumTable::Print{Hash64(bytes, seeds.lo ^ sizes), Hash64(bytes, seeds.hi ^ HashInt(sizes))};
}

// What the helper's half needs of one event, noted by the caller's.
struct Note {
  // Into sums: the names' bytes, which the helper prints (and interns for a
  // sum the event creates). Straight onto the entries, the caller interns
  // the names (the entries are the heavier half): their ids.
  size_t names_at;                          // in Notes::names
  uint8_t name_size[kDimensionCount];       // 0: absent
  EntityIds id;
  BoardSet::Change change;
  int32_t day;
  Window* day_window;    // nullptr: the day is not kept
  WindowSums* day_sums;  // its sums; nullptr: not kept, or no sums
};

// A batch's notes, and their names' bytes (copied: the logged events may go
// once Add returns, and names are at most 128 bytes).
struct Notes {
  std::vector<Note> notes;
  std::string names;
  bool into_sums;   // or straight onto the entries
  uint64_t adds;    // the total window's sums the events go to (if into sums)
  Fields FieldsOf(const Note& n) const {
    Fields f;
    size_t at = n.names_at;
    for (const Dimension dim : kNameOrder) {
      const int d = static_cast<int>(dim);
      f[d] = std::string_view(names.data() + at, n.name_size[d]);
      at += n.name_size[d];
    }
    return f;
  }
};

// The sums of the day windows, by day. A day's sums outlive its window
// until the next roll-up (notes may still point to them), which drops them.
using DaySums = std::map<int32_t, std::unique_ptr<WindowSums>>;

// The caller's half of `events`: the clock, the windows' totals (creating
// day windows, freeing those retention drops), the dedup window's eviction,
// and a note of what the helper's half needs. `day_sums`: the days' sums the
// events go to; nullptr: they go straight onto the entries, and the names
// are interned here, in a pipeline as in ApplyBatch (an event's name slots
// load while the events before it are interned, then its names' records).
void Prepare(EngineState& s, std::span<const AdmittedEvent> events, DaySums* day_sums,
             Notes* out);

// The helper's half: each event added to its two keys' sums in the total
// window (found by their prints, made with `seeds`; a key's first event
// interns its names and creates its sum) and, if its day is kept, through
// the total sums' links in its day's window. REQUIRES: batch.into_sums.
void SumNotes(EngineState& s, TotalSums& total, const Notes& batch, const PrintSeeds& seeds);
// The helper's half once the events go straight onto the entries: each event
// (its names interned by the caller) onto its entries as ApplyBatch puts it.
// REQUIRES: !batch.into_sums.
void ApplyNotes(EngineState& s, const Notes& batch);

// Puts the total window's sums on its boards, each key's families once, in
// the order the sums were created — which creates every entry where the
// events one by one would have.
void RollUpTotal(const TotalSums& sums, Window& w);
// The same for day `day`'s window: the total's sums shared with it and its
// own (`own`), in order of their first events.
void RollUpDay(const TotalSums& total, int32_t day, const WindowSums& own, Window& w);

}  // namespace bangdan::replay
