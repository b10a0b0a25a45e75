#!/usr/bin/env python3
"""Many distinct /v1/stream views against a running bangdan-server.

  many_views.py PORT around N SECONDS   N "around" views (radius 2), one per user
                                        of the user board's top N, held SECONDS
                                        (100 a connection); prints the messages read
  many_views.py PORT memory N           N distinct top views of the user board
                                        (top 1000, 999, … by each metric); prints
                                        the server's resident memory before and after

What a tick costs when it must refresh many views (bench/RESULTS.md, "Views
refreshed in stretches"): run `around` beside a paced bangdan-loadgen and read
its ack latency. Needs Debian's python3-websockets and a server whose user
board has at least N users (a loadgen run fills it).
"""
import asyncio
import json
import re
import sys
import time
import urllib.request

import websockets

PER_CONNECTION = 100


def metric(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    return int(re.search(rf"^{name} (\d+)", text, re.M).group(1))


def top_users(port, n):
    keys = []
    while len(keys) < n:
        url = f"http://127.0.0.1:{port}/v1/boards/user?limit=1000&offset={len(keys)}"
        rows = json.load(urllib.request.urlopen(url))["rows"]
        if not rows:
            break
        keys += [r["key"] for r in rows]
    return keys[:n]


async def hold_around(port, keys, seconds):
    async with websockets.connect(f"ws://127.0.0.1:{port}/v1/stream", max_size=None) as ws:
        for i, key in enumerate(keys):
            await ws.send(json.dumps({"op": "subscribe", "sub": f"s{i}", "board": "user",
                                      "around": key, "radius": 2}))
        read, end = 0, time.time() + seconds
        while time.time() < end:
            try:
                await asyncio.wait_for(ws.recv(), timeout=max(0.01, end - time.time()))
                read += 1
            except asyncio.TimeoutError:
                pass
        return read


async def around(port, n, seconds):
    keys = top_users(port, n)
    chunks = [keys[i:i + PER_CONNECTION] for i in range(0, len(keys), PER_CONNECTION)]
    read = await asyncio.gather(*(hold_around(port, c, seconds) for c in chunks))
    print(f"around views {len(keys)}, messages read {sum(read)}")


async def memory(port, n):
    before = metric(port, "bangdan_process_resident_memory_bytes")
    specs = [(m, top) for m in ("weight_g", "amount_fen", "orders") for top in range(1000, 0, -1)][:n]
    connections = []
    for i in range(0, len(specs), PER_CONNECTION):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/stream", max_size=None)
        connections.append(ws)
        part = specs[i:i + PER_CONNECTION]
        for j, (m, top) in enumerate(part):
            await ws.send(json.dumps({"op": "subscribe", "sub": f"s{j}", "board": "user",
                                      "metric": m, "top": top}))
        for _ in part:
            await ws.recv()
    await asyncio.sleep(3)
    after = metric(port, "bangdan_process_resident_memory_bytes")
    views = metric(port, "bangdan_stream_views")
    print(f"views {views}, resident {before >> 20} -> {after >> 20} MiB, "
          f"{(after - before) / len(specs) / 1024:.0f} KiB a view")
    for ws in connections:
        await ws.close()


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ("around", "memory"):
        sys.exit(__doc__)
    port, mode, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    if mode == "around":
        asyncio.run(around(port, n, float(sys.argv[4]) if len(sys.argv) > 4 else 14))
    else:
        asyncio.run(memory(port, n))


if __name__ == "__main__":
    main()
