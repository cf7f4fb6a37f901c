"""One WebSocket connection to a TwinGym server, speaking protocol v1.

Requests carry ids chosen here; replies come back in request order, so several requests may be in flight
(:meth:`Connection.send` then :meth:`Connection.receive`, or :meth:`Connection.pipeline`). Server events (frames with an
``event`` key and no id or ok, such as ``job_progress``) are never replies: every one is handed to the listeners added
with :meth:`Connection.add_listener` and kept in :attr:`Connection.events` (the last 1000), whatever its name, so
events a client does not know are ignored rather than mistaken for replies. :meth:`Connection.wait_events` reads events
while no request is in flight.
"""

from __future__ import annotations

import collections
import os
import select
import socket
import struct
import sys
import threading
import time
import warnings
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlparse

import msgpack
import websocket
from websocket import ABNF

from .errors import ProtocolViolation, TwinGymConnectionError, error_from_reply
from .wire import PROTOCOL_VERSION, decode_frame, encode_frame

CLIENT_NAME = "twingym-python/0.1.0"

#: How many events :attr:`Connection.events` keeps (the oldest are dropped first).
EVENT_HISTORY = 1000

#: A callback receiving every server event frame as decoded (a dict with at least ``event``).
EventListener = Callable[[dict], None]


def is_event(msg: Any) -> bool:
    """True for a server event frame: a map with a string ``event`` and neither ``id`` nor ``ok``."""
    return type(msg) is dict and isinstance(msg.get("event"), str) and "id" not in msg and "ok" not in msg


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


class _WebSocket(websocket.WebSocket):
    """websocket-client's WebSocket with its socket reads and writes tuned for one request/reply at a time: reads ask for
    more than the next frame part, time-outs can live in the kernel, and the automatic reply to a server's close frame
    is best-effort. Framing, masking, fragments and control frames stay the library's."""

    def __init__(self, *args: Any, **kwargs: Any):
        """Takes websocket-client's WebSocket arguments."""
        super().__init__(*args, **kwargs)
        # The library draws every 4-byte mask key with its own os.urandom call, a system call per frame; keys still
        # come from the OS's entropy (RFC 6455 wants them unpredictable), fetched 4 KiB at a time.
        self._keys = b""
        self.set_mask_key(self._mask_key)

    def _mask_key(self, length: int) -> bytes:
        if len(self._keys) < length:
            self._keys = os.urandom(4096)
        key, self._keys = self._keys[:length], self._keys[length:]
        return key

    def use_kernel_timeouts(self, timeout: float | None) -> None:
        """Turns ``timeout`` into SO_RCVTIMEO/SO_SNDTIMEO on a blocking socket where the platform allows it."""
        # With a Python-level time-out the socket module polls before every send and recv: two system calls more per
        # step than the blocking socket this leaves behind. TLS sockets keep Python's time-outs (a kernel time-out
        # surfaces there as an SSL error rather than EAGAIN), as does Windows, whose options take another format.
        if timeout is None or timeout <= 0 or self.sock is None or self.is_ssl() or sys.platform == "win32":
            return
        sec = int(timeout)
        tv = struct.pack("ll", sec, int((timeout - sec) * 1e6))
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        except OSError:
            return
        self.sock.settimeout(None)

    def _recv(self, bufsize: int) -> bytes:
        # The library's frame reader asks for exactly the bytes it needs next (2 header bytes, then the payload), one
        # system call each; it keeps whatever a read returns beyond that for the next frame, so reading up to its own
        # 16 KiB chunk size takes a small reply in one call instead of two.
        bufsize = max(bufsize, 16384)
        sock = self.sock
        if sock is None or sock.gettimeout() is not None:
            return super()._recv(bufsize)
        # A blocking socket: the library would answer EAGAIN (an expired SO_RCVTIMEO) by waiting without a limit.
        try:
            data = sock.recv(bufsize)
        except BlockingIOError as e:
            raise websocket.WebSocketTimeoutException("timed out waiting for data") from e
        if not data:
            raise websocket.WebSocketConnectionClosedException("the server closed the TCP connection")
        return data

    def _send(self, data: bytes) -> int:
        sock = self.sock
        if sock is None or sock.gettimeout() is not None:
            return super()._send(data)
        try:
            return sock.send(data)
        except BlockingIOError as e:  # SO_SNDTIMEO expired; see _recv
            raise websocket.WebSocketTimeoutException("timed out sending") from e

    def send_close(self, status: int = websocket.STATUS_NORMAL, reason: bytes | str = b"") -> None:
        """Sends a close frame, ignoring a connection that is already gone."""
        # recv_data answers a server's close frame with this method; a failure escaping it would lose the close code
        # the caller needs. It does fail when a server refuses an oversized frame: it closes and resets the connection
        # while the client is still sending.
        try:
            super().send_close(status, reason)
        except (OSError, websocket.WebSocketException):
            pass


class Connection:
    """A protocol v1 connection. Not thread-safe for interleaved use: one thread at a time sends and receives
    (a lock serialises :meth:`request`)."""

    def __init__(self, url: str, token: str | None = None, timeout: float | None = 60.0, hello: bool = True):
        """Opens the WebSocket at ``url`` (see :func:`normalize_url`) and, unless ``hello`` is False, runs the version
        handshake, whose reply is kept in :attr:`server_info`."""
        self.url = normalize_url(url)
        headers = [f"Authorization: Bearer {token}"] if token else []
        try:
            # One thread uses a connection at a time (see the class docstring), so the library's send and receive
            # locks would only cost time; frames are binary msgpack, so its UTF-8 check has nothing to check.
            self._ws = websocket.create_connection(self.url, header=headers, timeout=timeout, class_=_WebSocket,
                                                   skip_utf8_validation=True, enable_multithread=False)
        except Exception as e:
            raise TwinGymConnectionError(f"cannot open {self.url}: {e}") from e
        self._ws.use_kernel_timeouts(timeout)
        self._packer = msgpack.Packer(use_bin_type=True)
        self._next_id = 1
        self._pending: collections.deque[tuple[int, str]] = collections.deque()
        self._lock = threading.RLock()
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=EVENT_HISTORY)
        self._listeners: list[EventListener] = []
        self.closed = False
        self.server_info: dict[str, Any] | None = None
        if hello:
            self.server_info = self.request("hello", protocol=PROTOCOL_VERSION, client=CLIENT_NAME)

    # ---- raw frames ----

    def send_raw(self, data: bytes) -> None:
        """Sends one binary frame as is (for conformance tests of malformed input)."""
        try:
            self._ws.send(data, ABNF.OPCODE_BINARY)
        except Exception as e:
            self.closed = True
            raise TwinGymConnectionError(f"send failed: {e}") from e

    def send_text(self, text: str) -> None:
        """Sends a text frame (protocol v1 forbids them: for conformance tests only)."""
        try:
            self._ws.send(text, ABNF.OPCODE_TEXT)
        except Exception as e:
            self.closed = True
            raise TwinGymConnectionError(f"send failed: {e}") from e

    def recv_frame(self) -> Any:
        """Receives the next frame and decodes it. A close frame raises TwinGymConnectionError with its code."""
        # recv_data reassembles fragmented messages and answers pings itself; it returns data frames and close frames.
        try:
            opcode, data = self._ws.recv_data()
        except websocket.WebSocketTimeoutException as e:
            raise TwinGymConnectionError("timed out waiting for the server") from e
        except (websocket.WebSocketException, OSError) as e:
            self.closed = True
            raise TwinGymConnectionError(f"connection failed: {e}") from e
        if opcode == ABNF.OPCODE_BINARY:
            return decode_frame(data)
        if opcode == ABNF.OPCODE_CLOSE:
            self.closed = True
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            reason = data[2:].decode("utf-8", "replace")
            raise TwinGymConnectionError(f"the server closed the connection (code {code}: {reason})", code, reason)
        raise ProtocolViolation("the server sent a text frame; protocol v1 uses binary frames only")

    def recv_non_event(self) -> Any:
        """Receives the next frame that is not an event (events on the way go to the listeners), for raw protocol
        tests that send frames with :meth:`send_raw`."""
        while True:
            msg = self.recv_frame()
            if not is_event(msg):
                return msg
            self._dispatch(msg)

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
                if is_event(msg):
                    self._dispatch(msg)
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
                if type(msg) is dict and "event" in msg and is_event(msg):
                    self._dispatch(msg)
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

    # ---- events ----

    def add_listener(self, listener: EventListener) -> None:
        """Calls ``listener(event)`` for every event frame read from now on, while a reply is awaited or in
        :meth:`wait_events`. Listeners run on the reading thread and must not use this connection; an exception they
        raise is reported as a RuntimeWarning instead of breaking the read (a reply must never be lost to one)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        """Stops calling ``listener``; removing one that was never added is a no-op."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _dispatch(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as e:
                warnings.warn(f"twingym event listener {listener!r} raised {type(e).__name__}: {e}", RuntimeWarning,
                              stacklevel=2)

    def wait_events(self, timeout: float, until: Callable[[], bool] | None = None) -> int:
        """Reads event frames for up to ``timeout`` seconds while no request is in flight, handing each to the
        listeners; returns early once ``until()`` is true (checked after every event). Returns the number of events
        read. A reply arriving here is a protocol violation (nothing was asked)."""
        deadline = time.monotonic() + max(0.0, timeout)
        count = 0
        with self._lock:
            if self._pending:
                raise ProtocolViolation("wait_events needs a connection with no request in flight")
            while True:
                if until is not None and until():
                    return count
                remaining = deadline - time.monotonic()
                if not self._readable(max(0.0, remaining)):
                    return count
                msg = self.recv_frame()
                if not is_event(msg):
                    raise ProtocolViolation(f"the server sent {msg!r:.200} while no request was in flight")
                self._dispatch(msg)
                count += 1

    def _readable(self, timeout: float) -> bool:
        """True when a frame (or part of one) can be read without waiting longer than ``timeout``."""
        # Bytes the frame reader already holds (it reads ahead up to 16 KiB) never show up in select; a frame that has
        # started arriving is finished with the connection's own time-out, so a read never stops halfway through one.
        buf = self._ws.frame_buffer
        if not buf.needs_header() or any(len(b) for b in buf.recv_buffer):
            return True
        sock = self._ws.sock
        if sock is None:
            raise TwinGymConnectionError("the connection is closed")
        pending = getattr(sock, "pending", None)
        if pending is not None and pending() > 0:  # TLS records already decrypted
            return True
        try:
            readable, _, _ = select.select([sock], [], [], timeout)
        except (OSError, ValueError) as e:
            self.closed = True
            raise TwinGymConnectionError(f"connection failed: {e}") from e
        return bool(readable)

    @property
    def in_flight(self) -> int:
        """Number of requests sent whose replies have not been received."""
        return len(self._pending)

    def close(self) -> None:
        """Closes the WebSocket (the server frees every session of this connection). Idempotent."""
        if self.closed:
            return
        self.closed = True
        # The server frees the sessions on the close frame or on the dropped TCP connection alike, so nobody waits
        # for its closing reply (the library's close() would, for up to seconds).
        self._ws.send_close(websocket.STATUS_NORMAL)
        self._ws.shutdown()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
