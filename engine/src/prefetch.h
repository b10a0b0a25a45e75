// PrefetchLine: starts loading the cache line that holds *p, without waiting for
// it. A hint: p may be any address, it is never dereferenced.
//
// Why not __builtin_prefetch alone: GCC counts that builtin as free of side
// effects, so a function whose only effect is to prefetch (BoardSet::Prefetch,
// Interner::PrefetchRecord, …) is found "pure" — and a call to a pure function
// whose result is unused is deleted, prefetches and all. Until this header,
// GCC 12 at -O3 kept 2 of the ~20 prefetches of Engine::ApplyBatch's pipeline.
// The empty volatile asm is a side effect the optimizer must keep, so the
// function that holds it stays impure and its calls stay; it costs nothing
// (no instruction, and p is in a register for the prefetch anyway).
// tests/engine/prefetch_emitted_test.sh checks the pipeline's prefetches are
// in the built library.
#pragma once

namespace bangdan {

inline void PrefetchLine(const void* p) {
  __builtin_prefetch(p);
  asm volatile("" : : "r"(p));
}

}  // namespace bangdan
