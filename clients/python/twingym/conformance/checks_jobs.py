"""Checks of protocol 1.2: learned models (list_models, make with a model) and jobs with their events. Ids are stable:
add new ones, never rename. Every check here is ``unsupported`` on a server that does not list the op it needs."""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..connection import Connection
from ..jobs import JOB_STATES, TERMINAL_STATES
from ..spaces import encode_value, space_from_spec
from ..wire import decode_tensor
from .checks import _require_op, expect_error
from .runner import CheckFailed, Target, Unsupported, check, expect

MODEL_INFO_KEYS = ("id", "kind", "env_id", "env_options", "created", "description", "members", "agents",
                   "test_agents", "context_names", "metadata")
JOB_INFO_KEYS = ("id", "kind", "state", "params", "progress", "created", "started", "finished", "result", "error")
V1_2_OPS = ("list_models", "start_job", "job_status", "list_jobs", "cancel_job", "compare")

#: The tiny collection the job checks run: a few agents for a few steps of an environment every server has (5 is the
#: fewest the reference server collects for MountainCar: PerSim's test agents come first).
TINY_AGENTS, TINY_STEPS = 5, 20


# ---------------------------------------------------------------- helpers


def _is_uint(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _models(t: Target) -> list[dict[str, Any]]:
    _require_op(t, "list_models")
    with Connection(t.url, token=t.token) as conn:
        return conn.request("list_models")["models"]


def _servable(t: Target) -> list[dict[str, Any]]:
    """The listed models whose environment the server lists (the ones a client can make)."""
    models = [m for m in _models(t) if m.get("env_id") in t.env_ids]
    if not models:
        raise Unsupported("the server lists no learned model of a listed environment")
    return models


def _agent(model: dict[str, Any]) -> int | None:
    """An agent to make: the first test agent, else agent 0; None for models without agents."""
    if model.get("agents") is None:
        return None
    return int(model["test_agents"][0]) if model.get("test_agents") else 0


def _make_model(conn: Connection, model: dict[str, Any]) -> dict[str, Any]:
    dynamics: dict[str, Any] = {"model": model["id"]}
    agent = _agent(model)
    if agent is not None:
        dynamics["agent"] = agent
    return conn.request("make", env_id=model["env_id"], dynamics=dynamics, options=dict(model.get("env_options") or {}))


def _check_job_info(job: Any, where: str) -> None:
    expect(isinstance(job, dict), f"{where}: job is not a map")
    missing = [k for k in JOB_INFO_KEYS if k not in job]
    expect(not missing, f"{where}: JobInfo lacks {missing}")
    expect(isinstance(job["id"], str) and job["id"], f"{where}: job id {job['id']!r}")
    expect(job["state"] in JOB_STATES, f"{where}: job state {job['state']!r}")
    p = job["progress"]
    expect(isinstance(p, dict) and all(k in p for k in ("done", "total", "unit")), f"{where}: progress {p!r}")
    expect(isinstance(p["done"], (int, float)) and isinstance(p["total"], (int, float)) and isinstance(p["unit"], str),
           f"{where}: progress types {p!r}")
    expect(isinstance(job["created"], str) and job["created"], f"{where}: created {job['created']!r}")
    if job["state"] == "queued":
        expect(job["started"] is None, f"{where}: a queued job has started {job['started']!r}")
    if job["state"] in TERMINAL_STATES:
        expect(isinstance(job["finished"], str), f"{where}: a {job['state']} job has no finished time")
    else:
        expect(job["finished"] is None, f"{where}: a {job['state']} job has finished {job['finished']!r}")
    if job["state"] == "succeeded":
        expect(isinstance(job["result"], dict), f"{where}: a succeeded job has no result map")
    if job["state"] == "failed":
        err = job["error"]
        expect(isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str),
               f"{where}: a failed job's error is {err!r}")


def _collect_env(t: Target) -> str:
    """The environment of the tiny collect jobs: MountainCar-v0 when listed (every reference server has it), else the
    primary env."""
    return "MountainCar-v0" if "MountainCar-v0" in t.env_ids else t.primary


def _events_of(conn: Connection, job_id: str) -> list[dict[str, Any]]:
    return [e for e in conn.events if isinstance(e.get("job"), dict) and e["job"].get("id") == job_id]


def _wait_finished(conn: Connection, job_id: str, timeout: float) -> dict[str, Any]:
    """Reads events until this job's job_finished arrives; returns that event."""
    deadline = time.monotonic() + timeout
    while True:
        done = [e for e in _events_of(conn, job_id) if e.get("event") == "job_finished"]
        if done:
            return done[0]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CheckFailed(f"no job_finished event for job {job_id} within {timeout:g} s")
        conn.wait_events(min(remaining, 0.5))


# ---------------------------------------------------------------- handshake


@check("handshake.v1_2", "a 1.2 server lists the model and job ops in capabilities and max_jobs in limits")
def _v1_2(t: Target) -> None:
    proto = str(t.hello.get("protocol", "0.0.0")).split(".")
    if len(proto) < 2 or not proto[1].isdigit() or int(proto[1]) < 2:
        raise Unsupported(f"the server speaks protocol {t.hello.get('protocol')} (models and jobs came in 1.2.0)")
    missing = [op for op in V1_2_OPS if op not in t.capabilities]
    expect(not missing, f"a 1.2 server lacks capabilities {missing}")
    expect(_is_uint(t.limits.get("max_jobs")) and t.limits["max_jobs"] >= 1,
           f"hello.limits.max_jobs is {t.limits.get('max_jobs')!r}")


# ---------------------------------------------------------------- models


@check("models.list", "list_models: unique ids, complete ModelInfo maps, env_id filter, listed envs")
def _models_list(t: Target) -> str:
    models = _models(t)
    ids = [m.get("id") for m in models]
    expect(len(set(ids)) == len(ids), f"duplicate model ids {ids}")
    for m in models:
        missing = [k for k in MODEL_INFO_KEYS if k not in m]
        expect(not missing, f"model {m.get('id')}: ModelInfo lacks {missing}")
        expect(isinstance(m["id"], str) and m["id"] and isinstance(m["kind"], str) and m["kind"],
               f"model {m['id']!r}: id or kind is not a non-empty string")
        expect(m["env_id"] in t.env_ids, f"model {m['id']}: env_id {m['env_id']!r} is not a listed environment")
        expect(_is_uint(m["members"]) and m["members"] >= 1, f"model {m['id']}: members {m['members']!r}")
        expect(m["agents"] is None or (_is_uint(m["agents"]) and m["agents"] >= 1),
               f"model {m['id']}: agents {m['agents']!r}")
        expect(isinstance(m["test_agents"], list) and all(_is_uint(a) for a in m["test_agents"]),
               f"model {m['id']}: test_agents {m['test_agents']!r}")
        if m["agents"] is not None:
            expect(all(a < m["agents"] for a in m["test_agents"]), f"model {m['id']}: a test agent >= agents")
        params = {p["name"] for p in t.spec(m["env_id"])["context"]["params"]}
        expect(isinstance(m["context_names"], list) and set(m["context_names"]) <= params,
               f"model {m['id']}: context_names {m['context_names']} are not parameters of {m['env_id']}")
        expect(isinstance(m["metadata"], dict) and isinstance(m["env_options"], dict),
               f"model {m['id']}: metadata or env_options is not a map")
    with Connection(t.url, token=t.token) as conn:
        for env_id in t.env_ids:
            got = sorted(x["id"] for x in conn.request("list_models", env_id=env_id)["models"])
            want = sorted(m["id"] for m in models if m["env_id"] == env_id)
            expect(got == want, f"list_models env_id={env_id} gave {got}, the full list has {want}")
    return f"{len(models)} models"


@check("models.make", "make with every listed model: spaces as the env's, metadata.dynamics, reset/step in space, "
                      "get_context equals make's contexts, complete and in range")
def _models_make(t: Target) -> str:
    conn = t.connect()
    models = _servable(t)
    for m in models:
        spec = t.spec(m["env_id"])
        r = _make_model(conn, m)
        name = f"{m['id']} (agent {_agent(m)})"
        expect(r["observation_space"] == spec["observation_space"] and r["action_space"] == spec["action_space"],
               f"{name}: the spaces differ from {m['env_id']}'s")
        md = r["metadata"]["dynamics"]
        expect(md.get("kind") == m["kind"] and md.get("model") == m["id"],
               f"{name}: metadata.dynamics {md} does not name kind {m['kind']} and model {m['id']}")
        if _agent(m) is not None:
            expect(md.get("agent") == _agent(m), f"{name}: metadata.dynamics.agent is {md.get('agent')!r}")
        expect(md.get("members") == m["members"], f"{name}: metadata.dynamics.members {md.get('members')!r}, "
                                                  f"list_models says {m['members']}")
        expect(md.get("mode", "mean") == "mean", f"{name}: default mode {md.get('mode')!r}, expected mean")
        h = r["session"]
        ctx = conn.request("get_context", session=h)["contexts"]
        expect(ctx == r["contexts"], f"{name}: get_context {ctx} differs from make's contexts {r['contexts']}")
        for p in spec["context"]["params"]:
            v = ctx[0].get(p["name"])
            expect(isinstance(v, (int, float)) and p["low"] <= v <= p["high"],
                   f"{name}: context {p['name']} = {v!r} is missing or outside [{p['low']}, {p['high']}]")
        obs_space = space_from_spec(spec["observation_space"])
        act_space = space_from_spec(spec["action_space"])
        obs = decode_tensor(conn.request("reset", session=h, seed=3)["obs"])
        expect(obs in obs_space, f"{name}: reset observation {obs} outside the observation space")
        act_space.seed(3)
        for k in range(1, 6):
            s = conn.request("step", session=h, action=encode_value(act_space, act_space.sample()))
            obs = decode_tensor(s["obs"])
            expect(obs.shape == obs_space.shape and obs.dtype == obs_space.dtype,
                   f"{name}: step observation {obs.dtype}{list(obs.shape)}")
            expect(obs in obs_space, f"{name}: step {k} observation {obs} outside the observation space")
            expect(isinstance(s["terminated"], bool) and isinstance(s["truncated"], bool), f"{name}: flags")
            expect(s["info"]["episode_step"] == k, f"{name}: episode_step {s['info']['episode_step']} after {k}")
            if s["terminated"] or s["truncated"]:
                break
        svg = conn.request("render", session=h, mode="svg")["data"] if "svg" in spec["render_modes"] else "<svg"
        expect(isinstance(svg, str) and "<svg" in svg, f"{name}: render did not return SVG")
        conn.request("close", session=h)
    return f"{len(models)} models"


@check("models.set_context_unsupported", "set_context on a learned session answers unsupported, changes nothing, "
                                         "and the session keeps stepping")
def _models_set_context(t: Target) -> None:
    conn = t.connect()
    for m in _servable(t):
        spec = t.spec(m["env_id"])
        r = _make_model(conn, m)
        h = r["session"]
        conn.request("reset", session=h, seed=4)
        before = conn.request("get_state", session=h)["state"]
        params = spec["context"]["params"]
        value = {params[0]["name"]: params[0]["default"]} if params else {}
        err = expect_error(conn, "set_context", "unsupported", session=h, contexts=value)
        details = err.get("details") or {}
        expect(details.get("model") == m["id"], f"{m['id']}: unsupported details {details} do not name the model")
        expect(conn.request("get_state", session=h)["state"] == before, f"{m['id']}: a refused set_context changed "
                                                                         "the session")
        expect(conn.request("get_context", session=h)["contexts"] == r["contexts"],
               f"{m['id']}: the context changed after a refused set_context")
        act = space_from_spec(spec["action_space"])
        act.seed(4)
        conn.request("step", session=h, action=encode_value(act, act.sample()))
        conn.request("close", session=h)


@check("models.replay", "a learned session replays bit for bit after set_state (mean mode is deterministic)")
def _models_replay(t: Target) -> None:
    conn = t.connect()
    for m in _servable(t):
        spec = t.spec(m["env_id"])
        h = _make_model(conn, m)["session"]
        conn.request("reset", session=h, seed=5)
        act = space_from_spec(spec["action_space"])
        act.seed(5)
        actions = [encode_value(act, act.sample()) for _ in range(8)]
        conn.request("step", session=h, action=actions[0])
        snap = conn.request("get_state", session=h)["state"]
        first = [bytes(conn.request("step", session=h, action=a)["obs"]["data"]) for a in actions[1:]]
        conn.request("set_state", session=h, state=snap)
        second = [bytes(conn.request("step", session=h, action=a)["obs"]["data"]) for a in actions[1:]]
        expect(first == second, f"{m['id']}: stepping after set_state differs from the first run")
        conn.request("close", session=h)


@check("models.unknown_model", "make with a model id nobody serves answers unknown_dynamics and creates nothing")
def _models_unknown(t: Target) -> None:
    _require_op(t, "list_models")
    conn = t.connect()
    expect_error(conn, "make", "unknown_dynamics", env_id=t.primary,
                 dynamics={"model": "conformance-no-such-model", "agent": 0})
    h = conn.request("make", env_id=t.primary)["session"]
    expect(h == 1, f"a refused make used a handle: the next session got handle {h}")


# ---------------------------------------------------------------- jobs


def _dataset_id() -> str:
    """A dataset id nobody used: a server writes each dataset id once, and the suite may run many times."""
    return f"conformance-{uuid.uuid4().hex[:16]}"


def _start_tiny(conn: Connection, t: Target, subscribe: bool = True, seed: int = 1) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": "collect", "params": {"env_id": _collect_env(t), "policy": "random",
                                                            "agents": TINY_AGENTS, "steps": TINY_STEPS, "seed": seed,
                                                            "dataset": _dataset_id()}}
    if not subscribe:
        fields["subscribe"] = False
    return conn.request("start_job", **fields)["job"]


@check("jobs.lifecycle", "a tiny collect job: JobInfo maps, job_progress events then one job_finished, status "
                         "consistent with the event, listed by list_jobs, cancel of a finished job changes nothing")
def _jobs_lifecycle(t: Target) -> str:
    _require_op(t, "start_job")
    conn = t.connect()
    job = _start_tiny(conn, t)
    _check_job_info(job, "start_job")
    expect(job["kind"] == "collect" and job["state"] in ("queued", "running", "succeeded"),
           f"start_job answered kind {job['kind']!r} state {job['state']!r}")
    expect(job["params"].get("agents") == TINY_AGENTS, f"start_job params {job['params']} do not echo the request")
    finished = _wait_finished(conn, job["id"], 60.0)
    events = _events_of(conn, job["id"])
    names = [e["event"] for e in events]
    expect(names.count("job_finished") == 1 and names[-1] == "job_finished",
           f"job events {names}: job_finished must come once, last")
    progress = [e for e in events if e["event"] == "job_progress"]
    expect(progress, "no job_progress event before job_finished")
    for e in events:
        _check_job_info(e["job"], e["event"])
        expect(set(e) == {"event", "job"}, f"{e['event']} event has keys {sorted(e)}")
    for e in progress:
        expect(e["job"]["state"] in ("queued", "running") or e is progress[-1],
               f"job_progress with state {e['job']['state']} before the last one")
    dones = [e["job"]["progress"]["done"] for e in events]
    expect(dones == sorted(dones), f"progress went backwards: {dones}")
    final = finished["job"]
    expect(final["state"] == "succeeded", f"the tiny collect job ended {final['state']}: {final.get('error')}")
    result = final["result"]
    expect(isinstance(result.get("dataset"), str) and result["dataset"], f"collect result {result} has no dataset id")
    rows = result.get("rows")
    expect(_is_uint(rows) and 0 < rows <= TINY_AGENTS * TINY_STEPS,
           f"collect result rows {rows!r} for {TINY_AGENTS} agents x {TINY_STEPS} steps")
    status = conn.request("job_status", job=job["id"])["job"]
    _check_job_info(status, "job_status")
    for key in ("id", "kind", "state", "params", "result", "finished", "started", "created"):
        expect(status[key] == final[key], f"job_status {key} {status[key]!r} differs from job_finished's {final[key]!r}")
    listed = conn.request("list_jobs")["jobs"]
    for j in listed:
        _check_job_info(j, "list_jobs")
    expect(any(j["id"] == job["id"] for j in listed), "list_jobs does not list the job just run")
    created = [j["created"] for j in listed]
    expect(created == sorted(created, reverse=True), "list_jobs is not newest first")
    again = conn.request("cancel_job", job=job["id"])["job"]
    expect(again["state"] == "succeeded" and again["result"] == final["result"],
           f"cancel_job of a finished job changed it to {again['state']}")
    return f"{len(progress)} progress events, {rows} rows"


@check("jobs.cancel", "cancel_job of a running collect job ends it cancelled, with one job_finished event")
def _jobs_cancel(t: Target) -> None:
    _require_op(t, "cancel_job")
    conn = t.connect()
    big = {"env_id": _collect_env(t), "policy": "random", "agents": 2000, "seed": 2, "dataset": _dataset_id()}
    job = conn.request("start_job", kind="collect", params=big)["job"]
    answered = conn.request("cancel_job", job=job["id"])["job"]
    _check_job_info(answered, "cancel_job")
    expect(answered["id"] == job["id"], "cancel_job answered another job")
    finished = _wait_finished(conn, job["id"], 60.0)["job"]
    expect(finished["state"] == "cancelled", f"a cancelled job ended {finished['state']}")
    expect(finished["result"] is None, f"a cancelled job has a result {finished['result']}")
    status = conn.request("job_status", job=job["id"])["job"]
    expect(status["state"] == "cancelled", f"job_status after the cancel says {status['state']}")
    names = [e["event"] for e in _events_of(conn, job["id"])]
    expect(names.count("job_finished") == 1, f"events of the cancelled job: {names}")


@check("jobs.unsubscribed", "start_job with subscribe false sends no event of that job; job_status follows it")
def _jobs_unsubscribed(t: Target) -> None:
    _require_op(t, "start_job")
    conn = t.connect()
    job = _start_tiny(conn, t, subscribe=False, seed=3)
    deadline = time.monotonic() + 60
    while True:
        status = conn.request("job_status", job=job["id"])["job"]
        _check_job_info(status, "job_status")
        if status["state"] in TERMINAL_STATES:
            break
        expect(time.monotonic() < deadline, "the tiny collect job did not end within 60 s")
        conn.wait_events(0.1)
    expect(status["state"] == "succeeded", f"the unsubscribed job ended {status['state']}")
    conn.wait_events(0.3)  # a wrongly sent job_finished would trail the status
    expect(not _events_of(conn, job["id"]), f"events of an unsubscribed job arrived: "
                                            f"{[e['event'] for e in _events_of(conn, job['id'])]}")


@check("jobs.unknown_job", "job_status and cancel_job of an id nobody started answer unknown_job")
def _jobs_unknown(t: Target) -> None:
    _require_op(t, "job_status")
    conn = t.connect()
    expect_error(conn, "job_status", "unknown_job", job="conformance-no-such-job")
    expect_error(conn, "cancel_job", "unknown_job", job="conformance-no-such-job")
    conn.request("list_envs")


@check("jobs.invalid", "start_job with an unknown kind or invalid params answers invalid_argument and starts nothing")
def _jobs_invalid(t: Target) -> None:
    _require_op(t, "start_job")
    conn = t.connect()
    before = {j["id"] for j in conn.request("list_jobs")["jobs"]}
    expect_error(conn, "start_job", "invalid_argument", kind="conformance-no-such-kind", params={})
    err = expect_error(conn, "start_job", "invalid_argument", kind="collect",
                       params={"env_id": _collect_env(t), "policy": "random", "agents": "three",
                               "dataset": _dataset_id()})
    expect(str((err.get("details") or {}).get("path", "")).find("agents") >= 0,
           f"invalid params: details.path {(err.get('details') or {}).get('path')!r} does not name agents")
    expect_error(conn, "start_job", "unknown_field", kind="collect", params={}, priority=1)
    after = {j["id"] for j in conn.request("list_jobs")["jobs"]}
    expect(not after - before, f"refused start_job requests created jobs {sorted(after - before)}")


@check("events.format", "event frames carry a string event and no id or ok; requests in flight still get their "
                        "replies in order while events arrive")
def _events_format(t: Target) -> str:
    _require_op(t, "start_job")
    conn = t.connect()
    job = _start_tiny(conn, t, seed=4)
    # Pipelined requests while the job runs: events may interleave, replies must stay in order.
    h = conn.request("make", env_id=_collect_env(t))["session"]
    conn.request("reset", session=h, seed=0)
    act = space_from_spec(t.spec(_collect_env(t))["action_space"])
    act.seed(0)
    replies = conn.pipeline([("step", {"session": h, "action": encode_value(act, act.sample())})
                             for _ in range(30)])
    steps = [r["info"]["episode_step"] for r in replies]
    expect(steps == list(range(1, 31)), f"replies out of order while events arrived: episode_step {steps}")
    _wait_finished(conn, job["id"], 60.0)
    for e in conn.events:
        expect(isinstance(e.get("event"), str) and "id" not in e and "ok" not in e, f"malformed event {e!r:.200}")
    return f"{len(conn.events)} events"
