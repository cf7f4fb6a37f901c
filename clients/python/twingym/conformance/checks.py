"""The checks of the conformance suite. Ids are stable: add new ones, never rename."""

from __future__ import annotations

import math
import socket
import time
from typing import Any

import numpy as np
from gymnasium import spaces

from ..connection import Connection
from ..errors import TwinGymConnectionError
from ..spaces import encode_value, space_from_spec
from ..wire import decode_tensor, encode_frame, encode_tensor, is_tensor
from .runner import CheckFailed, Target, Unsupported, check, expect

V1_OPS = ["hello", "list_envs", "make", "reset", "step", "close", "get_context", "set_context", "get_state",
          "set_state", "render"]
RESERVED_OPS = ["rollout", "plan", "list_models", "start_job", "job_status", "cancel_job"]


# ---------------------------------------------------------------- helpers


def expect_error(conn: Connection, op: str, code: str, **fields: Any) -> dict[str, Any]:
    """Sends a request that must fail with ``code``; returns the error map."""
    conn.send(op, **fields)
    reply = conn.receive(raise_errors=False)
    expect(reply.get("ok") is False, f"{op} {_brief(fields)} succeeded; expected error {code}")
    err = reply.get("error") or {}
    expect(err.get("code") == code, f"{op} {_brief(fields)} answered {err.get('code')!r} ({err.get('message')!r}); "
                                    f"expected {code}")
    expect(isinstance(err.get("message"), str) and err["message"].strip(), f"{code} error without a message")
    expect(err.get("details") is None or isinstance(err.get("details"), dict), f"{code} details is not a map")
    return err


def _brief(fields: dict[str, Any]) -> str:
    text = repr({k: ("<tensor>" if is_tensor(v) else v) for k, v in fields.items()})
    return text if len(text) < 120 else text[:117] + "..."


class EnvHandle:
    """One session on one connection with its spaces, for checks that step it."""

    def __init__(self, t: Target, conn: Connection, env_id: str, **make_fields: Any):
        """Makes ``env_id`` on ``conn`` with ``make_fields``."""
        self.conn = conn
        self.env_id = env_id
        self.reply = conn.request("make", env_id=env_id, **make_fields)
        self.h = self.reply["session"]
        self.n = int(self.reply["num_envs"])
        self.vectorized = bool(self.reply["vectorized"])
        self.single_action_space = space_from_spec(self.reply["single_action_space"])
        self.action_space = space_from_spec(self.reply["action_space"])
        self.obs_space = space_from_spec(self.reply["single_observation_space"])
        self.spec = t.spec(env_id)

    def close(self) -> None:
        """Closes the session (checks that loop over envs stay within max_sessions_per_connection)."""
        self.conn.request("close", session=self.h)

    def req(self, op: str, **fields: Any) -> dict[str, Any]:
        """A request on this session."""
        return self.conn.request(op, session=self.h, **fields)

    def reset(self, **fields: Any) -> np.ndarray:
        """reset; returns the observation array."""
        return decode_tensor(self.req("reset", **fields)["obs"])

    def actions(self, seed: int, count: int) -> list[Any]:
        """``count`` valid actions (batched for vector sessions) from a seeded sampler, as wire values."""
        space = self.action_space
        space.seed(seed)
        return [encode_value(space, space.sample()) for _ in range(count)]

    def step(self, action: Any) -> dict[str, Any]:
        """step; returns the raw reply."""
        return self.req("step", action=action)

    def state(self) -> bytes | None:
        """get_state bytes, or None when the server answers unsupported."""
        self.conn.send("get_state", session=self.h)
        reply = self.conn.receive(raise_errors=False)
        if reply.get("ok"):
            return reply["state"]
        if reply["error"]["code"] == "unsupported":
            return None
        raise CheckFailed(f"get_state failed: {reply['error']}")

    def assert_intact(self, before: bytes | None, after_what: str) -> None:
        """The session is exactly as it was (same snapshot) and still steps."""
        now = self.state()
        if before is not None:
            expect(now == before, f"the session changed after {after_what}; a refused request must leave it as it was")
        self.step(self.actions(99, 1)[0])


def obs_bytes(reply: dict[str, Any]) -> bytes:
    """The observation tensor's raw bytes (bit-exact comparisons)."""
    return bytes(reply["obs"]["data"])


def flag(value: Any, i: int | None = None) -> bool:
    """A bool or a bool tensor element."""
    if is_tensor(value):
        arr = decode_tensor(value).reshape(-1)
        return bool(arr[0 if i is None else i])
    return bool(value)


def num(value: Any, i: int | None = None) -> float:
    """A number or a tensor element."""
    if is_tensor(value):
        return float(decode_tensor(value).reshape(-1)[0 if i is None else i])
    return float(value)


def episode_step(reply: dict[str, Any], i: int | None = None) -> int:
    """info.episode_step (of env i in vector sessions)."""
    v = reply["info"]["episode_step"]
    return int(num(v, i))


def out_of_bounds_actions(space: spaces.Space) -> list[tuple[str, Any]]:
    """Actions just outside an action space: below, above, and NaN for real Boxes."""
    out: list[tuple[str, Any]] = []
    if isinstance(space, spaces.Discrete):
        out.append(("below", int(space.start) - 1))
        out.append(("above", int(space.start + space.n)))
    elif isinstance(space, spaces.MultiDiscrete):
        low = np.asarray(space.start, dtype=np.int64)
        out.append(("below", encode_tensor(low - 1, "i64")))
        out.append(("above", encode_tensor(low + np.asarray(space.nvec, dtype=np.int64), "i64")))
    elif isinstance(space, spaces.MultiBinary):
        out.append(("above", encode_tensor(np.full(space.shape, 2, dtype=np.uint8), "u8")))
    elif isinstance(space, spaces.Box):
        wire = {np.dtype("float32"): "f32", np.dtype("float64"): "f64"}.get(np.dtype(space.dtype))
        mid = np.where(np.isfinite(space.low) & np.isfinite(space.high), (space.low + space.high) / 2,
                       np.where(np.isfinite(space.low), space.low, np.where(np.isfinite(space.high), space.high, 0)))
        if np.all(np.isfinite(space.low)):
            a = mid.astype(np.float64).copy()
            a.reshape(-1)[0] = float(space.low.reshape(-1)[0]) - 1.0
            out.append(("below", encode_tensor(a, wire or "f64")))
        if np.all(np.isfinite(space.high)):
            a = mid.astype(np.float64).copy()
            a.reshape(-1)[0] = float(space.high.reshape(-1)[0]) + 1.0
            out.append(("above", encode_tensor(a, wire or "f64")))
        if wire:
            a = mid.astype(np.float64).copy()
            a.reshape(-1)[0] = math.nan
            out.append(("nan", encode_tensor(a, wire)))
    return out


def wrong_dtype_action(space: spaces.Space, valid: Any) -> Any:
    """A valid action value in a dtype the space cannot take without loss."""
    arr = np.asarray(decode_tensor(valid) if is_tensor(valid) else valid)
    if isinstance(space, spaces.Box) and np.issubdtype(space.dtype, np.floating):
        return encode_tensor(np.zeros(arr.shape, dtype=np.int32), "i32")
    return encode_tensor(arr.astype(np.float64), "f64")


def extra_dim_action(valid: Any) -> Any:
    """A valid action with an extra leading dimension of 2 (never a legal broadcast)."""
    arr = np.asarray(decode_tensor(valid) if is_tensor(valid) else valid)
    stacked = np.stack([arr, arr])
    return encode_tensor(stacked)


def context_params(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The context parameters of an env spec."""
    return list(spec.get("context", {}).get("params", []))


def far_value(p: dict[str, Any]) -> float:
    """The end of a parameter's range farthest from its default."""
    lo, hi, d = float(p["low"]), float(p["high"]), float(p["default"])
    return lo if abs(d - lo) >= abs(hi - d) else hi


def steps_without_end(t: Target, env_id: str, horizon: int, seeds: list[int], **make_fields: Any) -> int:
    """A seed whose episode under sampled actions (seed 1000 + seed) runs ``horizon`` steps without terminating."""
    conn = t.connect()
    e = EnvHandle(t, conn, env_id, **make_fields)
    for s in seeds:
        e.reset(seed=s)
        ok = True
        for a in e.actions(1000 + s, horizon):
            r = e.step(a)
            if flag(r["terminated"]):
                ok = False
                break
        if ok:
            return s
    raise Unsupported(f"{env_id} terminates within {horizon} steps for every tried seed")


def require_vector(t: Target) -> None:
    """Autoreset checks need vector sessions of at least 2 envs."""
    if int(t.limits.get("max_envs_per_session", 2)) < 2:
        raise Unsupported("the server allows one env per session (limits.max_envs_per_session < 2)")


# ---------------------------------------------------------------- handshake


@check("handshake.hello", "hello with this client's version answers protocol 1.x, capabilities and limits")
def _hello(t: Target) -> None:
    h = t.hello
    expect(h.get("ok") is True, "hello did not succeed")
    proto = str(h.get("protocol", ""))
    expect(proto.split(".")[0] == "1" and len(proto.split(".")) == 3, f"hello.protocol {proto!r} is not 1.x.y")
    expect(isinstance(h.get("server"), str) and h["server"], "hello.server is missing")
    for key in ("max_frame_bytes", "max_sessions_per_connection", "max_envs_per_session", "max_rollout_steps"):
        v = t.limits.get(key)
        expect(isinstance(v, int) and not isinstance(v, bool) and v > 0, f"hello.limits.{key} is {v!r}")


@check("handshake.capabilities", "capabilities list every v1 op")
def _capabilities(t: Target) -> None:
    missing = [op for op in V1_OPS if op not in t.capabilities]
    expect(not missing, f"capabilities lack v1 ops {missing}")


@check("handshake.newer_minor", "a client of a newer minor (1.99.0) is accepted")
def _newer_minor(t: Target) -> None:
    conn = t.connect(hello=False)
    reply = conn.request("hello", protocol="1.99.0")
    expect(str(reply["protocol"]).startswith("1."), "hello reply protocol is not 1.x")


@check("handshake.bad_major", "hello with major 2 answers unsupported_version and the connection stays usable")
def _bad_major(t: Target) -> None:
    conn = t.connect(hello=False)
    expect_error(conn, "hello", "unsupported_version", protocol="2.0.0")
    envs = conn.request("list_envs")["envs"]
    expect(len(envs) == len(t.envs), "list_envs after unsupported_version differs")


@check("handshake.optional", "a connection that skips hello is served")
def _optional_hello(t: Target) -> None:
    conn = t.connect(hello=False)
    e = EnvHandle(t, conn, t.primary)
    e.reset(seed=0)


# ---------------------------------------------------------------- ops


@check("ops.list_envs", "list_envs: unique ids, complete specs, decodable spaces, consistent context ranges")
def _list_envs(t: Target) -> None:
    expect(len(t.envs) > 0, "list_envs returned no environment")
    ids = t.env_ids
    expect(len(set(ids)) == len(ids), f"duplicate env ids {ids}")
    for e in t.envs:
        for key in ("id", "description", "observation_space", "action_space", "context", "max_episode_steps",
                    "reward_range", "render_modes", "options", "dynamics"):
            expect(key in e, f"{e.get('id')}: spec lacks {key}")
        space_from_spec(e["observation_space"])
        space_from_spec(e["action_space"])
        expect(isinstance(e["max_episode_steps"], int) and e["max_episode_steps"] >= 1,
               f"{e['id']}: max_episode_steps {e['max_episode_steps']!r}")
        expect("true" in e["dynamics"], f"{e['id']}: dynamics does not list 'true'")
        for p in context_params(e):
            expect(p["low"] <= p["default"] <= p["high"], f"{e['id']}: context {p['name']} default outside its range")


@check("ops.make", "make of every env: spaces as listed, contexts read back at their defaults, metadata")
def _make(t: Target) -> None:
    conn = t.connect()
    for spec in t.envs:
        r = conn.request("make", env_id=spec["id"])
        expect(isinstance(r["session"], int) and r["session"] >= 1, f"{spec['id']}: session handle {r['session']!r}")
        expect(r["env_id"] == spec["id"] and r["num_envs"] == 1 and r["vectorized"] is False,
               f"{spec['id']}: make reply env_id/num_envs/vectorized wrong")
        for key in ("observation_space", "action_space"):
            expect(r[key] == spec[key], f"{spec['id']}: make {key} differs from list_envs")
            expect(r["single_" + key] == spec[key], f"{spec['id']}: single_{key} differs from list_envs")
        expect(len(r["contexts"]) == 1, f"{spec['id']}: contexts has {len(r['contexts'])} entries for 1 env")
        for p in context_params(spec):
            got = r["contexts"][0].get(p["name"])
            expect(got is not None and math.isclose(got, p["default"], rel_tol=1e-9, abs_tol=1e-12),
                   f"{spec['id']}: context {p['name']} read back {got!r}, default {p['default']!r}")
        md = r["metadata"]
        expect(md["max_episode_steps"] == spec["max_episode_steps"], f"{spec['id']}: metadata.max_episode_steps")
        expect(md["autoreset"] == "disabled", f"{spec['id']}: single session autoreset {md['autoreset']!r}")
        expect(md["render_modes"] == spec["render_modes"], f"{spec['id']}: metadata.render_modes differ")
        conn.request("close", session=r["session"])


@check("ops.reset", "reset of every env: observation of the declared dtype and shape, inside its space, step 0")
def _reset(t: Target) -> None:
    conn = t.connect()
    for env_id in t.env_ids:
        e = EnvHandle(t, conn, env_id)
        r = e.req("reset", seed=5)
        decl = e.reply["observation_space"]
        expect(r["obs"]["dtype"] == decl.get("dtype", r["obs"]["dtype"]),
               f"{env_id}: obs dtype {r['obs']['dtype']} but the space declares {decl.get('dtype')}")
        obs = decode_tensor(r["obs"])
        expect(obs in e.obs_space, f"{env_id}: reset observation {obs} outside the observation space")
        expect(episode_step(r) == 0, f"{env_id}: reset info.episode_step is not 0")
        e.close()


@check("ops.step", "step of every env: obs in space, numeric reward, bool flags, episode_step counts")
def _step(t: Target) -> None:
    conn = t.connect()
    for env_id in t.env_ids:
        e = EnvHandle(t, conn, env_id)
        e.reset(seed=6)
        for k, a in enumerate(e.actions(6, 3), start=1):
            r = e.step(a)
            obs = decode_tensor(r["obs"])
            expect(r["obs"]["dtype"] == e.reply["observation_space"].get("dtype", r["obs"]["dtype"]),
                   f"{env_id}: step obs dtype {r['obs']['dtype']}")
            expect(obs.shape == e.obs_space.shape, f"{env_id}: step obs shape {obs.shape}")
            expect(isinstance(r["reward"], (int, float)) and not isinstance(r["reward"], bool),
                   f"{env_id}: reward {r['reward']!r} is not a number")
            expect(isinstance(r["terminated"], bool) and isinstance(r["truncated"], bool),
                   f"{env_id}: terminated/truncated are not bools")
            expect(episode_step(r) == k, f"{env_id}: episode_step {episode_step(r)} after {k} steps")
            if r["terminated"] or r["truncated"]:
                break
        e.close()


@check("ops.vector", "vector sessions batch spaces, observations, rewards, flags and episode_step over num_envs")
def _vector(t: Target) -> None:
    require_vector(t)
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary, num_envs=3)
    expect(e.vectorized and e.n == 3, "make num_envs=3 is not a vector session of 3")
    obs_shape = list(e.obs_space.shape)
    expect(e.reply["observation_space"].get("shape", [3] + obs_shape)[:1] == [3] or
           e.reply["observation_space"]["type"] != "box", "batched observation_space does not lead with num_envs")
    expect(len(e.reply["contexts"]) == 3, "contexts is not one map per env")
    r0 = e.req("reset", seed=1)
    expect(list(r0["obs"]["shape"]) == [3] + obs_shape, f"vector reset obs shape {r0['obs']['shape']}")
    r = e.step(e.actions(1, 1)[0])
    expect(list(r["obs"]["shape"]) == [3] + obs_shape, f"vector step obs shape {r['obs']['shape']}")
    expect(is_tensor(r["reward"]) and r["reward"]["dtype"] == "f64" and list(r["reward"]["shape"]) == [3],
           "vector reward is not f64[3]")
    for key in ("terminated", "truncated"):
        expect(is_tensor(r[key]) and r[key]["dtype"] == "bool" and list(r[key]["shape"]) == [3],
               f"vector {key} is not bool[3]")
    steps = decode_tensor(r["info"]["episode_step"]) if is_tensor(r["info"]["episode_step"]) else None
    expect(steps is not None and list(steps) == [1, 1, 1], f"vector episode_step {steps}")


@check("ops.broadcast_action", "a vector session takes one unbatched action for every env (broadcast)")
def _broadcast(t: Target) -> None:
    require_vector(t)
    conn = t.connect()
    a = EnvHandle(t, conn, t.primary, num_envs=2)
    b = EnvHandle(t, conn, t.primary, num_envs=2)
    a.reset(seed=[3, 4])
    b.reset(seed=[3, 4])
    a.single_action_space.seed(5)
    single = a.single_action_space.sample()
    ra = a.step(encode_value(a.single_action_space, single))
    rb = b.step(encode_value(b.action_space, np.stack([np.asarray(single)] * 2)))
    expect(obs_bytes(ra) == obs_bytes(rb), "a broadcast action gave other observations than the same action per env")


@check("ops.action_forms", "an action as a tensor, a plain number or a nested list gives the same step")
def _action_forms(t: Target) -> None:
    conn = t.connect()
    env_id = t.primary
    probe = EnvHandle(t, conn, env_id)
    probe.single_action_space.seed(8)
    value = np.asarray(probe.single_action_space.sample())
    probe.close()
    forms = [encode_value(probe.single_action_space, value), value.tolist()]
    if np.issubdtype(value.dtype, np.floating):
        forms.append(encode_tensor(value.astype(np.float64), "f64"))
    else:
        forms.append(encode_tensor(value.astype(np.int32), "i32"))
    seen = set()
    for form in forms:
        e = EnvHandle(t, conn, env_id)
        e.reset(seed=8)
        seen.add(obs_bytes(e.step(form)))
        e.close()
    expect(len(seen) == 1, f"{len(seen)} different observations for one action in {len(forms)} encodings")


@check("ops.close", "close answers closed true then false; a closed or foreign handle is unknown_session")
def _close(t: Target) -> None:
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary)
    e.reset(seed=0)
    expect(conn.request("close", session=e.h)["closed"] is True, "first close did not answer closed: true")
    expect(conn.request("close", session=e.h)["closed"] is False, "second close did not answer closed: false")
    expect_error(conn, "step", "unknown_session", session=e.h, action=e.actions(0, 1)[0])
    expect_error(conn, "close", "unknown_session", session=987654)


@check("ops.render", "render returns an SVG document for envs that list the svg mode")
def _render(t: Target) -> str:
    conn = t.connect()
    rendered = 0
    for spec in t.envs:
        if "svg" not in spec["render_modes"]:
            continue
        e = EnvHandle(t, conn, spec["id"])
        e.reset(seed=0)
        r = e.req("render", mode="svg")
        expect(r["mode"] == "svg" and isinstance(r["data"], str) and "<svg" in r["data"],
               f"{spec['id']}: render did not return an SVG document")
        rendered += 1
        e.close()
    if rendered == 0:
        raise Unsupported("no environment lists the svg render mode")
    return f"{rendered} envs rendered"


@check("ops.learned_dynamics", "every learned dynamics an env lists is made, reset and stepped like the true one")
def _learned_dynamics(t: Target) -> str:
    conn = t.connect()
    tried = 0
    for spec in t.envs:
        for dyn in spec["dynamics"]:
            if dyn == "true":
                continue
            conn.send("make", env_id=spec["id"], dynamics={"model": dyn})
            reply = conn.receive(raise_errors=False)
            if not reply.get("ok"):
                # PerSim models are personalised: a model may need an agent id.
                reply = conn.request("make", env_id=spec["id"], dynamics={"model": dyn, "agent": 0})
            md = reply["metadata"]["dynamics"]
            expect(md.get("kind") not in (None, "true") and md.get("model", dyn) == dyn,
                   f"{spec['id']} with {dyn}: metadata.dynamics does not describe the model ({md})")
            expect(reply["observation_space"] == spec["observation_space"],
                   f"{spec['id']} with {dyn}: observation space differs from the env's")
            h = reply["session"]
            r = conn.request("reset", session=h, seed=0)
            space = space_from_spec(spec["observation_space"])
            expect(r["obs"]["dtype"] == spec["observation_space"].get("dtype", r["obs"]["dtype"]),
                   f"{spec['id']} with {dyn}: obs dtype {r['obs']['dtype']}")
            act = space_from_spec(spec["action_space"])
            act.seed(0)
            s = conn.request("step", session=h, action=encode_value(act, act.sample()))
            expect(decode_tensor(s["obs"]).shape == space.shape, f"{spec['id']} with {dyn}: step obs shape")
            expect(isinstance(s["terminated"], bool) and isinstance(s["truncated"], bool),
                   f"{spec['id']} with {dyn}: flags are not bools")
            conn.request("close", session=h)
            tried += 1
    return f"{tried} learned dynamics" if tried else "no environment lists learned dynamics"


@check("ops.reserved", "reserved ops the server lacks answer unknown_op with details.reserved = true")
def _reserved(t: Target) -> None:
    conn = t.connect()
    for op in RESERVED_OPS:
        if op in t.capabilities:
            continue
        err = expect_error(conn, op, "unknown_op")
        expect((err.get("details") or {}).get("reserved") is True, f"{op}: details.reserved is not true")


@check("ops.unknown_op", "an unknown op answers unknown_op (not reserved) and the connection stays usable")
def _unknown_op(t: Target) -> None:
    conn = t.connect()
    err = expect_error(conn, "frobnicate_the_world", "unknown_op")
    expect(not (err.get("details") or {}).get("reserved"), "an invented op is reported as reserved")
    conn.request("list_envs")


# ---------------------------------------------------------------- errors


def _stepped(t: Target, env_id: str, **make_fields: Any) -> tuple[EnvHandle, bytes | None]:
    conn = t.connect()
    e = EnvHandle(t, conn, env_id, **make_fields)
    e.reset(seed=11)
    e.step(e.actions(11, 1)[0])
    return e, e.state()


@check("errors.bad_dtype", "an action of a lossy dtype answers bad_dtype; the session is unchanged")
def _bad_dtype(t: Target) -> None:
    for env_id in t.env_ids:
        e, before = _stepped(t, env_id)
        valid = e.actions(12, 1)[0]
        err = expect_error(e.conn, "step", "bad_dtype", session=e.h, action=wrong_dtype_action(e.action_space, valid))
        e.assert_intact(before, f"{env_id}: bad_dtype")
        del err


@check("errors.bad_shape", "an action with an extra dimension answers bad_shape; the session is unchanged")
def _bad_shape(t: Target) -> None:
    for env_id in t.env_ids:
        e, before = _stepped(t, env_id)
        expect_error(e.conn, "step", "bad_shape", session=e.h, action=extra_dim_action(e.actions(13, 1)[0]))
        e.assert_intact(before, f"{env_id}: bad_shape")


@check("errors.out_of_bounds", "actions below, above (and NaN) answer out_of_bounds; the session is unchanged")
def _out_of_bounds(t: Target) -> str:
    tried = 0
    for env_id in t.env_ids:
        e, before = _stepped(t, env_id)
        for label, action in out_of_bounds_actions(e.action_space):
            err = expect_error(e.conn, "step", "out_of_bounds", session=e.h, action=action)
            expect(isinstance(err.get("details"), dict), f"{env_id} {label}: out_of_bounds without details")
            e.assert_intact(before, f"{env_id}: out_of_bounds {label}")
            before = e.state()
            tried += 1
    if tried == 0:
        raise Unsupported("no environment has a bounded action space")
    return f"{tried} out-of-bounds actions refused"


@check("errors.bad_tensor", "a tensor whose bytes disagree with its shape answers bad_tensor")
def _bad_tensor(t: Target) -> None:
    e, before = _stepped(t, t.primary)
    valid = e.actions(14, 1)[0]
    arr = np.asarray(decode_tensor(valid) if is_tensor(valid) else valid)
    tensor = encode_tensor(arr) if arr.dtype != np.float64 else encode_tensor(arr, "f64")
    tensor["data"] = tensor["data"] + b"\x00\x00\x00"
    expect_error(e.conn, "step", "bad_tensor", session=e.h, action=tensor)
    bad_dtype = dict(tensor, dtype="f16")
    conn = e.conn
    conn.send("step", session=e.h, action=bad_dtype)
    reply = conn.receive(raise_errors=False)
    expect(reply.get("ok") is False and reply["error"]["code"] in ("bad_tensor", "invalid_argument"),
           f"a tensor of dtype f16 answered {reply.get('error') or 'ok'}")
    e.assert_intact(before, "bad_tensor")


@check("errors.unknown_env", "make of an unknown env answers unknown_env")
def _unknown_env(t: Target) -> None:
    conn = t.connect()
    expect_error(conn, "make", "unknown_env", env_id="NoSuchEnvironment-v99")
    conn.request("list_envs")


@check("errors.unknown_field", "an unknown request field answers unknown_field naming it; the session is unchanged")
def _unknown_field(t: Target) -> None:
    e, before = _stepped(t, t.primary)
    err = expect_error(e.conn, "step", "unknown_field", session=e.h, action=e.actions(15, 1)[0], bogus_field=1)
    expect((err.get("details") or {}).get("field") == "bogus_field", f"details.field is {err.get('details')}")
    e.assert_intact(before, "unknown_field")


@check("errors.invalid_argument", "a field of the wrong type or value answers invalid_argument")
def _invalid_argument(t: Target) -> None:
    conn = t.connect()
    expect_error(conn, "make", "invalid_argument", env_id=t.primary, num_envs=0)
    expect_error(conn, "make", "invalid_argument", env_id=t.primary, num_envs="three")
    expect_error(conn, "reset", "invalid_argument", session="one")


@check("errors.unknown_env_option", "an env option the env does not define answers unknown_env_option")
def _unknown_env_option(t: Target) -> None:
    conn = t.connect()
    expect_error(conn, "make", "unknown_env_option", env_id=t.primary, options={"no_such_option_xyz": 1})


@check("errors.unknown_dynamics", "make with a model id that does not exist answers unknown_dynamics")
def _unknown_dynamics(t: Target) -> None:
    conn = t.connect()
    expect_error(conn, "make", "unknown_dynamics", env_id=t.primary, dynamics={"model": "no-such-model-xyz"})


def _env_with_context(t: Target) -> tuple[str, dict[str, Any]]:
    for spec in t.envs:
        params = context_params(spec)
        if params:
            return spec["id"], params[0]
    raise Unsupported("no environment has context parameters")


@check("errors.unknown_context_key", "set_context with an unknown parameter answers unknown_context_key")
def _unknown_context_key(t: Target) -> None:
    env_id, _ = _env_with_context(t)
    e, before = _stepped(t, env_id)
    expect_error(e.conn, "set_context", "unknown_context_key", session=e.h, contexts={"no_such_parameter": 1.0})
    e.assert_intact(before, "unknown_context_key")
    expect_error(e.conn, "make", "unknown_context_key", env_id=env_id, contexts={"no_such_parameter": 1.0})


@check("errors.context_out_of_range", "a context value outside its range (or NaN) answers context_out_of_range")
def _context_out_of_range(t: Target) -> None:
    env_id, p = _env_with_context(t)
    e, before = _stepped(t, env_id)
    span = float(p["high"]) - float(p["low"])
    for value in (float(p["high"]) + max(span, 1.0), float(p["low"]) - max(span, 1.0), math.nan):
        expect_error(e.conn, "set_context", "context_out_of_range", session=e.h, contexts={p["name"]: value})
        e.assert_intact(before, f"context_out_of_range {value}")
        before = e.state()


@check("errors.unknown_session", "ops on a handle never issued answer unknown_session")
def _unknown_session(t: Target) -> None:
    conn = t.connect()
    for op, fields in (("reset", {}), ("step", {"action": 0}), ("get_context", {}), ("get_state", {}),
                       ("render", {})):
        expect_error(conn, op, "unknown_session", session=987654, **fields)


@check("errors.not_reset", "step before the first reset answers not_reset")
def _not_reset(t: Target) -> None:
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary)
    expect_error(conn, "step", "not_reset", session=e.h, action=e.actions(0, 1)[0])
    e.reset(seed=0)
    e.step(e.actions(0, 1)[0])


@check("errors.needs_reset", "a single env stepped after its episode ended answers needs_reset until reset")
def _needs_reset(t: Target) -> None:
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary, max_episode_steps=1)
    e.reset(seed=0)
    r = e.step(e.actions(0, 1)[0])
    expect(r["truncated"] is True or r["terminated"] is True, "max_episode_steps=1 did not end the episode at step 1")
    before = e.state()
    expect_error(conn, "step", "needs_reset", session=e.h, action=e.actions(1, 1)[0])
    if before is not None:
        expect(e.state() == before, "needs_reset changed the session")
    e.reset()
    e.step(e.actions(2, 1)[0])


@check("errors.bad_state", "set_state with bytes that are not a snapshot answers bad_state; session unchanged")
def _bad_state(t: Target) -> None:
    e, before = _stepped(t, t.primary)
    if before is None:
        raise Unsupported("get_state answers unsupported")
    expect_error(e.conn, "set_state", "bad_state", session=e.h, state=b"definitely not a snapshot")
    expect_error(e.conn, "set_state", "bad_state", session=e.h, state=before[: len(before) // 2])
    e.assert_intact(before, "bad_state")


@check("errors.unsupported_render_mode", "render in a mode the env does not list answers unsupported")
def _unsupported_render(t: Target) -> None:
    e, before = _stepped(t, t.primary)
    expect_error(e.conn, "render", "unsupported", session=e.h, mode="no_such_render_mode")
    e.assert_intact(before, "unsupported render mode")


@check("errors.too_many_envs", "num_envs above limits.max_envs_per_session answers too_many_envs")
def _too_many_envs(t: Target) -> None:
    conn = t.connect()
    expect_error(conn, "make", "too_many_envs", env_id=t.primary, num_envs=int(t.limits["max_envs_per_session"]) + 1)


@check("errors.too_many_sessions", "the session after limits.max_sessions_per_connection answers too_many_sessions")
def _too_many_sessions(t: Target) -> None:
    limit = int(t.limits["max_sessions_per_connection"])
    if limit > 1024:
        raise Unsupported(f"max_sessions_per_connection {limit} is too large to exhaust in a test")
    conn = t.connect()
    replies = conn.pipeline([("make", {"env_id": t.primary})] * limit)
    handles = [r["session"] for r in replies]
    expect(len(set(handles)) == limit, "session handles are not unique")
    expect_error(conn, "make", "too_many_sessions", env_id=t.primary)
    conn.request("close", session=handles[0])
    conn.request("make", env_id=t.primary)


def _raw_reply(conn: Connection) -> dict[str, Any]:
    """The next frame that is not an event (events go to the connection's listeners, as in Connection.receive)."""
    msg = conn.recv_non_event()
    expect(isinstance(msg, dict) and "ok" in msg, f"expected a reply map, got {msg!r:.100}")
    return msg


@check("errors.invalid_request", "frames that are not requests answer invalid_request (id nil when unreadable)")
def _invalid_request(t: Target) -> None:
    conn = t.connect()
    cases = [([1, 2, 3], None), ({"op": "list_envs"}, None), ({"id": -4, "op": "list_envs"}, None),
             ({"id": 41, "op": 7}, 41), ({"id": 42}, 42), ("just a string", None)]
    for frame, want_id in cases:
        conn.send_raw(encode_frame(frame) if not isinstance(frame, (list, str)) else _pack_any(frame))
        reply = _raw_reply(conn)
        expect(reply["ok"] is False and reply["error"]["code"] == "invalid_request",
               f"{frame!r} answered {reply.get('error') or 'ok'}")
        expect(reply.get("id") == want_id, f"{frame!r}: reply id {reply.get('id')!r}, expected {want_id!r}")
    conn.request("list_envs")


def _pack_any(value: Any) -> bytes:
    import msgpack

    return msgpack.packb(value, use_bin_type=True)


def _expect_close(conn: Connection, code: int, what: str, need_reason: bool = False) -> None:
    try:
        msg = conn.recv_non_event()
    except TwinGymConnectionError as e:
        expect(e.close_code == code, f"{what}: connection closed with {e.close_code} ({e.close_reason}); "
                                     f"expected {code}")
        if need_reason:
            expect(bool(e.close_reason), f"{what}: close frame {code} without a reason text")
        return
    raise CheckFailed(f"{what}: expected close {code}, got a frame {msg!r:.100}")


@check("errors.undecodable_frame", "an undecodable frame closes with 1007 and a reason; the server keeps serving")
def _undecodable(t: Target) -> None:
    conn = t.connect()
    conn.send_raw(b"\xc1")
    _expect_close(conn, 1007, "byte 0xc1 (never used in msgpack)", need_reason=True)
    conn = t.connect()
    conn.send_raw(b"\x82\xa2id\x01")  # a map announced with 2 entries, cut short
    _expect_close(conn, 1007, "truncated map", need_reason=True)
    t.connect().request("list_envs")


@check("errors.text_frame", "a text frame closes with 1003; the server keeps serving")
def _text_frame(t: Target) -> None:
    conn = t.connect()
    conn.send_text('{"id": 1, "op": "list_envs"}')
    _expect_close(conn, 1003, "text frame")
    t.connect().request("list_envs")


@check("errors.frame_too_large", "a frame over max_frame_bytes answers frame_too_large with its id; session unchanged")
def _frame_too_large(t: Target) -> None:
    limit = int(t.limits["max_frame_bytes"])
    if limit > 64 * 1024 * 1024:
        raise Unsupported(f"max_frame_bytes {limit} is too large to exceed in a test")
    e, before = _stepped(t, t.primary)
    frame = encode_frame({"id": 777, "op": "step", "session": e.h,
                          "action": {"dtype": "f32", "shape": [limit // 4 + 16], "data": bytes(limit + 64)}})
    e.conn.send_raw(frame)
    reply = _raw_reply(e.conn)
    expect(reply["ok"] is False and reply["error"]["code"] == "frame_too_large",
           f"oversized frame answered {reply.get('error') or 'ok'}")
    expect(reply.get("id") == 777, f"frame_too_large reply id {reply.get('id')!r}, expected 777")
    e.assert_intact(before, "frame_too_large")


@check("errors.frame_far_too_large", "a frame over 4 x max_frame_bytes closes with 1009; the server keeps serving")
def _frame_far_too_large(t: Target) -> None:
    limit = int(t.limits["max_frame_bytes"])
    if limit > 16 * 1024 * 1024:
        raise Unsupported(f"max_frame_bytes {limit} is too large to exceed four times in a test")
    conn = t.connect()
    frame = encode_frame({"id": 778, "op": "list_envs", "pad": bytes(4 * limit + 1024)})
    try:
        conn.send_raw(frame)
    except TwinGymConnectionError:
        pass  # the server may close before the whole frame is sent; the close frame is still readable
    _expect_close(conn, 1009, "frame over 4 x max_frame_bytes")
    t.connect().request("list_envs")


# ---------------------------------------------------------------- pipelining, isolation, cleanup


@check("pipeline.order", "50 pipelined requests (errors among them) are answered in order with their ids")
def _pipeline(t: Target) -> None:
    seed = steps_without_end(t, t.primary, 10, [21, 22, 23, 24, 25])
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary)
    e.reset(seed=seed)
    acts = e.actions(1000 + seed, 10)
    plan: list[tuple[int, str, dict[str, Any], str]] = []
    big = 2 ** 40
    for k in range(50):
        rid = big + 3 * k if k % 2 else 10_000 + k
        kind = k % 5
        if kind == 0:
            plan.append((rid, "step", {"session": e.h, "action": acts[k // 5]}, "ok"))
        elif kind == 1:
            plan.append((rid, "get_context", {"session": e.h}, "ok"))
        elif kind == 2:
            plan.append((rid, "step", {"session": e.h, "action": extra_dim_action(acts[0])}, "bad_shape"))
        elif kind == 3:
            plan.append((rid, "no_such_op", {}, "unknown_op"))
        else:
            plan.append((rid, "list_envs", {}, "ok"))
    for rid, op, fields, _ in plan:
        conn.send_raw(encode_frame({"id": rid, "op": op, **fields}))
    for rid, op, fields, want in plan:
        reply = _raw_reply(conn)
        expect(reply.get("id") == rid, f"reply id {reply.get('id')!r} where {rid} ({op}) was next")
        if want == "ok":
            expect(reply["ok"] is True, f"{op} #{rid} failed: {reply.get('error')}")
            if op == "step":
                expect("obs" in reply, f"step #{rid} reply has no obs")
            if op == "get_context":
                expect("contexts" in reply, f"get_context #{rid} reply has no contexts")
        else:
            expect(reply["ok"] is False and reply["error"]["code"] == want,
                   f"{op} #{rid} answered {reply.get('error') or 'ok'}; expected {want}")


@check("isolation.sessions", "handles are per connection; stepping another connection leaves a session unchanged")
def _isolation(t: Target) -> None:
    a_conn, b_conn = t.connect(), t.connect()
    a = EnvHandle(t, a_conn, t.primary)
    a.reset(seed=31)
    a.step(a.actions(31, 1)[0])
    before = a.state()
    expect_error(b_conn, "step", "unknown_session", session=a.h, action=a.actions(31, 1)[0])
    expect_error(b_conn, "close", "unknown_session", session=a.h)
    expect_error(b_conn, "get_state", "unknown_session", session=a.h)
    b = EnvHandle(t, b_conn, t.primary)
    b.reset(seed=32)
    for act in b.actions(33, 5):
        b.step(act)
    b_conn.request("close", session=b.h)
    if before is not None:
        expect(a.state() == before, "another connection's activity changed this session")
    a.step(a.actions(34, 1)[0])


@check("cleanup.disconnect", "300 connections dropped without a close frame are freed: new connections still work")
def _cleanup(t: Target) -> str:
    rounds = 300
    for k in range(rounds):
        conn = Connection(t.url, token=t.token, hello=False)
        conn.request("make", env_id=t.primary)
        sock = conn._ws.sock
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        conn.closed = True
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = t.connect()
            e = EnvHandle(t, conn, t.primary)
            e.reset(seed=0)
            break
        except (TwinGymConnectionError, OSError) as err:
            if time.monotonic() > deadline:
                raise CheckFailed(f"after {rounds} dropped connections a new one fails: {err}")
            time.sleep(0.2)
    limit = int(t.limits["max_sessions_per_connection"])
    if limit <= 1024:
        conn.pipeline([("make", {"env_id": t.primary})] * (limit - 1))
    expect_error(conn, "step", "unknown_session", session=987654, action=0)
    return f"{rounds} connections dropped"


# ---------------------------------------------------------------- seeding


@check("seeding.check_env_sequence", "reset(seed=123), reset(), reset(seed=123), reset() repeat bit for bit; "
                                     "another seed changes the generator")
def _check_env_sequence(t: Target) -> str:
    conn = t.connect()
    random_envs = t.random_reset_envs()
    for env_id in t.env_ids:
        e = EnvHandle(t, conn, env_id)
        o1 = e.req("reset", seed=123)["obs"]["data"]
        o2 = e.req("reset")["obs"]["data"]
        o3 = e.req("reset", seed=123)["obs"]["data"]
        o4 = e.req("reset")["obs"]["data"]
        expect(o1 == o3, f"{env_id}: reset(seed=123) twice gave different observations")
        expect(o2 == o4, f"{env_id}: reset() after reset(seed=123) differs between the two runs")
        if env_id in random_envs:
            o5 = e.req("reset", seed=456)["obs"]["data"]
            o6 = e.req("reset", seed=789)["obs"]["data"]
            expect(o5 != o1 or o6 != o1, f"{env_id}: seeds 456 and 789 give seed 123's observation")
            expect(o2 != o1, f"{env_id}: reset() after reset(seed=123) repeats the first draw")
        e.close()
    return f"{len(random_envs)} of {len(t.env_ids)} envs have seed-dependent resets"


@check("seeding.step_determinism", "two identically seeded runs of 10 steps are identical; no truncation at step 1")
def _step_determinism(t: Target) -> None:
    conn = t.connect()
    for env_id in t.env_ids:
        runs = []
        for _ in range(2):
            e = EnvHandle(t, conn, env_id)
            trace = [e.req("reset", seed=123)["obs"]["data"]]
            for k, a in enumerate(e.actions(123, 10)):
                r = e.step(a)
                if k == 0 and t.spec(env_id)["max_episode_steps"] > 1:
                    expect(r["truncated"] is False, f"{env_id}: truncated after one step")
                trace.append((r["obs"]["data"], float(r["reward"]), r["terminated"], r["truncated"]))
                if r["terminated"] or r["truncated"]:
                    break
            conn.request("close", session=e.h)
            runs.append(trace)
        expect(runs[0] == runs[1], f"{env_id}: identically seeded runs differ")


@check("seeding.vector_seed_plus_i", "vector env i reset with seed s equals a single env reset with s + i")
def _vector_seed(t: Target) -> None:
    require_vector(t)
    conn = t.connect()
    env_id = t.primary
    v = EnvHandle(t, conn, env_id, num_envs=3)
    rows = decode_tensor(v.req("reset", seed=40)["obs"])
    s = EnvHandle(t, conn, env_id)
    for i in range(3):
        single = decode_tensor(s.req("reset", seed=40 + i)["obs"])
        expect(rows[i].tobytes() == single.tobytes(), f"vector env {i} with seed 40 differs from a single env with seed {40 + i}")


@check("seeding.vector_seed_list", "a seed list gives env i the generator of seed[i]")
def _vector_seed_list(t: Target) -> None:
    require_vector(t)
    conn = t.connect()
    seeds = [901, 17, 5]
    v = EnvHandle(t, conn, t.primary, num_envs=3)
    rows = decode_tensor(v.req("reset", seed=seeds)["obs"])
    s = EnvHandle(t, conn, t.primary)
    for i, seed in enumerate(seeds):
        expect(rows[i].tobytes() == decode_tensor(s.req("reset", seed=seed)["obs"]).tobytes(),
               f"vector env {i} with seed list entry {seed} differs from a single env with that seed")


@check("seeding.make_seed", "make(seed=s) then reset() equals reset(seed=s)")
def _make_seed(t: Target) -> None:
    conn = t.connect()
    a = EnvHandle(t, conn, t.primary, seed=77)
    b = EnvHandle(t, conn, t.primary)
    expect(a.req("reset")["obs"]["data"] == b.req("reset", seed=77)["obs"]["data"],
           "make seed 77 and reset(seed=77) give different first observations")


@check("seeding.unseeded_differs", "two unseeded sessions draw from different generators")
def _unseeded(t: Target) -> None:
    if not t.random_reset_envs():
        raise Unsupported("no environment has a seed-dependent reset")
    conn = t.connect()
    env_id = t.random_reset_envs()[0]
    draws = {EnvHandle(t, conn, env_id).req("reset")["obs"]["data"] for _ in range(3)}
    expect(len(draws) > 1, "three unseeded sessions started from the same observation")


# ---------------------------------------------------------------- contexts


@check("context.read_back", "contexts given to make and set_context are read back (make reply, get_context)")
def _context_read_back(t: Target) -> None:
    env_id, p = _env_with_context(t)
    conn = t.connect()
    value = float(p["low"]) + 0.25 * (float(p["high"]) - float(p["low"]))
    e = EnvHandle(t, conn, env_id, contexts={p["name"]: value})
    expect(math.isclose(e.reply["contexts"][0][p["name"]], value, rel_tol=1e-9), "make reply context differs")
    got = conn.request("get_context", session=e.h)["contexts"][0][p["name"]]
    expect(math.isclose(got, value, rel_tol=1e-9), f"get_context read back {got}, set {value}")
    other = float(p["high"])
    reply = conn.request("set_context", session=e.h, contexts={p["name"]: other})
    expect(math.isclose(reply["contexts"][0][p["name"]], other, rel_tol=1e-9), "set_context reply differs")
    got = conn.request("get_context", session=e.h)["contexts"][0][p["name"]]
    expect(math.isclose(got, other, rel_tol=1e-9), f"get_context after set_context read back {got}, set {other}")


def probe_starts(spec: dict[str, Any], count: int = 12) -> list[list[float] | None]:
    """Start states for dynamics probes: the seeded reset (None), then points spread over the observation space
    (its diagonal and seeded uniform samples), because a parameter may act only in part of the state space."""
    starts: list[list[float] | None] = [None]
    space = space_from_spec(spec["observation_space"])
    if not isinstance(space, spaces.Box) or not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        return starts
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    for f in (0.5, 0.75, 0.25, 0.9, 0.1):
        starts.append((low + f * (high - low)).reshape(-1).tolist())
    rng = np.random.default_rng(1234)
    for _ in range(count):
        starts.append(rng.uniform(low, high).astype(np.float32).astype(np.float64).reshape(-1).tolist())
    return starts


@check("context.changes_dynamics", "for every context parameter, a changed value changes the trajectory")
def _context_changes(t: Target) -> str:
    tested = 0
    conn = t.connect()
    for spec in t.envs:
        for p in context_params(spec):
            value = far_value(p)
            differs = False
            tried = 0
            for start in probe_starts(spec):
                a = EnvHandle(t, conn, spec["id"])
                b = EnvHandle(t, conn, spec["id"])
                opts = {} if start is None else {"options": {"state": start}}
                conn.send("reset", session=a.h, seed=50, **opts)
                ra0 = conn.receive(raise_errors=False)
                if not ra0.get("ok"):
                    expect(start is not None and ra0["error"]["code"] in ("unsupported", "out_of_bounds"),
                           f"{spec['id']}: reset failed: {ra0['error']}")
                    conn.request("close", session=a.h)
                    conn.request("close", session=b.h)
                    if ra0["error"]["code"] == "unsupported":
                        break
                    continue
                tried += 1
                rb0 = b.req("reset", seed=50, **opts)
                expect(ra0["obs"]["data"] == rb0["obs"]["data"], f"{spec['id']}: same seed, different first observations")
                back = conn.request("set_context", session=b.h, contexts={p["name"]: value})["contexts"][0][p["name"]]
                expect(math.isclose(back, value, rel_tol=1e-9), f"{spec['id']}: {p['name']} read back {back}, set {value}")
                for act in a.actions(50, 30):
                    ra, rb = a.step(act), b.step(act)
                    if obs_bytes(ra) != obs_bytes(rb) or float(ra["reward"]) != float(rb["reward"]):
                        differs = True
                        break
                    if ra["terminated"] or ra["truncated"] or rb["terminated"] or rb["truncated"]:
                        break
                default_back = conn.request("get_context", session=a.h)["contexts"][0][p["name"]]
                expect(math.isclose(default_back, float(p["default"]), rel_tol=1e-9),
                       f"{spec['id']}: setting another session's context changed this one's")
                conn.request("close", session=a.h)
                conn.request("close", session=b.h)
                if differs:
                    break
            expect(differs, f"{spec['id']}: {p['name']} = {value} (default {p['default']}) left 30 steps from "
                            f"{tried} start states unchanged")
            tested += 1
    if tested == 0:
        raise Unsupported("no environment has context parameters")
    return f"{tested} parameters change the dynamics"


@check("context.vector_indices", "set_context with indices changes only the selected envs of a vector session")
def _context_indices(t: Target) -> None:
    require_vector(t)
    env_id, p = _env_with_context(t)
    conn = t.connect()
    e = EnvHandle(t, conn, env_id, num_envs=3)
    lo, hi = float(p["low"]), float(p["high"])
    r = conn.request("set_context", session=e.h, contexts=[{p["name"]: lo}, {p["name"]: hi}], indices=[0, 2])
    got = [c[p["name"]] for c in r["contexts"]]
    expect(math.isclose(got[0], lo, rel_tol=1e-9) and math.isclose(got[2], hi, rel_tol=1e-9)
           and math.isclose(got[1], float(p["default"]), rel_tol=1e-9), f"contexts read back {got}")


# ---------------------------------------------------------------- autoreset and time limits


def _reference(t: Target, env_id: str, seed: int, actions: list[Any], limit: int) -> dict[str, Any]:
    """A single session's episode of ``limit`` steps from ``seed``, then reset() and one step: what a vector env
    seeded ``seed`` must reproduce around its autoreset."""
    conn = t.connect()
    e = EnvHandle(t, conn, env_id, max_episode_steps=limit)
    out = {"first": e.req("reset", seed=seed)["obs"]["data"], "steps": []}
    for a in actions[:limit]:
        out["steps"].append(e.step(a))
    out["second"] = e.req("reset")["obs"]["data"]
    out["after"] = e.step(actions[limit + 1])
    return out


def _autoreset_setup(t: Target, mode: str):
    require_vector(t)
    env_id = t.primary
    limit = 3
    seeds = [steps_without_end(t, env_id, limit, [61, 62, 63, 64, 65, 66])]
    seeds.append(steps_without_end(t, env_id, limit, [s for s in (71, 72, 73, 74, 75, 76)]))
    per_env = []
    probe = EnvHandle(t, t.connect(), env_id)
    for s in seeds:
        per_env.append(probe.actions(1000 + s, limit + 2))
    refs = [_reference(t, env_id, s, acts, limit) for s, acts in zip(seeds, per_env)]
    conn = t.connect()
    v = EnvHandle(t, conn, env_id, num_envs=2, max_episode_steps=limit, autoreset=mode)
    expect(v.reply["metadata"]["autoreset"] == mode, f"make autoreset {mode} reports {v.reply['metadata']['autoreset']}")
    obs = decode_tensor(v.req("reset", seed=seeds)["obs"])
    osize = obs[0].nbytes

    def batched(k: int) -> Any:
        arrs = [np.asarray(decode_tensor(a[k]) if is_tensor(a[k]) else a[k]) for a in per_env]
        return encode_value(v.action_space, np.stack(arrs))

    def row(reply: dict[str, Any], i: int) -> bytes:
        return bytes(reply["obs"]["data"])[i * osize:(i + 1) * osize]

    for i in range(2):
        expect(obs[i].tobytes() == refs[i]["first"], f"vector env {i} first observation differs from a single env")
    replies = []
    for k in range(limit):
        r = v.step(batched(k))
        replies.append(r)
        if k < limit - 1:
            for i in range(2):
                expect(row(r, i) == obs_bytes(refs[i]["steps"][k]), f"step {k + 1}: env {i} differs from a single env")
                expect(not flag(r["truncated"], i), f"step {k + 1}: env {i} truncated before the limit {limit}")
    return v, refs, replies, batched, row, limit


@check("autoreset.next_step", "next_step: the step after an episode end resets (action ignored, reward 0, "
                              "flags false), then steps continue as a fresh single env's")
def _autoreset_next(t: Target) -> None:
    v, refs, replies, batched, row, limit = _autoreset_setup(t, "next_step")
    last = replies[-1]
    for i in range(2):
        expect(flag(last["truncated"], i), f"env {i} not truncated at the limit {limit}")
        expect(row(last, i) == obs_bytes(refs[i]["steps"][-1]), f"env {i}: last observation differs")
    r = v.step(batched(limit))
    for i in range(2):
        expect(row(r, i) == refs[i]["second"], f"env {i}: the autoreset step did not return the next episode's start")
        expect(num(r["reward"], i) == 0.0, f"env {i}: autoreset step reward {num(r['reward'], i)}")
        expect(not flag(r["terminated"], i) and not flag(r["truncated"], i), f"env {i}: autoreset step flags set")
        expect(episode_step(r, i) == 0, f"env {i}: autoreset step episode_step {episode_step(r, i)}")
    r = v.step(batched(limit + 1))
    for i in range(2):
        expect(row(r, i) == obs_bytes(refs[i]["after"]), f"env {i}: first step of the new episode differs")
        expect(episode_step(r, i) == 1, f"env {i}: episode_step {episode_step(r, i)} in the new episode")


@check("autoreset.same_step", "same_step: the ending step returns the reset observation, final_obs and final_mask")
def _autoreset_same(t: Target) -> None:
    v, refs, replies, batched, row, limit = _autoreset_setup(t, "same_step")
    last = replies[-1]
    info = last["info"]
    expect("final_obs" in info and "final_mask" in info, "same_step reply lacks info.final_obs / final_mask")
    mask = decode_tensor(info["final_mask"])
    final = decode_tensor(info["final_obs"])
    for i in range(2):
        expect(flag(last["truncated"], i), f"env {i} not truncated at the limit {limit}")
        expect(bool(mask[i]), f"env {i}: final_mask not set at its episode end")
        expect(final[i].tobytes() == obs_bytes(refs[i]["steps"][-1]), f"env {i}: final_obs is not the last observation")
        expect(row(last, i) == refs[i]["second"], f"env {i}: obs is not the next episode's first observation")
        expect(episode_step(last, i) == 0, f"env {i}: episode_step {episode_step(last, i)} after the autoreset")
    earlier = replies[0]["info"]
    if "final_mask" in earlier:
        expect(not decode_tensor(earlier["final_mask"]).any(), "final_mask set on a step where no env ended")
    r = v.step(batched(limit + 1))
    for i in range(2):
        expect(row(r, i) == obs_bytes(refs[i]["after"]), f"env {i}: first step of the new episode differs")


@check("autoreset.disabled", "disabled: an ended env answers needs_reset until reset_mask resets it")
def _autoreset_disabled(t: Target) -> None:
    v, refs, replies, batched, row, limit = _autoreset_setup(t, "disabled")
    last = replies[-1]
    expect(flag(last["truncated"], 0) and flag(last["truncated"], 1), f"envs not truncated at the limit {limit}")
    before = v.state()
    expect_error(v.conn, "step", "needs_reset", session=v.h, action=batched(limit))
    if before is not None:
        expect(v.state() == before, "needs_reset changed the session")
    r = v.req("reset", options={"reset_mask": [True, False]})
    expect(row(r, 0) == refs[0]["second"], "reset_mask [true, false]: env 0 did not start its next episode")
    expect(row(r, 1) == obs_bytes(refs[1]["steps"][-1]), "reset_mask [true, false] changed env 1")
    expect_error(v.conn, "step", "needs_reset", session=v.h, action=batched(limit))
    r = v.req("reset", options={"reset_mask": encode_tensor(np.array([False, True]))})
    expect(row(r, 1) == refs[1]["second"], "reset_mask tensor [false, true]: env 1 did not start its next episode")
    r = v.step(batched(limit + 1))
    for i in range(2):
        expect(row(r, i) == obs_bytes(refs[i]["after"]), f"env {i}: first step after the masked reset differs")


@check("time_limit.override", "max_episode_steps=N truncates exactly at step N, never before")
def _time_limit(t: Target) -> str:
    conn = t.connect()
    checked = 0
    for env_id in t.env_ids:
        limit = 4
        try:
            seed = steps_without_end(t, env_id, limit, [81, 82, 83, 84, 85])
        except Unsupported:
            continue
        e = EnvHandle(t, conn, env_id, max_episode_steps=limit)
        expect(e.reply["metadata"]["max_episode_steps"] == limit, f"{env_id}: metadata.max_episode_steps not {limit}")
        e.reset(seed=seed)
        for k, a in enumerate(e.actions(1000 + seed, limit), start=1):
            r = e.step(a)
            expect(r["truncated"] is (k == limit), f"{env_id}: truncated={r['truncated']} at step {k} of {limit}")
        expect_error(conn, "step", "needs_reset", session=e.h, action=e.actions(0, 1)[0])
        e.close()
        checked += 1
    if checked == 0:
        raise Unsupported("every environment terminates within 4 steps")
    return f"{checked} envs"


@check("time_limit.default", "make reports each env's own time limit; the limit survives resets")
def _time_limit_default(t: Target) -> None:
    conn = t.connect()
    for spec in t.envs:
        e = EnvHandle(t, conn, spec["id"])
        expect(e.reply["metadata"]["max_episode_steps"] == spec["max_episode_steps"],
               f"{spec['id']}: make reports {e.reply['metadata']['max_episode_steps']}")
        e.close()


# ---------------------------------------------------------------- snapshots


@check("snapshot.replay", "get_state, step on, set_state: the restored session replays bit for bit")
def _snapshot_replay(t: Target) -> str:
    conn = t.connect()
    done = 0
    for env_id in t.env_ids:
        e = EnvHandle(t, conn, env_id)
        e.reset(seed=90)
        acts = e.actions(90, 15)
        for a in acts[:5]:
            r = e.step(a)
            if r["terminated"] or r["truncated"]:
                break
        snap = e.state()
        if snap is None:
            e.close()
            continue
        at_snap = e.req("get_context")  # a read-only op between snapshot and replay must not matter
        del at_snap
        first = []
        for a in acts[5:]:
            r = e.step(a)
            first.append((r["obs"]["data"], float(r["reward"]), r["terminated"], r["truncated"]))
            if r["terminated"] or r["truncated"]:
                break
        restored = e.req("set_state", state=snap)
        expect(restored["obs"]["dtype"] == e.reply["observation_space"].get("dtype", restored["obs"]["dtype"]),
               f"{env_id}: set_state obs dtype")
        second = []
        for a in acts[5:5 + len(first)]:
            r = e.step(a)
            second.append((r["obs"]["data"], float(r["reward"]), r["terminated"], r["truncated"]))
        expect(first == second, f"{env_id}: replay after set_state differs")
        e.close()
        done += 1
    if done == 0:
        raise Unsupported("get_state answers unsupported for every environment")
    return f"{done} envs"


@check("snapshot.replay_across_resets", "a snapshot with the generators replays autoresets of a vector session")
def _snapshot_resets(t: Target) -> None:
    require_vector(t)
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary, num_envs=2, max_episode_steps=3)
    e.reset(seed=[5, 6])
    acts = e.actions(5, 12)
    e.step(acts[0])
    snap = e.state()
    if snap is None:
        raise Unsupported("get_state answers unsupported")
    first = [e.step(a)["obs"]["data"] for a in acts[1:]]
    e.req("set_state", state=snap)
    second = [e.step(a)["obs"]["data"] for a in acts[1:]]
    expect(first == second, "replay across autoresets differs: the snapshot did not restore the generators")


@check("snapshot.cross_session", "a snapshot restores into another session (another connection) of the same env")
def _snapshot_cross(t: Target) -> None:
    a = EnvHandle(t, t.connect(), t.primary)
    a.reset(seed=93)
    acts = a.actions(93, 8)
    for act in acts[:3]:
        a.step(act)
    snap = a.state()
    if snap is None:
        raise Unsupported("get_state answers unsupported")
    b = EnvHandle(t, t.connect(), t.primary)
    restored = b.req("set_state", state=snap)
    first = [a.step(act)["obs"]["data"] for act in acts[3:]]
    second = [b.step(act)["obs"]["data"] for act in acts[3:]]
    expect(first == second, "a snapshot restored into another session replays differently")
    del restored


@check("snapshot.without_rng", "get_state(include_rng=false) restores the states; set_state returns that obs")
def _snapshot_no_rng(t: Target) -> None:
    conn = t.connect()
    e = EnvHandle(t, conn, t.primary)
    e.reset(seed=94)
    r = e.step(e.actions(94, 1)[0])
    conn.send("get_state", session=e.h, include_rng=False)
    reply = conn.receive(raise_errors=False)
    if not reply.get("ok"):
        if reply["error"]["code"] == "unsupported":
            raise Unsupported("get_state answers unsupported")
        raise CheckFailed(f"get_state(include_rng=false) failed: {reply['error']}")
    for act in e.actions(95, 3):
        e.step(act)
    restored = e.req("set_state", state=reply["state"])
    expect(restored["obs"]["data"] == r["obs"]["data"], "set_state did not return the snapshot's observation")



# ---------------------------------------------------------------- rollout and plan (minor-version ops)


def _require_op(t: Target, op: str) -> None:
    if op not in t.capabilities:
        raise Unsupported(f"the server does not list {op} in its capabilities (a reserved op of protocol 1.0)")


@check("rollout.matches_steps", "a rollout from the current state equals stepping restored copies of the session "
                                "(true dynamics), with done-masking, and leaves the session unchanged")
def _rollout_matches(t: Target) -> str:
    _require_op(t, "rollout")
    conn = t.connect()
    checked = 0
    batch, horizon = 3, 6
    for spec in t.envs:
        e = EnvHandle(t, conn, spec["id"], max_episode_steps=1_000_000)
        e.reset(seed=70)
        e.step(e.actions(70, 1)[0])
        snap = e.state()
        if snap is None:
            e.close()
            continue
        space = e.single_action_space
        space.seed(71)
        seqs = np.stack([np.stack([np.asarray(space.sample()) for _ in range(horizon)]) for _ in range(batch)])
        wire = "f32" if np.issubdtype(seqs.dtype, np.floating) else "i32"
        reply = conn.request("rollout", session=e.h, actions=encode_tensor(seqs, wire))
        expect(e.state() == snap, f"{spec['id']}: the rollout changed the session")
        obs = decode_tensor(reply["obs"])
        reward = decode_tensor(reply["reward"]).reshape(batch, horizon)
        term = decode_tensor(reply["terminated"]).reshape(batch, horizon).astype(bool)
        obs = obs.reshape((batch, horizon) + tuple(e.obs_space.shape))
        for b in range(batch):
            ref = EnvHandle(t, conn, spec["id"], max_episode_steps=1_000_000)
            ref.req("set_state", state=snap)
            ended = False
            for k in range(horizon):
                if ended:
                    expect(reward[b, k] == 0 and term[b, k],
                           f"{spec['id']}: sequence {b} step {k} after its termination: reward {reward[b, k]}, "
                           f"terminated {bool(term[b, k])} (expected 0 and true)")
                    continue
                r = ref.step(encode_value(space, seqs[b, k]))
                want = decode_tensor(r["obs"])
                expect(np.allclose(obs[b, k], want, rtol=1e-5, atol=1e-6),
                       f"{spec['id']}: sequence {b} step {k}: rollout obs {obs[b, k]} but stepping gives {want}")
                expect(math.isclose(reward[b, k], float(r["reward"]), rel_tol=1e-6, abs_tol=1e-9),
                       f"{spec['id']}: sequence {b} step {k}: rollout reward {reward[b, k]}, step {r['reward']}")
                expect(bool(term[b, k]) == r["terminated"], f"{spec['id']}: sequence {b} step {k}: terminated differs")
                ended = r["terminated"]
            conn.request("close", session=ref.h)
        conn.request("close", session=e.h)
        checked += 1
    if checked == 0:
        raise Unsupported("get_state answers unsupported for every environment")
    return f"{checked} envs"


@check("plan.valid_action", "plan returns an action inside the action space, a finite predicted return and its plan")
def _plan(t: Target) -> str:
    _require_op(t, "plan")
    conn = t.connect()
    for spec in t.envs:
        e = EnvHandle(t, conn, spec["id"])
        e.reset(seed=72)
        horizon = 5
        settings: dict[str, Any] = {"candidates": 16, "horizon": horizon}
        if isinstance(e.single_action_space, spaces.Box):
            settings.update(iterations=2, elites=4)
        reply = conn.request("plan", session=e.h, seed=3, settings=settings)
        action = decode_tensor(reply["action"])
        space = e.single_action_space
        value = int(action.reshape(-1)[0]) if isinstance(space, spaces.Discrete) else action.astype(space.dtype)
        expect(value in space, f"{spec['id']}: planned action {action} is outside the action space")
        expect(math.isfinite(reply["predicted_return"]), f"{spec['id']}: predicted_return {reply['predicted_return']}")
        seq = decode_tensor(reply["sequence"])
        expect(seq.shape[0] == horizon, f"{spec['id']}: plan sequence shape {seq.shape} for horizon {horizon}")
        expect(reply["planner"] in ("random_shooting", "cem"), f"{spec['id']}: planner {reply['planner']!r}")
        expect(0 < reply["transitions"] <= int(t.limits["max_rollout_steps"]),
               f"{spec['id']}: transitions {reply['transitions']}")
        e.step(encode_value(space, value))
        conn.request("close", session=e.h)
    return f"{len(t.envs)} envs"


@check("errors.batch_too_large", "a rollout of more than limits.max_rollout_steps transitions answers batch_too_large")
def _batch_too_large(t: Target) -> None:
    _require_op(t, "rollout")
    limit = int(t.limits["max_rollout_steps"])
    env_id = next((e["id"] for e in t.envs if e["action_space"]["type"] == "discrete"), None)
    if env_id is None or limit + 64 > int(t.limits["max_frame_bytes"]):
        raise Unsupported("no discrete env whose u8 action sequences over the limit fit in one frame")
    e, before = _stepped(t, env_id)
    horizon = limit // 2 + 1
    actions = {"dtype": "u8", "shape": [2, horizon], "data": bytes(2 * horizon)}
    expect_error(e.conn, "rollout", "batch_too_large", session=e.h, actions=actions)
    e.assert_intact(before, "batch_too_large")


from . import checks_jobs  # noqa: E402,F401  (registers the protocol 1.2 checks after these)
