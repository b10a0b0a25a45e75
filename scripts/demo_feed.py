#!/usr/bin/env python3
"""Gentle generated traffic for `scripts/run --demo`: purchases from a few
cities, firms and teams with skewed popularity, so that rankings move."""
import argparse
import asyncio
import json
import random
import time

import websockets

CITIES = ["合肥", "芜湖", "蚌埠", "淮南", "马鞍山", "淮北", "铜陵", "安庆", "黄山", "滁州", "阜阳", "宿州"]
FIRMS = ["万科物业", "碧桂园服务", "保利物业", "绿城服务", "招商积余", "华润万象", "金科服务", "龙湖智创",
         "中海物业", "世茂服务", "融创服务", "雅生活"]
TEAMS = [f"{a}{b}战队" for a in ["创源", "长江", "黄山", "巢湖", "皖北", "江淮"] for b in ["一", "二", "三"]]
PRODUCTS = ["砀山梨", "金寨猕猴桃", "岳西茭白", "霍山石斛", "六安瓜片", "宁国山核桃"]


def skewed(items, rng):
    # Zipf-like: the first items are bought far more often than the last.
    weights = [1 / (i + 1) for i in range(len(items))]
    return rng.choices(items, weights)[0]


async def feed(url, rate, token):
    rng = random.Random(2026)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    n = 0
    async with websockets.connect(url, extra_headers=headers) as ws:
        while True:
            start = time.monotonic()
            batch = []
            for _ in range(max(1, rate // 10)):
                n += 1
                batch.append({
                    "id": f"demo-{int(time.time())}-{n}",
                    "city": skewed(CITIES, rng), "firm": skewed(FIRMS, rng),
                    "team": skewed(TEAMS, rng), "user": f"u{rng.randrange(5000)}",
                    "product": skewed(PRODUCTS, rng),
                    "weight_g": 500 * rng.randint(1, 10), "amount_fen": 100 * rng.randint(5, 200),
                })
            await ws.send(json.dumps(batch, ensure_ascii=False))
            await ws.recv()
            await asyncio.sleep(max(0.0, 0.1 - (time.monotonic() - start)))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="ws://127.0.0.1:8080/v1/ingest")
    p.add_argument("--rate", type=int, default=200, help="events per second")
    p.add_argument("--token", default="")
    a = p.parse_args()
    try:
        asyncio.run(feed(a.url, a.rate, a.token))
    except KeyboardInterrupt:
        pass
