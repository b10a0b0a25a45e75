#!/usr/bin/env python3
"""WebSocket protocol tests of bangdan-server driven by clients nobody in this
project wrote: the `websockets` library, and raw frames over a plain socket
for what a well-behaved library refuses to send (bad UTF-8, reserved bits).

Usage: ws_protocol_test.py --server path/to/bangdan-server
"""
import argparse
import asyncio
import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import unittest

import websockets

SERVER = None


class ServerProcess:
    """bangdan-server on a free port; the port is read from its log."""

    def __init__(self, *args):
        self.data = tempfile.TemporaryDirectory()
        self.proc = subprocess.Popen(
            [SERVER, "--listen", "127.0.0.1:0", "--threads", "2",
             "--data-dir", self.data.name, *args],
            stderr=subprocess.PIPE, text=True)
        self.log = []
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"INFO listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            raise RuntimeError("server did not start: " + "".join(self.log))

    def url(self, path="/v1/ingest"):
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rest = self.proc.communicate(timeout=30)[1]
        self.log.append(rest)
        self.data.cleanup()
        return self.proc.returncode


def event(i, **extra):
    e = {"id": f"py-{i}", "city": "合肥", "firm": "万科物业", "weight_g": 500, "amount_fen": 100}
    e.update(extra)
    return e


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


class RawClient:
    """A WebSocket client over a plain socket that sends any frame we craft."""

    def __init__(self, port, path="/v1/ingest", headers=()):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("closed during handshake")
            head += chunk
        self.status = int(head.split(b" ")[1])
        self.rest = head.split(b"\r\n\r\n", 1)[1]

    def send_frame(self, opcode, payload, fin=True, rsv=0):
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", first, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", first, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read(self, n):
        while len(self.rest) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.rest += chunk
        out, self.rest = self.rest[:n], self.rest[n:]
        return out

    def read_frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b0 & 0x0F, self._read(n)

    def close_code(self):
        """Reads frames until the server's close frame; returns its code."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


class IngestProtocol(unittest.TestCase):
    def raw(self, path="/v1/ingest"):
        c = RawClient(self.server.port, path)
        self.addCleanup(c.sock.close)
        return c

    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess("--max-frame-bytes", "64KiB")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_fragmented_message_is_one_frame(self):
        async def go():
            async with websockets.connect(self.server.url()) as ws:
                text = json.dumps([event("frag-1"), event("frag-2")], ensure_ascii=False)
                third = len(text) // 3
                await ws.send([text[:third], text[third:2 * third], text[2 * third:]])
                return json.loads(await ws.recv())
        ack = run(go())
        self.assertEqual(ack["type"], "ack")
        self.assertEqual(ack["batch"], 1)
        self.assertEqual(ack["accepted"], 2)

    def test_ping_is_answered_with_pong(self):
        async def go():
            async with websockets.connect(self.server.url(), ping_interval=None) as ws:
                waiter = await ws.ping(b"are you there")
                await waiter
                await ws.send(json.dumps(event("after-ping")))
                return json.loads(await ws.recv())
        self.assertEqual(run(go())["accepted"], 1)

    def test_close_frame_is_echoed(self):
        async def go():
            ws = await websockets.connect(self.server.url())
            await ws.close(code=1000, reason="bye")
            return ws.close_code
        self.assertEqual(run(go()), 1000)

    def test_binary_frame_closes_with_1003(self):
        async def go():
            async with websockets.connect(self.server.url()) as ws:
                await ws.send(json.dumps(event("bin")).encode())
                with self.assertRaises(websockets.exceptions.ConnectionClosed):
                    await ws.recv()
                return ws.close_code
        self.assertEqual(run(go()), 1003)

    def test_oversize_message_closes_with_1009(self):
        async def go():
            async with websockets.connect(self.server.url(), max_size=None) as ws:
                await ws.send(" " * (100 * 1024) + json.dumps(event("big")))
                with self.assertRaises(websockets.exceptions.ConnectionClosed):
                    await ws.recv()
                return ws.close_code
        self.assertEqual(run(go()), 1009)

    def test_frames_before_an_oversize_one_are_acked_before_the_1009(self):
        async def go():
            async with websockets.connect(self.server.url(), max_size=None) as ws:
                for i in range(30):
                    await ws.send(json.dumps(event(f"before-big-{i}"), ensure_ascii=False))
                await ws.send(" " * (100 * 1024) + json.dumps(event("too-big")))
                answers = []
                with self.assertRaises(websockets.exceptions.ConnectionClosed):
                    while True:
                        answers.append(json.loads(await ws.recv()))
                return answers, ws.close_code
        answers, code = run(go())
        self.assertEqual([(a["type"], a["batch"]) for a in answers], [("ack", i) for i in range(1, 31)])
        self.assertEqual(code, 1009)

    def test_invalid_utf8_text_closes_with_1007(self):
        c = self.raw()
        self.assertEqual(c.status, 101)
        c.send_frame(0x1, b'{"id":"\xff\xfe"}')
        self.assertEqual(c.close_code(), 1007)

    def test_invalid_utf8_across_fragments_closes_with_1007(self):
        c = self.raw()
        c.send_frame(0x1, b'{"id":"\xe5\x90', fin=False)
        c.send_frame(0x0, b'"}', fin=True)  # the character is cut short
        self.assertEqual(c.close_code(), 1007)

    def test_reserved_bits_close_with_1002(self):
        c = self.raw()
        c.send_frame(0x1, json.dumps(event("rsv")).encode(), rsv=0b100)
        self.assertEqual(c.close_code(), 1002)

    def test_raw_text_frame_is_acked(self):
        c = self.raw()
        c.send_frame(0x1, json.dumps(event("raw"), ensure_ascii=False).encode())
        opcode, payload = c.read_frame()
        self.assertEqual(opcode, 0x1)
        self.assertEqual(json.loads(payload)["type"], "ack")

    def test_stream_refuses_binary_with_1003(self):
        c = self.raw("/v1/stream")
        self.assertEqual(c.status, 101)
        c.send_frame(0x2, b"\x00\x01")
        self.assertEqual(c.close_code(), 1003)


class DebugLog(unittest.TestCase):
    def test_refused_handshakes_are_logged_without_tokens(self):
        # Ingest has no token here, so a page elsewhere is refused for its
        # Origin (a request that carries a needed token never is).
        server = ServerProcess("--log-level", "debug", "--read-token", "read-secret")
        try:
            wrong_token = RawClient(server.port, "/v1/stream?token=guess-1")
            self.addCleanup(wrong_token.sock.close)
            self.assertEqual(wrong_token.status, 401)
            bad_origin = RawClient(server.port, "/v1/ingest?token=read-secret",
                                   [("Origin", "http://elsewhere.example")])
            self.addCleanup(bad_origin.sock.close)
            self.assertEqual(bad_origin.status, 403)
        finally:
            self.assertEqual(server.stop(), 0)
        log = "".join(server.log)
        self.assertRegex(log, r"DEBUG refused WebSocket handshake GET /v1/stream from 127\.0\.0\.1:\d+: 401 ")
        self.assertRegex(log, r"DEBUG refused WebSocket handshake GET /v1/ingest from 127\.0\.0\.1:\d+: 403 "
                              r".*origin not allowed")
        for token in ("guess-1", "read-secret"):
            self.assertNotIn(token, log)


class GracefulShutdown(unittest.TestCase):
    def test_sigterm_acks_frames_in_flight_and_exits_0(self):
        server = ServerProcess()

        async def go():
            async with websockets.connect(server.url()) as ws:
                for i in range(200):
                    await ws.send(json.dumps({"batch": i + 1, "events": [event(f"t{i}")]}))
                first = json.loads(await ws.recv())
                server.proc.send_signal(signal.SIGTERM)
                acks = [first]
                try:
                    while True:
                        acks.append(json.loads(await ws.recv()))
                except websockets.exceptions.ConnectionClosed:
                    pass
                return acks, ws.close_code
        acks, code = run(go())
        self.assertEqual(server.stop(), 0)
        self.assertEqual(code, 1001)
        # Whatever the server read before the signal is answered, in order;
        # the acks are a prefix of the frames sent.
        self.assertEqual([a["batch"] for a in acks], list(range(1, len(acks) + 1)))
        self.assertTrue(all(a["type"] == "ack" for a in acks))
        log = "".join(server.log)
        self.assertIn("SIGTERM received", log)
        self.assertNotIn("ERROR", log)

    def test_port_is_logged_at_every_log_level(self):
        server = ServerProcess("--log-level", "error")  # waits for `listening on`
        self.assertEqual(server.stop(), 0)

    def test_bad_flag_exits_2_naming_it(self):
        p = subprocess.run([SERVER, "--max-batch", "lots"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--max-batch", p.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    args, rest = parser.parse_known_args()
    SERVER = args.server
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
