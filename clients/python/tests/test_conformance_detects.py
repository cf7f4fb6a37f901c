"""The conformance checks can fail: a proxy in front of the real server breaks one protocol rule at a time, and the
check for that rule must report it (while the untouched server passes the same checks)."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from typing import Callable

import msgpack
import pytest
import websocket
from websocket import ABNF

from twingym.connection import is_event, normalize_url
from twingym.conformance import run_suite

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class MutatingProxy:
    """A WebSocket server that relays frames to the real server, passing every reply through ``mutate``.

    ``mutate(request, reply) -> list of replies`` sees the decoded request a reply answers (None when unknown) and
    returns what the client gets instead (several replies may be held back and released later: ``hold``)."""

    def __init__(self, upstream: str, mutate: Callable[[dict | None, dict, list], list]):
        self.upstream = normalize_url(upstream)
        self.mutate = mutate
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.url = f"ws://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                request += chunk
            headers = {}
            for line in request.split(b"\r\n")[1:]:
                if b":" in line:
                    k, v = line.split(b":", 1)
                    headers[k.strip().lower()] = v.strip()
            accept = base64.b64encode(hashlib.sha1(headers[b"sec-websocket-key"] + GUID.encode()).digest())
            client.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            up = websocket.create_connection(self.upstream, timeout=30, skip_utf8_validation=True)
            # websocket-client has no server side, but its frame reader reads (and unmasks) the client's frames on
            # the accepted socket; replies are built unmasked with its ABNF, as a server must send them.
            client.settimeout(30)
            down = websocket.WebSocket(skip_utf8_validation=True)
            down.sock, down.connected = client, True

            def to_client(data: bytes, opcode: int) -> None:
                down.send_frame(ABNF(1, 0, 0, 0, opcode, 0, data))

            asked: list = []
            held: list = []
            lock = threading.Lock()

            def relay_up():
                try:
                    while True:
                        frame = down.recv_frame()
                        if frame.opcode == ABNF.OPCODE_CLOSE:
                            up.send(frame.data, ABNF.OPCODE_CLOSE)
                            return
                        if frame.opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY):
                            try:
                                decoded = msgpack.unpackb(frame.data, raw=False)
                            except Exception:
                                decoded = None
                            with lock:
                                asked.append(decoded)
                            up.send(frame.data, frame.opcode)
                except (OSError, websocket.WebSocketException):
                    pass  # either side went away: the main relay loop ends too
                finally:
                    up.shutdown()

            threading.Thread(target=relay_up, daemon=True).start()
            while True:
                opcode, data = up.recv_data()
                if opcode == ABNF.OPCODE_CLOSE:
                    to_client(data, ABNF.OPCODE_CLOSE)
                    return
                reply = msgpack.unpackb(data, raw=False)
                with lock:
                    # Events answer no request: only replies take the oldest request off the queue.
                    req = None if is_event(reply) else (asked.pop(0) if asked else None)
                for out in self.mutate(req if isinstance(req, dict) else None, reply, held):
                    to_client(msgpack.packb(out, use_bin_type=True), ABNF.OPCODE_BINARY)
        except (OSError, ValueError, KeyError, IndexError, websocket.WebSocketException):
            pass
        finally:
            client.close()

    def close(self) -> None:
        """Stops accepting connections."""
        self.listener.close()


def statuses(url: str, prefix: str) -> dict[str, str]:
    return {r.id: r.status for r in run_suite(url, only=[prefix]).results}


def swap_pairs(req, reply, held):
    """Answers pipelined requests out of order: every second reply overtakes the one before it."""
    if req is not None and req.get("op") == "get_context" and not held:
        held.append(reply)
        return []
    if held:
        first = held.pop()
        return [reply, first]
    return [reply]


def generic_errors(req, reply, held):
    """Answers every error with the code `internal`."""
    if reply.get("ok") is False:
        reply["error"]["code"] = "internal"
    return [reply]


def ignore_seed(req, reply, held):
    """A server whose resets are not reproducible: every reset observation is perturbed differently."""
    if req is not None and req.get("op") == "reset" and reply.get("ok"):
        data = bytearray(reply["obs"]["data"])
        ignore_seed.counter += 1
        data[0] ^= ignore_seed.counter & 0xFF or 1
        reply["obs"]["data"] = bytes(data)
    return [reply]


ignore_seed.counter = 0


def merged_flags(req, reply, held):
    """terminated and truncated merged into one flag (gym-http-api's bug)."""
    if req is not None and req.get("op") == "step" and reply.get("ok") and isinstance(reply.get("truncated"), bool):
        reply["terminated"] = reply["terminated"] or reply["truncated"]
        reply["truncated"] = False
    return [reply]


def perturbed_rollout(req, reply, held):
    """Imagined observations that drift from what stepping gives (a wrong transition in the rollout path)."""
    if req is not None and req.get("op") == "rollout" and reply.get("ok") and "obs" in reply:
        data = bytearray(reply["obs"]["data"])
        data[-1] ^= 0x40
        reply["obs"]["data"] = bytes(data)
    return [reply]


def doubled_job_finished(req, reply, held):
    """A server that announces the end of a job twice."""
    if reply.get("event") == "job_finished":
        return [reply, reply]
    return [reply]


def learned_contexts_misreported(req, reply, held):
    """make on a learned model reports a context the dynamics do not use (get_context disagrees)."""
    if req is not None and req.get("op") == "make" and reply.get("ok") and \
            reply["metadata"]["dynamics"].get("kind") != "true":
        reply["contexts"] = [{k: v * 0.5 + 1e-6 for k, v in c.items()} for c in reply["contexts"]]
    return [reply]


@pytest.mark.parametrize("mutate,prefix,check_id", [
    (doubled_job_finished, "jobs.lifecycle", "jobs.lifecycle"),
    (learned_contexts_misreported, "models.make", "models.make"),
    (generic_errors, "jobs.unknown_job", "jobs.unknown_job"),
    (perturbed_rollout, "rollout.matches_steps", "rollout.matches_steps"),
    (swap_pairs, "pipeline.order", "pipeline.order"),
    (generic_errors, "errors.bad_dtype", "errors.bad_dtype"),
    (generic_errors, "errors.unknown_env", "errors.unknown_env"),
    (ignore_seed, "seeding.check_env_sequence", "seeding.check_env_sequence"),
    (merged_flags, "time_limit.override", "time_limit.override"),
])
def test_a_broken_rule_fails_its_check(server_url, mutate, prefix, check_id):
    assert statuses(server_url, prefix)[check_id] == "pass"
    proxy = MutatingProxy(server_url, mutate)
    try:
        assert statuses(proxy.url, prefix)[check_id] == "fail"
    finally:
        proxy.close()


def test_an_honest_proxy_passes(server_url):
    proxy = MutatingProxy(server_url, lambda req, reply, held: [reply])
    try:
        result = statuses(proxy.url, "seeding.")
        assert set(result.values()) == {"pass"}
    finally:
        proxy.close()
