"""The check registry, the runner and the report of the conformance suite.

Each check opens connections of its own (so one failure cannot cascade into the next), talks raw protocol v1 through
:class:`twingym.Connection`, and compares what the server says with values derived independently: the same seed through
a single session and through a vector session, a snapshot replayed, a session next to an untouched one.
"""

from __future__ import annotations

import json
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..connection import Connection
from ..errors import TwinGymConnectionError, TwinGymError
from ..wire import PROTOCOL_VERSION


class Unsupported(Exception):
    """Raised by a check when the server declares the feature absent in a way protocol v1 allows."""


class CheckFailed(AssertionError):
    """Raised by a check when the server's behaviour contradicts the protocol."""


@dataclass
class Check:
    """A registered check: stable id, one-line description and the function that runs it."""

    id: str
    description: str
    fn: Callable[["Target"], str | None]


@dataclass
class CheckResult:
    """The outcome of one check."""

    id: str
    status: str  # "pass" | "fail" | "unsupported"
    message: str = ""
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON-ready map."""
        return {"id": self.id, "status": self.status, "message": self.message,
                "duration_ms": round(self.duration_ms, 3)}


@dataclass
class Report:
    """Every result of one run plus what the server said about itself."""

    url: str
    server: dict[str, Any] = field(default_factory=dict)
    results: list[CheckResult] = field(default_factory=list)
    fatal: str = ""

    def summary(self) -> dict[str, int]:
        """Counts per status."""
        out = {"pass": 0, "fail": 0, "unsupported": 0}
        for r in self.results:
            out[r.status] += 1
        return out

    def exit_code(self) -> int:
        """0 all passed, 1 any failed, 2 nothing failed but something (or the whole protocol) is unsupported."""
        s = self.summary()
        if s["fail"]:
            return 1
        if s["unsupported"] or not self.results:
            return 2
        return 0

    def to_json(self) -> dict[str, Any]:
        """The whole report as a JSON-ready map."""
        return {"suite": "twingym-conformance", "protocol": PROTOCOL_VERSION, "url": self.url,
                "server": self.server, "summary": self.summary(), "exit_code": self.exit_code(),
                "fatal": self.fatal, "checks": [r.to_json() for r in self.results]}


#: Every check, in the order they run.
CHECKS: list[Check] = []


def check(check_id: str, description: str) -> Callable:
    """Registers a check function under a stable id."""

    def register(fn: Callable[["Target"], str | None]) -> Callable:
        if any(c.id == check_id for c in CHECKS):
            raise ValueError(f"duplicate check id {check_id}")
        CHECKS.append(Check(check_id, description, fn))
        return fn

    return register


def expect(condition: Any, message: str) -> None:
    """Fails the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


class Target:
    """The server under test: its URL, hello reply and environment specs, and helpers the checks share."""

    def __init__(self, url: str, token: str | None = None):
        """Connects once to read hello and list_envs."""
        self.url = url
        self.token = token
        self._open: list[Connection] = []
        with Connection(url, token=token, hello=False) as conn:
            self.hello = conn.request("hello", protocol=PROTOCOL_VERSION, client="twingym-conformance")
            self.envs: list[dict[str, Any]] = conn.request("list_envs")["envs"]
        self.limits: dict[str, int] = dict(self.hello.get("limits", {}))
        self.capabilities: list[str] = list(self.hello.get("capabilities", []))

    def connect(self, hello: bool = True) -> Connection:
        """A fresh connection, closed when the current check ends."""
        conn = Connection(self.url, token=self.token, hello=hello)
        self._open.append(conn)
        return conn

    def close_all(self) -> None:
        """Closes every connection the current check opened."""
        for conn in self._open:
            conn.close()
        self._open.clear()

    def spec(self, env_id: str) -> dict[str, Any]:
        """The list_envs spec of ``env_id``."""
        return next(e for e in self.envs if e["id"] == env_id)

    @property
    def env_ids(self) -> list[str]:
        """Every listed environment id."""
        return [e["id"] for e in self.envs]

    @property
    def primary(self) -> str:
        """The environment used by checks that need only one: the first whose reset is random, else the first."""
        for e in self.envs:
            if e["id"] in self.random_reset_envs():
                return e["id"]
        return self.envs[0]["id"]

    _random_reset: list[str] | None = None

    def random_reset_envs(self) -> list[str]:
        """Envs whose first observation depends on the seed (found by resetting with three seeds)."""
        if self._random_reset is None:
            found = []
            with Connection(self.url, token=self.token) as conn:
                for e in self.envs:
                    h = conn.request("make", env_id=e["id"])["session"]
                    obs = {conn.request("reset", session=h, seed=s)["obs"]["data"] for s in (1, 2, 3)}
                    conn.request("close", session=h)
                    if len(obs) > 1:
                        found.append(e["id"])
            self._random_reset = found
        return self._random_reset


def run_suite(url: str, token: str | None = None, only: Iterable[str] | None = None,
              on_result: Callable[[CheckResult], None] | None = None) -> Report:
    """Runs the selected checks against ``url`` and returns the report."""
    from . import checks as _checks  # noqa: F401  (registers the checks)

    report = Report(url=url)
    prefixes = list(only) if only else None
    try:
        target = Target(url, token)
    except TwinGymError as e:
        report.fatal = f"the server refused the protocol v1 handshake or list_envs: {e}"
        status = "unsupported" if e.code == "unsupported_version" else "fail"
        report.results.append(CheckResult("handshake.hello", status, report.fatal))
        if on_result:
            on_result(report.results[-1])
        return report
    except (TwinGymConnectionError, OSError) as e:
        report.fatal = f"cannot reach {url}: {e}"
        report.results.append(CheckResult("handshake.hello", "fail", report.fatal))
        if on_result:
            on_result(report.results[-1])
        return report
    report.server = {"protocol": target.hello.get("protocol"), "server": target.hello.get("server"),
                     "capabilities": target.capabilities, "limits": target.limits, "envs": target.env_ids}
    for c in CHECKS:
        if prefixes and not any(c.id.startswith(p) for p in prefixes):
            continue
        start = time.perf_counter()
        try:
            note = c.fn(target)
            result = CheckResult(c.id, "pass", note or "")
        except Unsupported as e:
            result = CheckResult(c.id, "unsupported", str(e))
        except CheckFailed as e:
            result = CheckResult(c.id, "fail", str(e))
        except TwinGymError as e:
            result = CheckResult(c.id, "fail", f"unexpected error reply {e}")
        except Exception as e:  # a crash of the check is a failure of the server's behaviour or of the wire
            tb = traceback.format_exc(limit=3).strip().splitlines()[-1]
            result = CheckResult(c.id, "fail", f"{type(e).__name__}: {e} ({tb})")
        finally:
            target.close_all()
        result.duration_ms = (time.perf_counter() - start) * 1000
        report.results.append(result)
        if on_result:
            on_result(result)
    return report


def report_json(report: Report) -> str:
    """The report as indented JSON text."""
    return json.dumps(report.to_json(), indent=2)
