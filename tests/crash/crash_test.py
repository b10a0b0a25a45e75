#!/usr/bin/python3
"""Crash loop: kill -9 the server at random moments and check the promise of SPEC §6.

Each round starts bangdan-server on the same data directory, runs several producers
that record every event as sent or acknowledged, and kills the server: with SIGKILL at
a random moment, or through a kill point (BANGDAN_KILL_POINT) at a chosen place in the
write path. After the restart the check is exact:

  * every event sent but not acknowledged is sent again: an "accepted" verdict means it
    was not in, a "duplicate" that it was — afterwards every event sent is known to be in;
  * a sample of acknowledged events is sent again: each must be a duplicate (an
    acknowledged event survived, and the dedup window survived with it);
  * the totals and the city board equal the sums over the events that are in: nothing
    acknowledged is missing and nothing is counted twice.

Usage: crash_test.py SERVER_BINARY [--rounds N] [--seed S] [--keep]
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

CITIES = ["合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "六安", "安庆", "黄山"]
FIRMS = ["万科物业", "碧桂园服务", "保利物业", "绿城服务", "中海物业"]
KILL_POINTS = [
    "after_write_before_fsync",
    "after_fsync_before_ack",
    "mid_snapshot_rename",
    "mid_segment_rotation",
]


class Server:
    def __init__(self, binary, data_dir, kill_point=None, extra=()):
        env = dict(os.environ)
        env.pop("BANGDAN_KILL_POINT", None)
        if kill_point:
            env["BANGDAN_KILL_POINT"] = kill_point
        env["BANGDAN_TEST_SEGMENT_BYTES"] = "65536"  # rotations every few hundred events
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
             "--snapshot-interval", "300ms", *extra],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
        self.port = None
        self.log = []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log.append(line)
            if "listening on " in line:
                self.port = int(line.rsplit(":", 1)[1])
                break
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.log))
        # Keep draining stderr so that the server never blocks on a full pipe.
        self._drain = asyncio.get_event_loop().run_in_executor(None, self._read_rest)

    def _read_rest(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def alive(self):
        return self.proc.poll() is None

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
            return json.loads(r.read())


class Model:
    """What the producers know: every event by id, and what each one's fate is."""

    def __init__(self, rng):
        self.rng = rng
        self.events = {}        # id -> event dict
        self.known_in = set()   # acknowledged as accepted or duplicate, or proven in
        self.uncertain = set()  # sent, no verdict (the server died first)
        self.in_list = []       # known_in, in the order they became known
        self.totals = [0, 0, 0]  # weight_g, amount_fen, orders over known_in
        self.cities = {}        # city -> [weight_g, amount_fen, orders] over known_in
        self.next_id = 0

    def new_event(self):
        self.next_id += 1
        e = {"id": f"e{self.next_id}", "city": self.rng.choice(CITIES),
             "firm": self.rng.choice(FIRMS), "weight_g": self.rng.randrange(0, 5000),
             "amount_fen": self.rng.randrange(0, 100000)}
        if self.rng.random() < 0.05:
            e["refund"] = True
        self.events[e["id"]] = e
        return e

    def mark_in(self, ids):
        """Records events as known to be in; sums are kept as they grow (rounds stay fast)."""
        for i in ids:
            if i in self.known_in:
                continue
            self.known_in.add(i)
            self.in_list.append(i)
            e = self.events[i]
            sign = -1 if e.get("refund") else 1
            delta = (sign * e["weight_g"], sign * e["amount_fen"], sign)
            for k in range(3):
                self.totals[k] += delta[k]
            row = self.cities.setdefault(e["city"], [0, 0, 0])
            for k in range(3):
                row[k] += delta[k]

    def expected_totals(self):
        w, a, o = self.totals
        return {"weight_g": w, "amount_fen": a, "orders": o, "events": len(self.known_in)}

    def expected_cities(self):
        return self.cities


async def send_frames(port, frames):
    """Sends frames one by one on a fresh connection; returns the acks (or None)."""
    results = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/v1/ingest", max_size=None) as ws:
        for f in frames:
            await ws.send(json.dumps(f, ensure_ascii=False))
            results.append(json.loads(await ws.recv()))
    return results


async def producer(port, model, stop, batch):
    """Sends batches until the server dies or `stop` is set, recording verdicts."""
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/v1/ingest") as ws:
            while not stop.is_set():
                events = [model.new_event() for _ in range(model.rng.randint(1, batch))]
                ids = [e["id"] for e in events]
                model.uncertain.update(ids)
                await ws.send(json.dumps(events, ensure_ascii=False))
                ack = json.loads(await ws.recv())
                if ack.get("type") != "ack":
                    continue  # not durable: stays uncertain, settled after restart
                if ack["rejected"]:
                    raise AssertionError(f"valid events rejected: {ack['rejected']}")
                if ack["accepted"] != len(ids) or ack["duplicates"] != 0:
                    raise AssertionError(f"fresh ids not all accepted: {ack}")
                model.uncertain.difference_update(ids)
                model.mark_in(ids)
    except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError):
        pass  # the server died: what was not acknowledged stays uncertain


async def settle_and_check(server, model, rng, round_no):
    # Events whose fate is unknown: send them again; the verdict tells whether they were in.
    pending = sorted(model.uncertain, key=lambda i: int(i[1:]))
    if pending:
        frames = [[model.events[i] for i in pending[k:k + 200]] for k in range(0, len(pending), 200)]
        for frame, ack in zip(frames, await send_frames(server.port, frames)):
            assert ack.get("type") == "ack", f"round {round_no}: resend failed: {ack}"
            assert not ack["rejected"], ack
            assert ack["accepted"] + ack["duplicates"] == len(frame), ack
    model.mark_in(sorted(model.uncertain, key=lambda i: int(i[1:])))
    model.uncertain.clear()

    # Acknowledged events must be refused as duplicates: they survived the crash.
    sample = rng.sample(model.in_list, min(300, len(model.in_list)))
    if sample:
        ack = (await send_frames(server.port, [[model.events[i] for i in sample]]))[0]
        assert ack["accepted"] == 0 and ack["duplicates"] == len(sample), (
            f"round {round_no}: acknowledged events were not all in: {ack}")

    totals = server.get("/v1/totals?window=total")
    expected = model.expected_totals()
    for k, v in expected.items():
        assert totals[k] == v, f"round {round_no}: totals.{k} = {totals[k]}, expected {v}"
    board = server.get("/v1/boards/city?limit=100")
    got = {r["key"]: [r["weight_g"], r["amount_fen"], r["orders"]] for r in board["rows"]}
    assert got == model.expected_cities(), f"round {round_no}: city board differs: {got}"


async def run(args):
    rng = random.Random(args.seed)
    model = Model(rng)
    data_dir = tempfile.mkdtemp(prefix="bangdan-crash-")
    killed_by_point = 0
    try:
        for round_no in range(1, args.rounds + 1):
            kill_point = None
            if round_no % 3 == 0:
                point = KILL_POINTS[(round_no // 3) % len(KILL_POINTS)]
                kill_point = f"{point}:{rng.randint(1, 4)}"
            server = Server(args.server, data_dir)
            await settle_and_check(server, model, rng, round_no)
            if kill_point:  # the check above must not trip it: restart with it armed
                server.kill()
                server = Server(args.server, data_dir, kill_point)

            stop = asyncio.Event()
            tasks = [asyncio.create_task(producer(server.port, model, stop, 50))
                     for _ in range(args.producers)]
            deadline = time.time() + rng.uniform(0.1, 1.2)
            while time.time() < deadline and server.alive():
                await asyncio.sleep(0.02)
            if not server.alive():
                killed_by_point += 1
            server.kill()
            stop.set()
            await asyncio.wait(tasks, timeout=10)
            print(f"round {round_no}: {len(model.known_in)} in, {len(model.uncertain)} uncertain"
                  + (f", kill point {kill_point}" if kill_point else ""), flush=True)

        server = Server(args.server, data_dir)
        await settle_and_check(server, model, rng, args.rounds + 1)
        server.kill()
        print(f"crash loop: {args.rounds} rounds, {len(model.known_in)} events, "
              f"{killed_by_point} ended by a kill point: every acknowledged event in, exactly once")
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("server")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--producers", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the data directory")
    args = p.parse_args()
    try:
        asyncio.run(run(args))
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
