"""Learned models and long-running jobs (protocol 1.2): ``list_models``, ``start_job``, ``job_status``, ``list_jobs``,
``cancel_job``, ``compare``, and waiting for a job with its progress events.

The functions here take a :class:`~twingym.connection.Connection`; :class:`twingym.Client` exposes them as methods.
Replies become the dataclasses below, which keep the reply map as sent in ``raw`` so fields a newer server adds stay
reachable.

A job started with ``subscribe=True`` (the default) makes the server push ``job_progress`` events (at most about five
per second) and one ``job_finished`` event to the connection that started it. :func:`wait_job` follows those events and
falls back to polling ``job_status``, so it also waits for jobs started elsewhere (another connection, the HTTP API) or
without a subscription.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .connection import Connection
from .errors import error_from_reply

#: Job states after which nothing changes any more.
TERMINAL_STATES = ("succeeded", "failed", "cancelled")

#: Every job state, in lifecycle order.
JOB_STATES = ("queued", "running") + TERMINAL_STATES


def _float(value: Any, default: float = 0.0) -> float:
    """A wire number as a float (integral floats may arrive as msgpack ints)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value)


@dataclass(frozen=True)
class ModelInfo:
    """One learned model a server can serve (``list_models``).

    ``agents`` is the number of trained agents of a PerSim model (None for models without agents), ``test_agents``
    the agents held out for evaluation and ``context_names`` the context parameters the agents differ in.
    ``metadata`` holds kind-specific facts (hyper-parameters, dataset, metrics).
    """

    id: str
    kind: str
    env_id: str
    env_options: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    description: str = ""
    members: int = 1
    agents: int | None = None
    test_agents: list[int] = field(default_factory=list)
    context_names: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, m: Mapping[str, Any]) -> "ModelInfo":
        """Builds a ModelInfo from its reply map, tolerating fields a newer server adds."""
        agents = m.get("agents")
        return cls(id=str(m.get("id", "")), kind=str(m.get("kind", "")), env_id=str(m.get("env_id", "")),
                   env_options=dict(m.get("env_options") or {}), created=str(m.get("created") or ""),
                   description=str(m.get("description") or ""), members=int(m.get("members") or 1),
                   agents=None if agents is None else int(agents),
                   test_agents=[int(a) for a in (m.get("test_agents") or [])],
                   context_names=[str(n) for n in (m.get("context_names") or [])],
                   metadata=dict(m.get("metadata") or {}), raw=dict(m))


@dataclass(frozen=True)
class JobProgress:
    """How far a job is: ``done`` of ``total`` ``unit`` (epochs, episodes, transitions...), a human ``message`` and
    kind-specific ``metrics`` (loss, rows...)."""

    done: float = 0.0
    total: float = 0.0
    unit: str = ""
    message: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        """done / total clipped to [0, 1]; 0 while the total is unknown (0)."""
        if self.total <= 0 or not math.isfinite(self.total):
            return 0.0
        return min(1.0, max(0.0, self.done / self.total))

    @classmethod
    def from_wire(cls, m: Mapping[str, Any] | None) -> "JobProgress":
        """Builds a JobProgress from its wire map (missing fields take their zero values)."""
        m = m or {}
        message = m.get("message")
        return cls(done=_float(m.get("done")), total=_float(m.get("total")), unit=str(m.get("unit") or ""),
                   message=None if message is None else str(message),
                   metrics={str(k): _float(v, math.nan) for k, v in (m.get("metrics") or {}).items()})


@dataclass(frozen=True)
class JobInfo:
    """A job as the server reports it (``start_job``, ``job_status``, ``list_jobs``, ``cancel_job`` and events).

    ``state`` is one of :data:`JOB_STATES`; ``result`` is set once the job succeeded (collect: ``{dataset, rows}``,
    train_persim: ``{model, metrics}``, compare: the compare reply) and ``error`` (``{code, message, details}``) once it
    failed. Times are ISO-8601 strings (None until the job started or finished).
    """

    id: str
    kind: str
    state: str
    params: dict[str, Any] = field(default_factory=dict)
    progress: JobProgress = field(default_factory=JobProgress)
    created: str = ""
    started: str | None = None
    finished: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def done(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.state in TERMINAL_STATES

    def raise_if_failed(self) -> "JobInfo":
        """Raises the TwinGymError of a failed job (by its error code), or JobCancelledError for a cancelled one;
        returns the job otherwise, so ``client.wait_job(id).raise_if_failed().result`` reads naturally."""
        if self.state == "failed":
            raise error_from_reply(self.error or {"code": "internal", "message": "the job failed without an error"},
                                   f"job {self.id}")
        if self.state == "cancelled":
            raise JobCancelledError(self)
        return self

    @classmethod
    def from_wire(cls, m: Mapping[str, Any]) -> "JobInfo":
        """Builds a JobInfo from its wire map, tolerating fields a newer server adds."""
        result, error = m.get("result"), m.get("error")
        return cls(id=str(m.get("id", "")), kind=str(m.get("kind", "")), state=str(m.get("state", "")),
                   params=dict(m.get("params") or {}), progress=JobProgress.from_wire(m.get("progress")),
                   created=str(m.get("created") or ""), started=m.get("started"), finished=m.get("finished"),
                   result=dict(result) if isinstance(result, Mapping) else None,
                   error=dict(error) if isinstance(error, Mapping) else None, raw=dict(m))


class JobCancelledError(RuntimeError):
    """Raised by :meth:`JobInfo.raise_if_failed` for a cancelled job; ``job`` is its final JobInfo."""

    def __init__(self, job: JobInfo):
        self.job = job
        super().__init__(f"job {job.id} ({job.kind}) was cancelled")


class JobTimeoutError(TimeoutError):
    """:func:`wait_job` gave up before the job ended; ``job`` is the last JobInfo seen. The job keeps running."""

    def __init__(self, job: JobInfo, timeout: float):
        self.job = job
        super().__init__(f"job {job.id} ({job.kind}) is still {job.state} after {timeout:g} s "
                         f"({job.progress.done:g}/{job.progress.total:g} {job.progress.unit})")


def list_models(conn: Connection, env_id: str | None = None) -> list[ModelInfo]:
    """Every learned model the server serves, or those of ``env_id``."""
    fields = {} if env_id is None else {"env_id": env_id}
    return [ModelInfo.from_wire(m) for m in conn.request("list_models", **fields)["models"]]


def start_job(conn: Connection, kind: str, params: Mapping[str, Any] | None = None,
              subscribe: bool = True) -> JobInfo:
    """Starts a job of ``kind`` ("collect", "train_persim", "compare", ...) with ``params``; with ``subscribe`` this
    connection receives its progress events. Raises InvalidArgumentError for an unknown kind or bad params and
    BusyError when the server's job queue is full."""
    fields: dict[str, Any] = {"kind": kind, "params": dict(params or {})}
    if not subscribe:
        fields["subscribe"] = False
    return JobInfo.from_wire(conn.request("start_job", **fields)["job"])


def job_status(conn: Connection, job_id: str) -> JobInfo:
    """The job's current state; UnknownJobError for an id the server does not know (or forgot)."""
    return JobInfo.from_wire(conn.request("job_status", job=job_id)["job"])


def list_jobs(conn: Connection) -> list[JobInfo]:
    """Every job the server knows, newest first (finished ones are kept for a while)."""
    return [JobInfo.from_wire(j) for j in conn.request("list_jobs")["jobs"]]


def cancel_job(conn: Connection, job_id: str) -> JobInfo:
    """Asks the server to stop a job; returns it as it is now (the state becomes "cancelled" once the job stops; a
    finished job is returned unchanged)."""
    return JobInfo.from_wire(conn.request("cancel_job", job=job_id)["job"])


def compare(conn: Connection, model: str, agent: int, *, episodes: int | None = None, seed: int | None = None,
            warmup: int | None = None, horizon: int | None = None, policy: str | None = None) -> dict[str, Any]:
    """PerSim's comparison of a model against the true environment for one agent, run synchronously on the server.

    Returns the reply map: ``env_id``, ``model``, ``agent``, ``episodes``, ``policy``, ``warmup``, ``horizon``,
    ``rmse`` and ``r2`` (each ``{mean, median}``) and ``per_dimension_rmse`` (a list of floats). For long runs start a
    "compare" job with the same fields instead.
    """
    fields: dict[str, Any] = {"model": model, "agent": int(agent)}
    for key, value in (("episodes", episodes), ("seed", seed), ("warmup", warmup), ("horizon", horizon)):
        if value is not None:
            fields[key] = int(value)
    if policy is not None:
        fields["policy"] = policy
    reply = conn.request("compare", **fields)
    out = {k: v for k, v in reply.items() if k not in ("id", "ok")}
    if "per_dimension_rmse" in out:
        out["per_dimension_rmse"] = [_float(v, math.nan) for v in out["per_dimension_rmse"]]
    return out


def wait_job(conn: Connection, job_id: str, on_progress: Callable[[JobInfo], None] | None = None,
             timeout: float | None = None, poll_interval: float = 1.0) -> JobInfo:
    """Waits until the job succeeds, fails or is cancelled and returns its final JobInfo (it does not raise for a
    failed job: see :meth:`JobInfo.raise_if_failed`).

    ``on_progress(job)`` is called with every new state or progress, from the job's events when this connection is
    subscribed to it, else from ``job_status`` polled every ``poll_interval`` seconds (also the fall-back when no event
    comes for that long); the final JobInfo is passed to it too. ``timeout`` (seconds, None for no limit) raises
    JobTimeoutError and leaves the job running. The connection is busy while this waits; events of other jobs still
    reach its listeners.
    """
    seen: list[dict[str, Any]] = []

    def listener(event: dict[str, Any]) -> None:
        job = event.get("job")
        if event.get("event") in ("job_progress", "job_finished") and isinstance(job, dict) \
                and job.get("id") == job_id:
            seen.append(event)

    deadline = None if timeout is None else time.monotonic() + timeout
    last_reported: tuple | None = None
    latest: JobInfo | None = None
    finished = False

    def take(job: JobInfo, final: bool) -> None:
        nonlocal last_reported, latest, finished
        latest = job
        finished = finished or final or job.done
        key = (job.state, job.progress.done, job.progress.total, job.progress.message)
        if on_progress is not None and key != last_reported:
            last_reported = key
            on_progress(job)

    def drain() -> None:
        while seen and not finished:
            event = seen.pop(0)
            take(JobInfo.from_wire(event["job"]), event.get("event") == "job_finished")
        if finished:
            seen.clear()

    conn.add_listener(listener)
    try:
        polled = job_status(conn, job_id)
        drain()
        if not finished:
            take(polled, False)
        while not finished:
            wait = poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    assert latest is not None
                    raise JobTimeoutError(latest, timeout or 0.0)
                wait = min(wait, remaining)
            conn.wait_events(wait, until=lambda: bool(seen))
            if seen:
                drain()
                continue
            # No event for poll_interval: the job may be unsubscribed, queued without progress, or its events lost.
            polled = job_status(conn, job_id)
            drain()  # events read while the status was on its way are older than it
            if not finished:
                take(polled, False)
        assert latest is not None
        return latest
    finally:
        conn.remove_listener(listener)


__all__ = ["ModelInfo", "JobInfo", "JobProgress", "JobCancelledError", "JobTimeoutError", "JOB_STATES",
           "TERMINAL_STATES", "list_models", "start_job", "job_status", "list_jobs", "cancel_job", "compare",
           "wait_job"]
