// StateWriter: the engine's state as bytes, written in steps between which
// the engine may go on applying events, so that a snapshot of a large engine
// never holds the engine for long.
//
// What it writes is "fuzzy": each part is as it was when its step wrote it.
// Two sequence numbers describe it: begin_seq, the engine's applied_seq at
// the first step, and end_seq, its applied_seq at the last step. Every
// event up to begin_seq is wholly in the state; none after end_seq is in it
// at all; one in between may be in some entries and not in others.
// Engine::Deserialize loads it as the state at begin_seq, and replaying the
// log from begin_seq + 1 makes it exact again: while an event is at or below
// end_seq, each entry (and each window's totals) takes it only if its own
// last change is older (docs/engine.md, "Snapshots in steps"). The log must
// therefore hold every event up to end_seq before the result is relied on.
//
// With a budget larger than the state, one Step writes it all at one
// instant: that is Engine::Serialize (begin_seq == end_seq).
//
// Thread safety: none. The caller keeps the engine unchanged during each
// Step (holds its lock), and never calls Engine::Deserialize while a writer
// of that engine lives. Making a writer and Reserve do not read the engine:
// they need no lock, and a server does its allocating there, not under the
// lock (a new thread's first allocations took up to 40 ms of page faults).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bangdan {

class Engine;

class StateWriter {
 public:
  // Reads nothing of the engine yet: the first Step begins the state.
  explicit StateWriter(const Engine& engine);
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // Writes about `budget_bytes` more of the state (at least one item);
  // returns true once all of it is written.
  bool Step(size_t budget_bytes);

  // Allocates (and touches) memory for `bytes` more, so that the next steps
  // take no page fault. Needs no lock: it does not look at the engine.
  void Reserve(size_t bytes);

  // REQUIRES: a Step was taken.
  uint64_t begin_seq() const;
  // The engine's applied_seq at the last Step.
  uint64_t end_seq() const;
  // Bytes written so far.
  size_t size() const;

  // REQUIRES: Step returned true. Moves the encoding out (once).
  std::string Take();
  // REQUIRES: Step returned true. The encoding in pieces, without a copy:
  // valid while the writer lives (and Take was not called).
  std::vector<std::string_view> Pieces() const;

 private:
  friend class Engine;  // Serialize: one step into a buffer of the state's size
  StateWriter(const Engine& engine, size_t first_chunk_bytes);

  struct Cursor;
  const Engine* engine_;
  std::unique_ptr<Cursor> cursor_;
};

}  // namespace bangdan
