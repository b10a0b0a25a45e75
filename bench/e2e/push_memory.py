#!/usr/bin/env python3
"""The server's resident memory while one stream client watches many large views.

One /v1/stream connection subscribes VIEWS top-N views of the users board (N
from 1000 down, so that no two are the same view), drains whatever is pushed,
and bangdan-loadgen sends 20,000 events/s beside it; the server's VmRSS is
printed every 5 s. Frames are freed as fast as they are pushed: the RSS shows
whether the heap gives that memory back (bench/RESULTS.md, "Memory that
pushes free").

  bench/e2e/push_memory.py BIN [--seconds 20] [--views 128] [--malloc-conf CONF]
"""
import argparse
import base64
import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time


def ws_connect(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise SystemExit("handshake refused: " + head.decode(errors="replace"))
    return s


def ws_send_text(s, text):
    payload, mask = text.encode(), os.urandom(4)
    n = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) // 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin", help="directory holding bangdan-server and bangdan-loadgen")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--views", type=int, default=128)
    ap.add_argument("--malloc-conf", default="", help="MALLOC_CONF for the server (default: as built)")
    a = ap.parse_args()
    env = dict(os.environ)
    if a.malloc_conf:
        env["MALLOC_CONF"] = a.malloc_conf
    data = tempfile.mkdtemp(prefix="bangdan-push-memory.")
    log = open(os.path.join(data, "server.log"), "w+")
    server = subprocess.Popen([os.path.join(a.bin, "bangdan-server"), "--listen", "127.0.0.1:0",
                               "--data-dir", os.path.join(data, "data"), "--fsync", "none"],
                              stderr=log, env=env)
    try:
        port = None
        for _ in range(100):
            log.seek(0)
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.1)
        if port is None:
            raise SystemExit("the server did not start")
        loadgen = os.path.join(a.bin, "bangdan-loadgen")
        url = f"ws://127.0.0.1:{port}"
        # 300,000 users on the board first, so that every view is full.
        subprocess.run([loadgen, "--url", url, "--events", "300000", "--users", "300000", "--batch", "1000",
                        "--no-progress"], check=True, stdout=subprocess.DEVNULL)
        client = ws_connect(port, "/v1/stream")
        for k in range(a.views):
            ws_send_text(client, json.dumps({"op": "subscribe", "sub": f"s{k}", "board": "user", "top": 1000 - k}))
        received = [0]
        stop = threading.Event()

        def drain():
            client.settimeout(1)
            while not stop.is_set():
                try:
                    received[0] += len(client.recv(1 << 20))
                except socket.timeout:
                    pass
                except OSError:
                    break

        threading.Thread(target=drain, daemon=True).start()
        time.sleep(3)
        print(f"MALLOC_CONF={a.malloc_conf or '(as built)'}: {a.views} views subscribed, rss {rss_mb(server.pid)} MB",
              flush=True)
        feed = subprocess.Popen([loadgen, "--url", url, "--duration", f"{a.seconds}s", "--rate", "20000",
                                 "--batch", "20", "--users", "300000", "--connections", "1", "--no-progress"],
                                stdout=subprocess.DEVNULL)
        start = time.time()
        while feed.poll() is None:
            time.sleep(5)
            print(f"{time.time() - start:4.0f} s: rss {rss_mb(server.pid)} MB, client received "
                  f"{received[0] >> 20} MiB", flush=True)
        stop.set()
        client.close()
    finally:
        server.terminate()
        server.wait()
        log.close()
        subprocess.run(["rm", "-rf", data])


if __name__ == "__main__":
    main()
