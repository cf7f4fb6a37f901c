"""Gymnasium environments backed by a TwinGym server session.

:func:`make` returns a :class:`TwinGymEnv` (a real ``gymnasium.Env``) for one env, or a :class:`TwinGymVectorEnv` (a
``gymnasium.vector.VectorEnv``) for ``num_envs > 1``. Stepping, seeding, truncation and autoreset happen on the server
exactly as Gymnasium defines them; the client converts tensors to numpy arrays of the declared dtype.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import jobs
from .connection import Connection
from .errors import TwinGymConnectionError
from .spaces import decode_obs, encode_value, space_from_spec
from .wire import decode_tensor, encode_tensor, is_tensor

#: Frames per second declared for playback of rendered frames; the server's envs have no wall-clock rate of their own.
DEFAULT_RENDER_FPS = 30

_AUTORESET = {"next_step": AutoresetMode.NEXT_STEP, "same_step": AutoresetMode.SAME_STEP,
              "disabled": AutoresetMode.DISABLED}


def _dynamics_field(dynamics: Any, agent: int | None) -> Any:
    if dynamics is None or dynamics == "true":
        if agent is not None:
            raise ValueError("agent applies to learned dynamics only; pass dynamics=<model id>")
        return "true"
    if isinstance(dynamics, str):
        return {"model": dynamics} if agent is None else {"model": dynamics, "agent": int(agent)}
    if isinstance(dynamics, Mapping):
        out = dict(dynamics)
        if agent is not None:
            if "agent" in out and out["agent"] != agent:
                raise ValueError("agent is given twice, as an argument and in the dynamics map, with other values")
            out["agent"] = agent
        if out.get("agent") is not None:
            out["agent"] = int(out["agent"])
        if out.get("trajectory") is not None:
            out["trajectory"] = _trajectory_field(out["trajectory"])
        return out
    raise TypeError("dynamics must be 'true', a model id string, or {'model': id, 'agent': n, 'trajectory': {...}, "
                    "'mode': 'mean'|'sample'}")


_TRAJECTORY_KEYS = ("observations", "actions", "next_observations")


def _trajectory_field(trajectory: Any) -> dict[str, Any]:
    """A personalisation trajectory as wire tensors: observations and next_observations [n, O] as f64, actions [n]
    (discrete, as integers) or [n, A]."""
    if not isinstance(trajectory, Mapping):
        raise TypeError("trajectory must be a map with observations, actions and next_observations arrays")
    missing = [k for k in _TRAJECTORY_KEYS if k not in trajectory]
    if missing:
        raise ValueError(f"trajectory lacks {missing}; give observations [n, O], actions [n] or [n, A] and "
                         f"next_observations [n, O]")
    out: dict[str, Any] = {}
    for key, value in trajectory.items():
        if key not in _TRAJECTORY_KEYS or is_tensor(value):
            out[key] = value  # unknown keys go through so the server can name them (unknown_field)
            continue
        arr = np.asarray(value)
        if key == "actions" and (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
            out[key] = encode_tensor(arr.astype(np.int64), "i64")
        else:
            out[key] = encode_tensor(arr.astype(np.float64), "f64")
    return out


def _wire_input(value: Any) -> Any:
    """Numpy arrays as tensors (keeping their dtype); lists of numbers pass as they are."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and value.dtype != np.float32:
            return encode_tensor(value, "f64")
        return encode_tensor(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _wire_options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not options:
        return None
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key == "state":
            out[key] = encode_tensor(np.asarray(value, dtype=np.float64), "f64") if not is_tensor(value) else value
        elif key == "reset_mask":
            out[key] = [bool(b) for b in np.asarray(value).reshape(-1)]
        else:
            out[key] = _wire_input(value)
    return out


def _info(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (decode_tensor(v) if type(v) is dict and "data" in v else v) for k, v in raw.items()}


class _ObsDecoder:
    """Decodes observation tensors of one space; the common case (the declared dtype and shape) is a single copy."""

    def __init__(self, space: gym.Space, shape: tuple[int, ...]):
        self.space = space
        self.shape = shape
        self.dtype = np.dtype(space.dtype) if isinstance(space, gym.spaces.Box) else None
        self.wire = {np.dtype("float32"): "f32", np.dtype("float64"): "f64"}.get(self.dtype) if self.dtype else None
        self.nbytes = int(np.prod(shape)) * self.dtype.itemsize if self.dtype is not None else -1

    def __call__(self, tensor: Mapping[str, Any]) -> Any:
        data = tensor["data"]
        if tensor["dtype"] == self.wire and len(data) == self.nbytes and len(tensor["shape"]) == len(self.shape):
            arr = np.frombuffer(bytearray(data), self.dtype)  # a fresh, writable array in one copy
            return arr if len(self.shape) == 1 else arr.reshape(self.shape)
        return decode_obs(self.space, tensor)


class Session:
    """A server session: the handle plus the ops every env kind shares (context, state, render, rollout, plan)."""

    def __init__(self, conn: Connection, reply: Mapping[str, Any], owns_connection: bool):
        """Wraps the make ``reply`` of a session on ``conn``; ``owns_connection`` closes the connection with it."""
        self.conn = conn
        self.handle: int = reply["session"]
        self.make_reply = dict(reply)
        self.owns_connection = owns_connection
        self.closed = False

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Sends ``op`` for this session and returns the reply."""
        return self.conn.request(op, session=self.handle, **fields)

    def close(self) -> None:
        """Closes the session (and the connection when owned). Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            if not self.conn.closed:
                self.conn.request("close", session=self.handle)
        except TwinGymConnectionError:
            pass  # the connection is gone, and with it every session it held
        finally:
            if self.owns_connection:
                self.conn.close()


class _SessionOps:
    """Methods shared by :class:`TwinGymEnv` and :class:`TwinGymVectorEnv`."""

    session: Session

    @property
    def connection(self) -> Connection:
        """The connection this env's session lives on."""
        return self.session.conn

    @property
    def env_id(self) -> str:
        """The server's environment id."""
        return self.session.make_reply["env_id"]

    @property
    def dynamics(self) -> dict[str, Any]:
        """make's ``metadata.dynamics``: ``{"kind": "true"}`` or, for a learned model, its kind, ``model``, ``agent``
        (or ``personalized``), ``members`` and ``mode``."""
        return dict(self.session.make_reply["metadata"].get("dynamics") or {"kind": "true"})

    @property
    def max_episode_steps(self) -> int:
        """The time limit the server applies (episodes truncate after this many steps)."""
        return int(self.session.make_reply["metadata"]["max_episode_steps"])

    def get_state(self, include_rng: bool = True) -> bytes:
        """An opaque snapshot of the session for exact replay (with the random generators unless include_rng is
        False)."""
        return self.session.request("get_state", include_rng=bool(include_rng))["state"]

    def rollout(self, actions: Any, start: Any = "current", *, env: int | None = None,
                contexts: Mapping[str, float] | None = None, per_member: bool | None = None,
                include_obs: bool | None = None, seed: int | None = None) -> dict[str, Any]:
        """Evaluates a batch of action sequences on the session's dynamics without changing the session.

        Args:
            actions: ``[batch, horizon, ...action shape]`` (discrete actions as integers).
            start: ``"current"`` (the env's current state), one observation-state for every sequence, or
                ``[batch, ...obs]``.
            env: which env of a vector session supplies the context and current state (default 0).
            contexts: parameters overriding that env's context for this rollout only.
            per_member: every ensemble member rolls out its own trajectory (a leading member axis).
            include_obs: return the observations (default True).
            seed: generator seed for stochastic dynamics.

        Returns:
            ``obs`` (``[batch, horizon, ...obs]``, or with a leading member axis), ``reward``, ``terminated`` (1 from
            the terminating step on; rewards are 0 after it), ``members`` and ``transitions``.
        """
        space = self._single_action_space()
        arr = np.asarray(actions)
        if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
            wire = "i32" if arr.size == 0 or (arr.min() >= -(2 ** 31) and arr.max() < 2 ** 31) else "i64"
        else:
            wire = "f32" if np.dtype(getattr(space, "dtype", np.float64)) == np.float32 else "f64"
        fields: dict[str, Any] = {"actions": encode_tensor(arr, wire)}
        if not (isinstance(start, str) and start == "current"):
            fields["start"] = encode_tensor(np.asarray(start, dtype=np.float64), "f64")
        for key, value in (("env", env), ("per_member", per_member), ("include_obs", include_obs), ("seed", seed)):
            if value is not None:
                fields[key] = value
        if contexts is not None:
            fields["contexts"] = {k: float(v) for k, v in contexts.items()}
        return _info(self.session.request("rollout", **fields))

    def plan(self, *, planner: str | None = None, settings: Mapping[str, Any] | None = None, seed: int | None = None,
             env: int | None = None) -> dict[str, Any]:
        """Runs the server's MPC planner (``"random_shooting"`` for discrete actions, ``"cem"`` for continuous ones)
        from the env's current state on the session's dynamics; one message per decision.

        Returns:
            ``action`` (an int for Discrete spaces, else an array; pass it to :meth:`step`), ``predicted_return``,
            ``score``, ``sequence`` (the planned actions), ``planner``, ``warm_started`` and ``transitions``.
        """
        fields: dict[str, Any] = {}
        for key, value in (("planner", planner), ("seed", seed), ("env", env)):
            if value is not None:
                fields[key] = value
        if settings is not None:
            fields["settings"] = dict(settings)
        out = _info(self.session.request("plan", **fields))
        action = out.get("action")
        if isinstance(self._single_action_space(), gym.spaces.Discrete) and isinstance(action, np.ndarray) \
                and action.size == 1:
            out["action"] = int(action.reshape(-1)[0])
        return out

    def _single_action_space(self) -> gym.Space:
        return self.single_action_space if isinstance(self, VectorEnv) else self.action_space


class TwinGymEnv(_SessionOps, gym.Env):
    """A single remote environment as a ``gymnasium.Env``.

    Construct it with :func:`make` (or :meth:`Client.make`); the constructor signature also serves ``env.spec.make()``
    and ``gymnasium.make(env.spec)``, which open a connection of their own.
    """

    metadata: dict[str, Any] = {"render_modes": ["svg"], "render_fps": DEFAULT_RENDER_FPS}

    def __init__(self, url: str | None = None, env_id: str | None = None, *, render_mode: str | None = None,
                 _session: Session | None = None, **make_kwargs: Any):
        """Opens a connection to ``url`` and makes ``env_id`` there; ``make_kwargs`` are those of :func:`make`."""
        if _session is None:
            if url is None or env_id is None:
                raise TypeError("TwinGymEnv needs url and env_id")
            token = make_kwargs.pop("token", None)
            conn = Connection(url, token=token)
            try:
                reply = conn.request("make", **_make_fields(env_id, num_envs=1, **make_kwargs))
            except BaseException:
                conn.close()
                raise
            _session = Session(conn, reply, owns_connection=True)
            self._spec_kwargs = {"url": url, "env_id": env_id, "token": token, **make_kwargs}
        else:
            self._spec_kwargs = None
        self.session = _session
        reply = _session.make_reply
        if reply.get("vectorized"):
            _session.close()
            raise ValueError("TwinGymEnv wraps a single (non-vectorized) session; use TwinGymVectorEnv")
        meta = reply["metadata"]
        self.observation_space = space_from_spec(reply["observation_space"])
        self.action_space = space_from_spec(reply["action_space"])
        self.metadata = {"render_modes": list(meta.get("render_modes", [])), "render_fps": DEFAULT_RENDER_FPS,
                         "autoreset_mode": meta.get("autoreset")}
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            _session.close()
            raise ValueError(f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self._obs = _ObsDecoder(self.observation_space, tuple(self.observation_space.shape or ()))
        self._discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self._conn = _session.conn
        self._handle = _session.handle
        rr = meta.get("reward_range")
        if rr is not None and len(rr) == 2:
            self.reward_range = (float(rr[0]), float(rr[1]))
        self.contexts: list[dict[str, float]] = [dict(c) for c in reply.get("contexts", [])]
        self.spec = self._make_spec()

    def _make_spec(self) -> EnvSpec | None:
        if self._spec_kwargs is None:
            return None
        return EnvSpec(id=f"twingym/{self.env_id}", entry_point="twingym.env:TwinGymEnv", nondeterministic=False,
                       max_episode_steps=None, kwargs=dict(self._spec_kwargs))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Starts an episode. ``seed`` re-seeds the server's generator (None keeps it); ``options`` may hold
        ``contexts`` (a map of physical parameters) and ``state`` (an observation to start from)."""
        super().reset(seed=seed)
        fields: dict[str, Any] = {}
        if seed is not None:
            fields["seed"] = int(seed)
        wire = _wire_options(options)
        if wire is not None:
            fields["options"] = wire
        reply = self.session.request("reset", **fields)
        return self._obs(reply["obs"]), _info(reply.get("info", {}))

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """One step: (observation, reward, terminated, truncated, info)."""
        if not (self._discrete and type(action) is int):
            action = encode_value(self.action_space, action)
        reply = self._conn.request("step", session=self._handle, action=action)
        return (self._obs(reply["obs"]), float(reply["reward"]), reply["terminated"] is True,
                reply["truncated"] is True, _info(reply["info"]))

    def render(self) -> Any:
        """The current state drawn in ``render_mode`` (an SVG document string for "svg"); None without a mode."""
        if self.render_mode is None:
            return None
        return self.session.request("render", mode=self.render_mode)["data"]

    def get_context(self) -> dict[str, float]:
        """The physical parameters in use, read back from the dynamics."""
        return dict(self.session.request("get_context")["contexts"][0])

    def set_context(self, context: Mapping[str, float]) -> dict[str, float]:
        """Changes physical parameters from the next step on; returns them as read back."""
        ctx = {k: float(v) for k, v in context.items()}
        contexts = self.session.request("set_context", contexts=ctx)["contexts"]
        self.contexts = [dict(c) for c in contexts]
        return dict(contexts[0])

    def set_state(self, state: bytes) -> Any:
        """Restores a snapshot from :meth:`get_state` and returns the restored observation."""
        reply = self.session.request("set_state", state=bytes(state))
        return decode_obs(self.observation_space, reply["obs"])

    def close(self) -> None:
        """Closes the session (and its connection when this env opened it). Safe to call twice."""
        self.session.close()
        super().close()


class TwinGymVectorEnv(_SessionOps, VectorEnv):
    """A batch of remote environments in one server session, as a ``gymnasium.vector.VectorEnv``.

    Sub-env i is seeded with seed + i (or ``seed[i]`` for a list), ``options["reset_mask"]`` resets a subset, and
    ``metadata["autoreset_mode"]`` says what happens after an episode ends (as the server applies it).
    """

    def __init__(self, session: Session, render_mode: str | None = None):
        """Wraps a vectorized ``session`` (use :func:`make` with ``num_envs > 1``)."""
        self.session = session
        reply = session.make_reply
        meta = reply["metadata"]
        self.num_envs = int(reply["num_envs"])
        self.single_observation_space = space_from_spec(reply["single_observation_space"])
        self.single_action_space = space_from_spec(reply["single_action_space"])
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._obs = _ObsDecoder(self.observation_space, tuple(self.observation_space.shape or ()))
        self.autoreset_mode = _AUTORESET[meta["autoreset"]]
        self.metadata = {"render_modes": list(meta.get("render_modes", [])), "render_fps": DEFAULT_RENDER_FPS,
                         "autoreset_mode": self.autoreset_mode}
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            session.close()
            raise ValueError(f"render_mode {render_mode!r} is not one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.contexts: list[dict[str, float]] = [dict(c) for c in reply.get("contexts", [])]
        self.closed = False

    def reset(self, *, seed: int | Sequence[int] | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every sub-env (or those selected by ``options["reset_mask"]``). An int seed gives sub-env i the seed
        seed + i; a list gives one seed per sub-env; None keeps the generators."""
        if isinstance(seed, (int, np.integer)):
            super().reset(seed=int(seed))
        fields: dict[str, Any] = {}
        if seed is not None:
            fields["seed"] = int(seed) if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
        wire = _wire_options(options)
        if wire is not None:
            fields["options"] = wire
        reply = self.session.request("reset", **fields)
        return self._obs(reply["obs"]), self._vector_info(reply.get("info", {}))

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every sub-env; returns batched (obs, rewards, terminations, truncations, infos)."""
        reply = self.session.conn.request("step", session=self.session.handle,
                                          action=encode_value(self.action_space, actions))
        return (self._obs(reply["obs"]), self._batch(reply["reward"], np.float64),
                self._batch(reply["terminated"], np.bool_), self._batch(reply["truncated"], np.bool_),
                self._vector_info(reply["info"]))

    def _batch(self, value: Any, dtype: Any) -> np.ndarray:
        """A per-env tensor (or a number, for one env) as a fresh array of num_envs elements."""
        if type(value) is dict:
            data, n = value["data"], self.num_envs
            if value["dtype"] == "f64" and dtype is np.float64 and len(data) == 8 * n:
                return np.frombuffer(bytearray(data), "<f8")
            if value["dtype"] == "bool" and dtype is np.bool_ and len(data) == n:
                return np.frombuffer(data, np.uint8) != 0
            arr = decode_tensor(value)
        else:
            arr = np.asarray(value)
        return arr.astype(dtype, copy=False).reshape(self.num_envs)

    def _vector_info(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Gymnasium's vector info: arrays per key, each with a boolean ``_key`` mask; same_step autoreset puts the
        final observations in ``final_obs`` (an object array, None where the sub-env did not end)."""
        info: dict[str, Any] = {}
        final_mask = None
        if "final_mask" in raw:
            final_mask = decode_tensor(raw["final_mask"]).astype(np.bool_).reshape(self.num_envs)
        for key, value in raw.items():
            if key in ("final_mask",):
                continue
            arr = decode_tensor(value) if type(value) is dict else np.asarray(value)
            if key == "final_obs":
                mask = final_mask if final_mask is not None else np.zeros(self.num_envs, dtype=np.bool_)
                objs = np.full(self.num_envs, None, dtype=object)
                for i in np.flatnonzero(mask):
                    objs[i] = arr[i].copy()
                info["final_obs"] = objs
                info["_final_obs"] = mask.copy()
                info["final_info"] = {}
                info["_final_info"] = mask.copy()
                continue
            if arr.ndim == 0:
                arr = np.full(self.num_envs, arr.item())
            info[key] = arr
            info["_" + key] = np.ones(self.num_envs, dtype=np.bool_)
        return info

    def render(self) -> tuple[Any, ...] | None:
        """Every sub-env drawn in ``render_mode`` (a tuple of SVG strings for "svg"); None without a mode."""
        if self.render_mode is None:
            return None
        replies = self.session.conn.pipeline(
            ("render", {"session": self.session.handle, "index": i, "mode": self.render_mode})
            for i in range(self.num_envs))
        return tuple(r["data"] for r in replies)

    def get_context(self) -> list[dict[str, float]]:
        """The physical parameters of every sub-env, read back from the dynamics."""
        return [dict(c) for c in self.session.request("get_context")["contexts"]]

    def set_context(self, contexts: Mapping[str, float] | Sequence[Mapping[str, float]],
                    indices: Sequence[int] | None = None) -> list[dict[str, float]]:
        """Changes physical parameters from the next step on: one map for every selected sub-env, or one map per
        index. Returns every sub-env's context as read back."""
        if isinstance(contexts, Mapping):
            wire: Any = {k: float(v) for k, v in contexts.items()}
        else:
            wire = [{k: float(v) for k, v in c.items()} for c in contexts]
        fields: dict[str, Any] = {"contexts": wire}
        if indices is not None:
            fields["indices"] = [int(i) for i in indices]
        out = [dict(c) for c in self.session.request("set_context", **fields)["contexts"]]
        self.contexts = out
        return out

    def set_state(self, state: bytes) -> np.ndarray:
        """Restores a snapshot from :meth:`get_state`; returns the restored observations."""
        return decode_obs(self.observation_space, self.session.request("set_state", state=bytes(state))["obs"])

    def close_extras(self, **kwargs: Any) -> None:
        """Closes the session (and its connection when this env opened it)."""
        self.session.close()


def _make_fields(env_id: str, *, dynamics: Any = "true", agent: int | None = None, context: Any = None,
                 num_envs: int = 1, seed: int | None = None, max_episode_steps: int | None = None,
                 autoreset: str | None = None, options: Mapping[str, Any] | None = None,
                 vectorized: bool | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"env_id": env_id}
    dyn = _dynamics_field(dynamics, agent)
    if dyn != "true":
        fields["dynamics"] = dyn
    if num_envs != 1:
        fields["num_envs"] = int(num_envs)
    if vectorized is not None:
        fields["vectorized"] = bool(vectorized)
    if context is not None:
        if isinstance(context, Mapping):
            fields["contexts"] = {k: float(v) for k, v in context.items()}
        else:
            fields["contexts"] = [{k: float(v) for k, v in c.items()} for c in context]
    if seed is not None:
        fields["seed"] = int(seed)
    if max_episode_steps is not None:
        fields["max_episode_steps"] = int(max_episode_steps)
    if autoreset is not None:
        names = {mode: name for name, mode in _AUTORESET.items()}
        fields["autoreset"] = names[autoreset] if isinstance(autoreset, AutoresetMode) else str(autoreset)
    if options:
        fields["options"] = dict(options)
    return fields


class Client:
    """A connection to a server from which several environments are made; they share its WebSocket.

    >>> with Client("ws://127.0.0.1:8765") as client:
    ...     env = client.make("CartPole-v0")
    """

    def __init__(self, url: str, token: str | None = None, timeout: float | None = 60.0):
        """Connects to ``url`` and runs the version handshake."""
        self.conn = Connection(url, token=token, timeout=timeout)

    @property
    def server_info(self) -> dict[str, Any]:
        """The hello reply: protocol, server, capabilities and limits."""
        return dict(self.conn.server_info or {})

    def list_envs(self) -> list[dict[str, Any]]:
        """Every environment the server offers, with its spec."""
        return self.conn.request("list_envs")["envs"]

    def list_models(self, env_id: str | None = None) -> list[jobs.ModelInfo]:
        """Every learned model the server serves (those of ``env_id`` when given), as :class:`ModelInfo`."""
        return jobs.list_models(self.conn, env_id)

    def start_job(self, kind: str, params: Mapping[str, Any] | None = None, *, subscribe: bool = True) -> jobs.JobInfo:
        """Starts a server job ("collect", "train_persim", "compare", ...); see :func:`twingym.jobs.start_job`."""
        return jobs.start_job(self.conn, kind, params, subscribe)

    def job_status(self, job_id: str) -> jobs.JobInfo:
        """The job's current :class:`JobInfo`; raises UnknownJobError for an unknown id."""
        return jobs.job_status(self.conn, job_id)

    def list_jobs(self) -> list[jobs.JobInfo]:
        """Every job of the server, newest first."""
        return jobs.list_jobs(self.conn)

    def cancel_job(self, job_id: str) -> jobs.JobInfo:
        """Asks the server to stop the job; returns its JobInfo as it is now."""
        return jobs.cancel_job(self.conn, job_id)

    def wait_job(self, job_id: str, on_progress: Callable[[jobs.JobInfo], None] | None = None,
                 timeout: float | None = None, poll_interval: float = 1.0) -> jobs.JobInfo:
        """Waits for the job to end and returns its final JobInfo, calling ``on_progress(job)`` on every update (from
        the job's events, falling back to polling); see :func:`twingym.jobs.wait_job`."""
        return jobs.wait_job(self.conn, job_id, on_progress=on_progress, timeout=timeout, poll_interval=poll_interval)

    def compare(self, model: str, agent: int, **options: Any) -> dict[str, Any]:
        """PerSim's model-versus-environment comparison for one agent (``episodes``, ``seed``, ``warmup``,
        ``horizon``, ``policy``); see :func:`twingym.jobs.compare`."""
        return jobs.compare(self.conn, model, agent, **options)

    def make(self, env_id: str, *, render_mode: str | None = None, **kwargs: Any) -> TwinGymEnv | TwinGymVectorEnv:
        """Makes an environment on this connection; keyword arguments are those of :func:`make`."""
        reply = self.conn.request("make", **_make_fields(env_id, **kwargs))
        session = Session(self.conn, reply, owns_connection=False)
        if reply.get("vectorized"):
            return TwinGymVectorEnv(session, render_mode=render_mode)
        return TwinGymEnv(render_mode=render_mode, _session=session)

    def close(self) -> None:
        """Closes the connection; the server frees every session made on it."""
        self.conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def make(url: str, env_id: str, *, dynamics: Any = "true", agent: int | None = None, context: Any = None,
         num_envs: int = 1, seed: int | None = None, max_episode_steps: int | None = None,
         autoreset: str | None = None, options: Mapping[str, Any] | None = None, render_mode: str | None = None,
         token: str | None = None, vectorized: bool | None = None) -> TwinGymEnv | TwinGymVectorEnv:
    """Makes ``env_id`` on the server at ``url`` over a connection of its own.

    Args:
        url: ``ws://host:port`` (the ``/v1/ws`` path is added when missing).
        env_id: an id from ``list_envs``, e.g. ``"CartPole-v0"``.
        dynamics: ``"true"`` for the real environment, a learned model id from ``list_models`` (with ``agent`` for a
            trained PerSim agent), or a map ``{"model": id, "agent": n, "mode": "mean"|"sample", "trajectory":
            {"observations": [n, O], "actions": [n] or [n, A], "next_observations": [n, O]}}``; the trajectory
            (numpy arrays or lists) personalises the model for a new agent. Reward, termination and time limits stay
            the environment's; ``set_context`` answers UnsupportedError on a learned model.
        context: physical parameters, one map for every env or a list with one map per env.
        num_envs: more than 1 returns a :class:`TwinGymVectorEnv`.
        seed: used by the first reset when it gives none.
        max_episode_steps: time limit override.
        autoreset: vector envs: ``"next_step"`` (default), ``"same_step"`` or ``"disabled"``.
        options: env options (``EnvSpec.options`` of list_envs).
        render_mode: ``"svg"`` when the env lists it.
        token: bearer token for servers that require one.
        vectorized: force vector semantics even for one env.

    Returns:
        a ``gymnasium.Env`` or ``gymnasium.vector.VectorEnv``; closing it closes the connection.
    """
    kwargs = dict(dynamics=dynamics, agent=agent, context=context, seed=seed, max_episode_steps=max_episode_steps,
                  autoreset=autoreset, options=options)
    if num_envs == 1 and not vectorized:
        return TwinGymEnv(url, env_id, render_mode=render_mode, token=token,
                          **{k: v for k, v in kwargs.items() if v is not None and v != "true"})
    conn = Connection(url, token=token)
    try:
        reply = conn.request("make", **_make_fields(env_id, num_envs=num_envs, vectorized=vectorized, **kwargs))
    except BaseException:
        conn.close()
        raise
    return TwinGymVectorEnv(Session(conn, reply, owns_connection=True), render_mode=render_mode)
