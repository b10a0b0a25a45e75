#!/bin/sh
# The warm-up stages of the apply and replay pipelines do nothing but
# prefetch, so if the compiler drops their prefetches every functional test
# still passes — and apply runs ~1.6× slower. GCC did exactly that until
# engine/src/prefetch.h (see there). This counts the prefetch instructions
# left in the pipelines of an optimized engine library.
#
# Usage: prefetch_emitted_test.sh <objdump> <libbangdan_engine.a>
set -eu
objdump=$1
library=$2

# count <symbol prefix>: prefetch instructions in the functions whose
# mangled name starts with the prefix.
count() {
  "$objdump" -d --no-show-raw-insn "$library" | awk -v want="$1" '
    /^[0-9a-f]+ <.*>:$/ { inside = index($2, "<" want) == 1 }
    inside && /prefetch/ { n++ }
    END { print n + 0 }'
}

status=0
# Engine::ApplyBatch: names' slots, names' records (2), the totals' lookup
# (3), the entries found (2), the day entries through links (2) = 10.
check() {
  n=$(count "$1")
  if [ "$n" -lt "$2" ]; then
    echo "FAIL: $3 has $n prefetch instructions, expected at least $2" >&2
    status=1
  else
    echo "ok: $3 has $n prefetch instructions (at least $2)"
  fi
}
check _ZN7bangdan6Engine10ApplyBatch 8 "Engine::ApplyBatch"
# Replay's SumNotes: the two keys' slots and their sums = 4 at least (their
# day sums' may share an instruction); ApplyNotes, ApplyBatch's last stages
# (8). RollUpSums: each family's lookup slot and entry (ten families), in
# each instance (the total window's, the days').
check _ZN7bangdan6replay8SumNotes 4 "replay's SumNotes"
check _ZN7bangdan6replay10ApplyNotes 8 "replay's ApplyNotes"
check _ZN7bangdan6replay12_GLOBAL__N_110RollUpSums 10 "replay's RollUpSums"
exit $status
