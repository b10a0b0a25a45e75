// Workload: the generated campaign and its pre-built frames (SPEC §8).
//
// Campaign. A purchase is made by a user; the user belongs to one team, the
// team to one estate run by one firm in one city — so the city, firm and team
// boards relate the way a real campaign's do, and scoped boards (firms in a
// city, teams of a firm) have realistic sizes. Users, the team of each user,
// the firm and city of each team, and products are all drawn Zipf(s).
//
// Frame pool. The JSON of every frame is built before the timed phase, so
// sending costs a memcpy and the patching of 16 hex digits per event id, never
// JSON formatting (the generator must not be the bottleneck on a machine it
// shares with the server). A run longer than the pool cycles through it with
// fresh ids: content repeats, ids never do.
//
// Refunds take back a purchase sent earlier on the same connection, each
// purchase at most once, so no board goes below zero (FramePool's pass 1).
//
// Duplicates are exact retries: a retry slot of frame k repeats the id and the
// bytes of a fresh slot of frame k - retry_distance() on the same connection,
// which the pipelining window guarantees was acked before frame k is sent. So
// every ack has one right answer, and --verify can know each event's verdict.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"
#include "zipf.h"

namespace bangdan::loadgen {

struct GenEvent {
  uint32_t user, team, firm, city, product;
  int64_t weight_g;
  int64_t amount_fen;
  bool refund;
};

class Campaign {
 public:
  explicit Campaign(const Options& options);

  // A purchase drawn from the campaign's distributions.
  GenEvent Purchase(Rng& rng) const;

  const std::string& city(uint32_t i) const { return cities_[i]; }
  const std::string& firm(uint32_t i) const { return firms_[i]; }
  const std::string& team(uint32_t i) const { return teams_[i]; }
  const std::string& user(uint32_t i) const { return users_[i]; }
  const std::string& product(uint32_t i) const { return products_[i]; }
  uint32_t cities() const { return static_cast<uint32_t>(cities_.size()); }
  uint32_t firms() const { return static_cast<uint32_t>(firms_.size()); }
  uint32_t teams() const { return static_cast<uint32_t>(teams_.size()); }
  uint32_t users() const { return static_cast<uint32_t>(users_.size()); }
  uint32_t products() const { return static_cast<uint32_t>(products_.size()); }

 private:
  std::vector<std::string> cities_, firms_, teams_, users_, products_;
  std::vector<uint32_t> team_of_user_, firm_of_team_, city_of_team_;
  std::vector<int64_t> price_fen_per_jin_;  // per product
  ZipfSampler user_sampler_, product_sampler_;
};

// The pool frame that connection `conn` of `connections` sends first; it
// goes on from there in order, round the pool. Connections start at
// different points so that they do not send the same content in lockstep.
uint64_t StartFrame(uint32_t conn, uint32_t connections, uint64_t pool_frames);

// One event's place in a frame.
struct Slot {
  uint32_t event;      // index into FramePool::events()
  uint32_t id_offset;  // the id's 16 hex digits start here in the frame text
  int32_t retry_of;    // -1: fresh; else the slot of frame k - retry_distance() it retries
};

struct FrameTemplate {
  std::string text;  // the frame's JSON, ids zeroed
  std::vector<Slot> slots;
};

class FramePool {
 public:
  // Builds ceil(pool_events / batch) frames. retry_distance must exceed the
  // pipelining window. REQUIRES: options passed CheckOptions.
  FramePool(const Campaign& campaign, const Options& options, uint64_t pool_events,
            uint32_t retry_distance, std::string id_prefix);

  uint64_t frames() const { return frames_.size(); }
  uint32_t batch() const { return batch_; }
  uint32_t retry_distance() const { return retry_distance_; }
  const std::vector<GenEvent>& events() const { return events_; }

  // The template that frame k of connection `conn` of `connections` is sent from.
  const FrameTemplate& TemplateFor(uint32_t conn, uint32_t connections, uint64_t k) const;

  // True if slot `s` of frame k is sent as a retry (a duplicate by design).
  bool IsRetry(uint64_t k, const Slot& s) const { return s.retry_of >= 0 && k >= retry_distance_; }

  // The frame text with its ids filled in for frame k of connection `conn`.
  void Render(uint32_t conn, uint32_t connections, uint64_t k, std::string* out) const;

  // The id an event would carry: prefix-<16 hex digits of conn<<40 | counter>.
  std::string IdOf(uint32_t conn, uint64_t counter) const;

 private:
  uint32_t batch_;
  uint32_t retry_distance_;
  std::string id_prefix_;
  std::vector<GenEvent> events_;
  std::vector<FrameTemplate> frames_;
};

// Appends the JSON of one event with a zeroed id; *id_offset gets the position
// of the id's hex digits in *out.
void AppendEventJson(const Campaign& c, const GenEvent& e, const std::string& id_prefix,
                     std::string* out, uint32_t* id_offset);

}  // namespace bangdan::loadgen
