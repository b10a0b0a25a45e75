#!/usr/bin/env python3
"""What a snapshot file holds, counted from its bytes: board entries, names,
dedup ids (bench/durability/run_recovery.sh divides the load time by them).

    python3 bench/durability/snapshot_stats.py DATA_DIR/snapshot-….snap

Reads the file format of docs/format.md ("Snapshot file") and the payload of
docs/engine.md ("The state as bytes", versions 1 to 3); any other version is
refused rather than miscounted. Prints one line of key=value:

    seq=… file_bytes=… entries=… entries_total_window=… days=… names=… dedup_ids=…

`entries` counts every board entry the engine restores (all ten families, the
`total` window and every kept day): the unit of SPEC's "snapshot load ≤ 1 s per
1,000,000 entries". Entries are fixed-size records, so they are skipped, not
decoded; only the names are walked one by one.
"""
import mmap
import os
import struct
import sys

# The ten families of the payload, in order; True: scoped (a u32 scope id
# precedes each entry). city, firm, firm/city, team, team/city, team/firm,
# user, user/team, product, product/city.
SCOPED = [False, False, True, False, True, True, False, True, False, True]


def main(path):
    with open(path, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # may be gigabytes
    if data[:8] != b"BDSNAP\r\n":
        sys.exit(f"{path}: not a snapshot file")
    version, _, seq, length = struct.unpack_from("<IIQQ", data, 8)
    if version != 1:
        sys.exit(f"{path}: snapshot format version {version}, this script reads 1")
    p = 32
    if data[p:p + 8] != b"BDENGINE":
        sys.exit(f"{path}: payload is not an engine state")
    (payload_version,) = struct.unpack_from("<I", data, p + 8)
    if payload_version not in (1, 2, 3):
        sys.exit(f"{path}: engine payload version {payload_version}, this script reads 1 to 3")
    # magic … begin_seq, [end_seq,] has_clock, clock_ms
    p += 8 + 4 + 4 + 4 + 8 + 8 + 8 + (8 if payload_version >= 2 else 0) + 1 + 8

    def walk_names(p, counts):
        for n in counts:
            for _ in range(n):
                (size,) = struct.unpack_from("<I", data, p)
                p += 4 + size
        return p

    if payload_version == 1:  # each dimension's count, then its names
        counts = []
        for _ in range(5):
            (n,) = struct.unpack_from("<I", data, p)
            counts.append(n)
            p = walk_names(p + 4, [n])
    else:  # the counts here, the names at the end
        counts = list(struct.unpack_from("<5I", data, p))
        p += 20
    names = sum(counts)
    dedup, _front = struct.unpack_from("<QQ", data, p)
    if payload_version >= 3:  # the fingerprints, then the runs of receive times
        p += 16 + 16 * dedup
        (runs,) = struct.unpack_from("<Q", data, p)
        p += 8 + 16 * runs
    else:  # each id with its receive time
        p += 16 + 24 * dedup

    def window(p):
        p += 5 * 8
        entries = 0
        for scoped in SCOPED:
            (n,) = struct.unpack_from("<I", data, p)
            p += 4 + n * (56 if scoped else 52)
            entries += n
        return p, entries

    p, total_entries = window(p)
    (days,) = struct.unpack_from("<I", data, p)
    p += 4
    entries = total_entries
    for _ in range(days):
        p, n = window(p + 4)
        entries += n
    if payload_version >= 2:
        p = walk_names(p, counts)
    if p != 32 + length:
        sys.exit(f"{path}: payload ends at {p}, header says {32 + length}: format not understood")
    print(f"seq={seq} file_bytes={os.path.getsize(path)} entries={entries} "
          f"entries_total_window={total_entries} days={days} names={names} dedup_ids={dedup}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: snapshot_stats.py SNAPSHOT_FILE")
    main(sys.argv[1])
