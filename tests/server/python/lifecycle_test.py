#!/usr/bin/env python3
"""bangdan-server as a process: how it stops on each signal, what its exit
status says, and how it bears running out of descriptors (docs/operations.md,
"Signals" and "Descriptors"). Standard library only.

Usage: lifecycle_test.py --server path/to/bangdan-server
"""
import argparse
import base64
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SERVER = None


class Server:
    """bangdan-server on a free port. Its log goes to a file, not a pipe: a
    pipe that nobody reads would stall a server that logs a lot."""

    def __init__(self, *args, data_dir=None, nofile=None):
        self.tmp = tempfile.TemporaryDirectory()
        self.data_dir = data_dir or os.path.join(self.tmp.name, "data")
        self.log_path = os.path.join(self.tmp.name, "server.log")
        # (soft, hard) descriptors for the server alone, set in its process
        # before it runs.
        lower_limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile)) if nofile else None
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [SERVER, "--listen", "127.0.0.1:0", "--threads", "1", "--data-dir", self.data_dir, *args],
                stderr=log, preexec_fn=lower_limit)
        deadline = time.monotonic() + 30
        while not (m := re.search(r"INFO listening on 127\.0\.0\.1:(\d+)", self.log())):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("server did not start: " + self.log())
            time.sleep(0.02)
        self.port = int(m.group(1))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def post_event(self, event_id):
        """Sends one event; returns the sequence number of its ack."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        body = json.dumps({"events": [{"id": event_id, "city": "合肥", "firm": "万科物业",
                                       "weight_g": 500, "amount_fen": 100}]})
        conn.request("POST", "/v1/events", body, {"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        conn.close()
        return answer["seq"]

    def cpu_seconds(self):
        """User and system time the server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def stream_client_that_never_closes(port):
    """A /v1/stream connection, handshake done, that then reads nothing and
    never answers the server's close frame."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("closed during handshake")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


class Signals(unittest.TestCase):
    def test_sighup_stops_like_sigterm_with_a_snapshot(self):
        with Server() as server:
            seq = server.post_event("hup-1")
            server.proc.send_signal(signal.SIGHUP)
            self.assertEqual(server.proc.wait(timeout=30), 0, server.log())
            log = server.log()
            self.assertIn("INFO SIGHUP received", log)
            self.assertIn(f"INFO snapshot snapshot-{seq:020d}.snap at seq {seq}", log)
            self.assertIn("INFO bye", log)
            self.assertTrue(os.path.exists(os.path.join(server.data_dir, f"snapshot-{seq:020d}.snap")))

    def test_a_second_signal_stops_waiting_for_close_handshakes(self):
        with Server() as server:
            seq = server.post_event("twice-1")
            silent = stream_client_that_never_closes(server.port)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(1)
            self.assertIsNone(server.proc.poll(), "the first signal waits for the client to close")
            server.proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            self.assertEqual(server.proc.wait(timeout=30), 0, server.log())
            self.assertLess(time.monotonic() - started, 3, "the second signal ends the wait")
            silent.close()
            log = server.log()
            self.assertIn("INFO SIGTERM received", log)
            self.assertIn("INFO SIGINT received again: not waiting for connections to finish", log)
            self.assertIn("WARN shutdown: 1 connection(s) cut before finishing", log)
            self.assertIn(f"snapshot-{seq:020d}.snap at seq {seq}", log)
            self.assertIn("INFO bye", log)


class ExitStatus(unittest.TestCase):
    def test_a_failed_final_snapshot_exits_1_and_the_log_keeps_the_events(self):
        with tempfile.TemporaryDirectory() as data_dir:
            with Server(data_dir=data_dir) as server:
                seq = server.post_event("lost-not-1")
                # A directory where the snapshot's temporary file is to be
                # written: the write fails, whoever runs the test (root too).
                in_the_way = os.path.join(data_dir, f"snapshot-{seq:020d}.snap.tmp")
                os.mkdir(in_the_way)
                server.proc.send_signal(signal.SIGTERM)
                self.assertEqual(server.proc.wait(timeout=30), 1, server.log())
                log = server.log()
                self.assertRegex(log, r"ERROR final snapshot: .*; every acknowledged event is in the log "
                                      r"or an earlier snapshot: the next start recovers them")
                self.assertNotIn("INFO bye", log)
            os.rmdir(in_the_way)
            with Server(data_dir=data_dir) as again:
                self.assertRegex(again.log(), rf"INFO recovered .* to seq {seq} ")
                again.proc.send_signal(signal.SIGTERM)
                self.assertEqual(again.proc.wait(timeout=30), 0, again.log())

    def test_a_clean_stop_exits_0(self):
        with Server() as server:
            server.post_event("clean-1")
            server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(server.proc.wait(timeout=30), 0, server.log())
            self.assertNotIn("ERROR", server.log())


class Descriptors(unittest.TestCase):
    def test_the_soft_limit_is_raised_and_a_shortfall_said_once(self):
        with Server("--max-connections", "200", nofile=(40, 100)) as server:
            log = server.log()
            self.assertEqual(log.count("RLIMIT_NOFILE"), 1, log)
            self.assertRegex(log, r"WARN the open-file limit \(RLIMIT_NOFILE\) is 100, below the \d+ "
                                  r"descriptors that --max-connections 200 needs")
        with Server("--max-connections", "10", nofile=(40, 100)) as server:
            self.assertNotIn("RLIMIT_NOFILE", server.log())

    def test_running_out_pauses_accepting_instead_of_spinning(self):
        with Server(nofile=(64, 64)) as server:
            clients = []
            try:
                # More idle clients than the server has descriptors: the
                # kernel completes their handshakes, accept() fails.
                for _ in range(100):
                    clients.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
                time.sleep(0.3)
                cpu_before = server.cpu_seconds()
                time.sleep(1.5)
                cpu_used = server.cpu_seconds() - cpu_before
            finally:
                for c in clients:
                    c.close()
            log = server.log()
            # Retried at once, the loop wrote a line per failure (thousands a
            # second) and kept a core busy.
            self.assertEqual(len(re.findall(r"WARN accept: Too many open files", log)), 1, log[-2000:])
            self.assertIn("trying again every 100 ms", log)
            self.assertLess(cpu_used, 0.5)
            # Descriptors freed, new clients are served again.
            deadline = time.monotonic() + 10
            while True:
                try:
                    server.post_event("after-1")
                    break
                except (OSError, http.client.HTTPException):
                    self.assertLess(time.monotonic(), deadline, "no connection accepted again")
                    time.sleep(0.1)
            server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(server.proc.wait(timeout=30), 0, server.log()[-2000:])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the bangdan-server binary")
    args, unittest_args = parser.parse_known_args()
    SERVER = os.path.abspath(args.server)
    unittest.main(argv=[sys.argv[0], *unittest_args], verbosity=2)
