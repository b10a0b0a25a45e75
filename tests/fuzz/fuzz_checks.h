// What the engine-level fuzz targets require of every input they accept.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bangdan/engine.h"

namespace bangdan::fuzz {

// Stops the run (libFuzzer keeps the input) when a property fails.
inline void Check(bool condition, const char* target, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "%s: %s\n", target, what);
    std::abort();
  }
}

// The engine's state saves, loads and saves again to the same bytes: what a
// snapshot of it would hold, recovery could load.
inline void CheckStateReloads(const Engine& engine, const char* target) {
  std::string state;
  engine.Serialize(&state);
  Engine reloaded;
  const Status s = reloaded.Deserialize(state);
  if (!s.ok()) std::fprintf(stderr, "reload: %s\n", s.ToString().c_str());
  Check(s.ok(), target, "a state that does not load again");
  std::string again;
  reloaded.Serialize(&again);
  Check(again == state, target, "a reloaded state serializes differently");
}

}  // namespace bangdan::fuzz
