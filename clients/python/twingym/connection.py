"""One WebSocket connection to a TwinGym server, speaking protocol v1.

Requests carry ids chosen here; replies come back in request order, so several requests may be in flight
(:meth:`Connection.send` then :meth:`Connection.receive`, or :meth:`Connection.pipeline`). Server events (frames with an
``event`` key and no id) are kept in :attr:`Connection.events`.
"""

from __future__ import annotations

import collections
import os
import socket
import struct
import threading
from typing import Any, Iterable, Mapping
from urllib.parse import urlparse

import msgpack
import websocket

from .errors import ProtocolViolation, TwinGymConnectionError, error_from_reply
from .wire import PROTOCOL_VERSION, decode_frame, encode_frame

CLIENT_NAME = "twingym-python/0.1.0"


def normalize_url(url: str) -> str:
    """Accepts ws://host:port, ws://host:port/v1/ws, http(s)://... or host:port and returns the WebSocket endpoint."""
    if "://" not in url:
        url = "ws://" + url
    parsed = urlparse(url)
    scheme = {"http": "ws", "https": "wss"}.get(parsed.scheme, parsed.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"unsupported URL scheme {parsed.scheme!r}; use ws:// or wss://")
    path = parsed.path if parsed.path not in ("", "/") else "/v1/ws"
    query = f"?{parsed.query}" if parsed.query else ""
    return f"{scheme}://{parsed.netloc}{path}{query}"


class _FrameIO:
    """RFC 6455 framing on the socket websocket-client opened (and handshook): one buffered read per reply instead of
    several small ones, which is most of a step's cost on loopback. Client frames are masked with a fresh random key."""

    def __init__(self, sock: socket.socket, timeout: float | None):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0
        self._keys = b""
        self._scratch = bytearray(65536)
        self._view = memoryview(self._scratch)
        # A blocking socket with kernel-side time-outs: Python's own time-out mode polls before every send and recv,
        # two extra system calls per step.
        sock.settimeout(None)
        if timeout is not None and timeout > 0:
            sec = int(timeout)
            tv = struct.pack("ll", sec, int((timeout - sec) * 1e6))
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
            except OSError:
                sock.settimeout(timeout)  # platforms without these options: Python's time-outs

    def _mask_key(self) -> bytes:
        # Keys come from the OS's entropy (RFC 6455 wants them unpredictable), fetched 4 KiB at a time.
        if not self._keys:
            self._keys = os.urandom(4096)
        key, self._keys = self._keys[:4], self._keys[4:]
        return key

    def send(self, payload: bytes, opcode: int = 0x2, mask: bool = True) -> None:
        """Sends one unfragmented frame (masked, as clients must; ``mask=False`` is the server side's form)."""
        n = len(payload)
        bit = 0x80 if mask else 0
        if n < 126:
            header = bytes((0x80 | opcode, bit | n))
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, bit | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, bit | 127, n)
        if not mask:
            self.sock.sendall(header + payload)
            return
        key = self._mask_key()
        if n:
            mask = int.from_bytes(key * (n // 4) + key[: n % 4], "little")
            masked = (int.from_bytes(payload, "little") ^ mask).to_bytes(n, "little")
        else:
            masked = b""
        if n < 65536:
            self.sock.sendall(header + key + masked)
        else:
            self.sock.sendall(header + key)
            self.sock.sendall(masked)

    def _fill(self, need: int) -> None:
        while len(self.buf) - self.pos < need:
            if self.pos:
                del self.buf[: self.pos]
                self.pos = 0
            size = max(65536, need - len(self.buf))
            if size > len(self._scratch):
                self._scratch = bytearray(size)
                self._view = memoryview(self._scratch)
            got = self.sock.recv_into(self._view, size)
            if not got:
                raise ConnectionResetError("the server closed the TCP connection")
            self.buf += self._view[:got]

    def recv_frame(self) -> tuple[bool, int, bytes]:
        """Reads one frame: (fin, opcode, payload)."""
        self._fill(2)
        b0, b1 = self.buf[self.pos], self.buf[self.pos + 1]
        length = b1 & 0x7F
        head = 2
        if length == 126:
            self._fill(4)
            length = struct.unpack_from("!H", self.buf, self.pos + 2)[0]
            head = 4
        elif length == 127:
            self._fill(10)
            length = struct.unpack_from("!Q", self.buf, self.pos + 2)[0]
            head = 10
        masked = b1 & 0x80
        if masked:
            head += 4
        self._fill(head + length)
        start = self.pos + head
        payload = bytes(self.buf[start:start + length])
        if masked:  # servers must not mask, but reading it costs nothing
            key = bytes(self.buf[start - 4:start])
            mask = int.from_bytes(key * (length // 4) + key[: length % 4], "little")
            payload = (int.from_bytes(payload, "little") ^ mask).to_bytes(length, "little")
        self.pos = start + length
        if self.pos == len(self.buf):
            self.buf.clear()
            self.pos = 0
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv_message(self) -> tuple[int, bytes]:
        """Reads one message: data frames are reassembled; control frames come back as they arrive."""
        fin, opcode, payload = self.recv_frame()
        if opcode >= 0x8 or fin:
            return opcode, payload
        parts = [payload]
        while True:
            fin, op, more = self.recv_frame()
            if op >= 0x8:
                if op == 0x9:
                    self.send(more, 0xA)
                    continue
                if op == 0xA:
                    continue
                return op, more
            parts.append(more)
            if fin:
                return opcode, b"".join(parts)


class Connection:
    """A protocol v1 connection. Not thread-safe for interleaved use: one thread at a time sends and receives
    (a lock serialises :meth:`request`)."""

    def __init__(self, url: str, token: str | None = None, timeout: float | None = 60.0, hello: bool = True):
        """Opens the WebSocket at ``url`` (see :func:`normalize_url`) and, unless ``hello`` is False, runs the version
        handshake, whose reply is kept in :attr:`server_info`."""
        self.url = normalize_url(url)
        headers = [f"Authorization: Bearer {token}"] if token else []
        try:
            self._ws = websocket.create_connection(self.url, header=headers, timeout=timeout,
                                                   skip_utf8_validation=True, enable_multithread=False)
        except Exception as e:
            raise TwinGymConnectionError(f"cannot open {self.url}: {e}") from e
        self._io = _FrameIO(self._ws.sock, timeout)
        self._packer = msgpack.Packer(use_bin_type=True)
        self._next_id = 1
        self._pending: collections.deque[tuple[int, str]] = collections.deque()
        self._lock = threading.RLock()
        self.events: list[dict[str, Any]] = []
        self.closed = False
        self.server_info: dict[str, Any] | None = None
        if hello:
            self.server_info = self.request("hello", protocol=PROTOCOL_VERSION, client=CLIENT_NAME)

    # ---- raw frames ----

    def send_raw(self, data: bytes) -> None:
        """Sends one binary frame as is (for conformance tests of malformed input)."""
        try:
            self._io.send(data)
        except Exception as e:
            self.closed = True
            raise TwinGymConnectionError(f"send failed: {e}") from e

    def send_text(self, text: str) -> None:
        """Sends a text frame (protocol v1 forbids them: for conformance tests only)."""
        self._io.send(text.encode("utf-8"), 0x1)

    def recv_frame(self) -> Any:
        """Receives the next frame and decodes it. A close frame raises TwinGymConnectionError with its code."""
        while True:
            try:
                opcode, data = self._io.recv_message()
            except (socket.timeout, BlockingIOError) as e:  # BlockingIOError: SO_RCVTIMEO expired
                raise TwinGymConnectionError("timed out waiting for the server") from e
            except OSError as e:
                self.closed = True
                raise TwinGymConnectionError(f"connection failed: {e}") from e
            if opcode == 0x8:
                self.closed = True
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                reason = data[2:].decode("utf-8", "replace")
                try:
                    self._io.send(data[:2], 0x8)
                except OSError:
                    pass
                raise TwinGymConnectionError(f"the server closed the connection (code {code}: {reason})", code, reason)
            if opcode == 0x9:
                self._io.send(data, 0xA)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x1:
                raise ProtocolViolation("the server sent a text frame; protocol v1 uses binary frames only")
            return decode_frame(data)

    # ---- requests ----

    def send(self, op: str, **fields: Any) -> int:
        """Sends a request without waiting; returns its id. Collect the reply with :meth:`receive`."""
        with self._lock:
            rid = self._next_id
            self._next_id += 1
            message = {"id": rid, "op": op}
            message.update(fields)
            self.send_raw(encode_frame(message))
            self._pending.append((rid, op))
            return rid

    def receive(self, raise_errors: bool = True) -> dict[str, Any]:
        """Receives the reply to the oldest request in flight. Error replies raise the matching TwinGymError unless
        ``raise_errors`` is False (then the reply map is returned as is)."""
        with self._lock:
            if not self._pending:
                raise ProtocolViolation("no request is in flight")
            rid, op = self._pending[0]
            while True:
                msg = self.recv_frame()
                if isinstance(msg, dict) and "event" in msg and "id" not in msg:
                    self.events.append(msg)
                    continue
                break
            self._pending.popleft()
            if not isinstance(msg, dict) or "ok" not in msg:
                raise ProtocolViolation(f"reply to {op} #{rid} is not a reply map: {msg!r:.200}")
            if msg.get("id") != rid:
                raise ProtocolViolation(f"reply id {msg.get('id')!r} does not match the oldest request in flight ({op} #{rid})")
            if msg["ok"] is not True and raise_errors:
                raise error_from_reply(msg.get("error") or {}, op)
            return msg

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Sends one request and returns its successful reply (raising the matching TwinGymError on an error reply)."""
        with self._lock:
            if self._pending:
                self.send(op, **fields)
                return self.receive()
            # Nothing else in flight: the common path, without the queue bookkeeping.
            rid = self._next_id
            self._next_id = rid + 1
            message = {"id": rid, "op": op}
            message.update(fields)
            self.send_raw(self._packer.pack(message))
            while True:
                msg = self.recv_frame()
                if type(msg) is dict and "event" in msg and "id" not in msg:
                    self.events.append(msg)
                    continue
                break
            if type(msg) is not dict or msg.get("id") != rid:
                raise ProtocolViolation(f"reply {msg!r:.200} does not answer {op} #{rid}")
            if msg.get("ok") is not True:
                raise error_from_reply(msg.get("error") or {}, op)
            return msg

    def pipeline(self, requests: Iterable[tuple[str, Mapping[str, Any]]], raise_errors: bool = True) -> list[dict[str, Any]]:
        """Sends every (op, fields) request before reading any reply; returns the replies in order.

        With ``raise_errors`` the first error reply raises, after every reply has been read (the connection stays
        in step)."""
        with self._lock:
            count = 0
            for op, fields in requests:
                self.send(op, **dict(fields))
                count += 1
            replies = [self.receive(raise_errors=False) for _ in range(count)]
            if raise_errors:
                for reply in replies:
                    if reply.get("ok") is not True:
                        raise error_from_reply(reply.get("error") or {})
            return replies

    @property
    def in_flight(self) -> int:
        """Number of requests sent whose replies have not been received."""
        return len(self._pending)

    def close(self) -> None:
        """Closes the WebSocket (the server frees every session of this connection). Idempotent."""
        if self.closed:
            return
        self.closed = True
        try:
            self._io.send(struct.pack("!H", 1000), 0x8)
        except OSError:
            pass
        try:
            self._ws.sock.close()
        except Exception:
            pass

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
