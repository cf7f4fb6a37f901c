"""Learned models and jobs (protocol 1.2) against a live server: list_models, make with a model (trained agent,
personalisation trajectory, sampling mode), compare, the job ops, wait_job with its progress callback, and event
routing. Expected values come from the shipped model files and from REFERENCE.md's formulas, not from the server."""

from __future__ import annotations

import json
import math
import uuid
import warnings

import gymnasium as gym
import numpy as np
import pytest

import twingym
from conftest import REPO
from test_conformance_detects import MutatingProxy
from test_env import mountain_car_step
from twingym.conformance import run_suite

MC_MODEL = "persim-mountaincar-random"
CP_MODEL = "persim-cartpole-random"


def manifest(model_id: str) -> dict:
    """The shipped model's manifest, read from the registry directory (not from the server)."""
    return json.loads((REPO / "models" / model_id / "manifest.json").read_text())


def agent_context(model_id: str, agent: int) -> dict[str, float]:
    """A trained agent's true context as stored in the model file."""
    m = manifest(model_id)
    return dict(zip(m["agents"]["context_names"], m["agents"]["contexts"][agent]))


def tiny_collect(**extra) -> dict:
    """The tiny job of these tests: 5 agents (MountainCar's PerSim test agents, the fewest the server collects) x 20
    steps with a random policy, into a dataset id of its own (a dataset id can be written once per server)."""
    return {"env_id": "MountainCar-v0", "policy": "random", "agents": 5, "steps": 20, "seed": 1,
            "dataset": f"pytest-{uuid.uuid4().hex[:12]}", **extra}


def test_list_models_describes_the_shipped_models(server_url):
    with twingym.Client(server_url) as client:
        models = {m.id: m for m in client.list_models()}
        assert {MC_MODEL, CP_MODEL} <= set(models)
        for model_id, env_id in ((MC_MODEL, "MountainCar-v0"), (CP_MODEL, "CartPole-v0")):
            info, man = models[model_id], manifest(model_id)
            assert isinstance(info, twingym.ModelInfo)
            assert info.env_id == env_id == man["env"]["id"] and info.kind == man["kind"] == "persim"
            assert info.members == man["hyper"]["members"] and info.agents == man["agents"]["count"]
            assert info.test_agents == man["agents"]["test_agents"]
            assert info.context_names == man["agents"]["context_names"]
            assert info.description == man["description"] and info.created == man["created"]
            assert isinstance(info.metadata, dict) and info.raw["id"] == model_id
        only_mc = client.list_models("MountainCar-v0")
        assert [m.env_id for m in only_mc] == ["MountainCar-v0"] * len(only_mc) and MC_MODEL in {m.id for m in only_mc}
        specs = {e["id"]: e for e in client.list_envs()}
        assert MC_MODEL in specs["MountainCar-v0"]["dynamics"] and CP_MODEL in specs["CartPole-v0"]["dynamics"]


def test_make_with_a_trained_agent(server_url):
    env = twingym.make(server_url, "MountainCar-v0", dynamics={"model": MC_MODEL, "agent": 3}, render_mode="svg")
    try:
        want = agent_context(MC_MODEL, 3)
        assert env.get_context() == pytest.approx(want) and env.contexts == [pytest.approx(want)]
        assert env.dynamics == {"kind": "persim", "model": MC_MODEL, "agent": 3,
                                "members": manifest(MC_MODEL)["hyper"]["members"], "mode": "mean"}
        with pytest.raises(twingym.UnsupportedError) as e:
            env.set_context({"gravity": 0.001})
        assert e.value.details.get("model") == MC_MODEL
        assert env.get_context() == pytest.approx(want)
        # One step from a given state: the model learned agent 3's gravity, so it is close to the formula's step.
        for x0, v0, a in ((-0.5, 0.0, 2), (-0.9, 0.02, 0), (-0.3, -0.01, 1)):
            obs, _ = env.reset(options={"state": [x0, v0]})
            assert obs.tolist() == pytest.approx([x0, v0], abs=1e-7)
            obs, reward, terminated, truncated, info = env.step(a)
            x, v, r, term = mountain_car_step(x0, v0, a, want["gravity"])
            assert obs.dtype == np.float32 and obs in env.observation_space
            assert abs(obs[0] - x) < 2e-3 and abs(obs[1] - v) < 5e-4, (obs, (x, v))
            assert reward == r == -1.0 and terminated is False and truncated is False and info["episode_step"] == 1
        first = [env.reset(seed=11)[0]] + [env.step(k % 3)[0] for k in range(20)]
        again = [env.reset(seed=11)[0]] + [env.step(k % 3)[0] for k in range(20)]
        assert all(a.tobytes() == b.tobytes() for a, b in zip(first, again)), "mean mode is not deterministic"
        assert env.render().lstrip().startswith("<svg")
    finally:
        env.close()


def test_check_env_passes_on_a_model_session(server_url):
    from gymnasium.utils.env_checker import check_env

    env = twingym.make(server_url, "MountainCar-v0", dynamics=MC_MODEL, agent=1, render_mode="svg")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env)
        assert [str(w.message) for w in caught] == []
        assert env.get_context() == pytest.approx(agent_context(MC_MODEL, 1))
        other = gym.make(env.spec)  # the spec remembers the learned dynamics
        try:
            assert other.unwrapped.dynamics["model"] == MC_MODEL and other.unwrapped.dynamics["agent"] == 1
        finally:
            other.close()
    finally:
        env.close()


def true_trajectory(url: str, gravity: float, n: int, seed: int) -> dict[str, np.ndarray]:
    """n transitions of the real MountainCar at ``gravity`` under random actions (numpy arrays, as a user has them)."""
    env = twingym.make(url, "MountainCar-v0", context={"gravity": gravity}, max_episode_steps=10_000)
    try:
        rng = np.random.default_rng(seed)
        obs, _ = env.reset(seed=seed)
        o, a, o2 = [], [], []
        for _ in range(n):
            act = int(rng.integers(3))
            nxt, *_ = env.step(act)
            o.append(obs), a.append(act), o2.append(nxt)
            obs = nxt
        return {"observations": np.array(o), "actions": np.array(a), "next_observations": np.array(o2)}
    finally:
        env.close()


def test_a_trajectory_personalises_the_model_for_a_new_agent(server_url):
    gravity = 0.0031  # no trained agent has exactly this context
    traj = true_trajectory(server_url, gravity, 60, seed=4)
    with twingym.Client(server_url) as client:
        env = client.make("MountainCar-v0", dynamics={"model": MC_MODEL, "trajectory": traj})
        assert env.dynamics["personalized"] is True and env.dynamics["model"] == MC_MODEL
        assert "agent" not in env.dynamics
        errs = []
        for x0, v0, a in ((-0.5, 0.0, 1), (-0.7, 0.01, 2), (-0.4, -0.01, 0)):
            env.reset(options={"state": [x0, v0]})
            obs, *_ = env.step(a)
            x, v, _, _ = mountain_car_step(x0, v0, a, gravity)
            errs.append(abs(obs[1] - v))
        assert max(errs) < 5e-4, errs
        sampled = client.make("MountainCar-v0", dynamics={"model": MC_MODEL, "agent": 3, "mode": "sample"}, num_envs=2)
        assert sampled.dynamics["mode"] == "sample"
        obs, _ = sampled.reset(seed=0)
        obs, rewards, term, trunc, info = sampled.step(np.array([2, 0]))
        assert obs.shape == (2, 2) and obs.dtype == np.float32 and rewards.tolist() == [-1.0, -1.0]
        with pytest.raises((twingym.BadShapeError, twingym.InvalidArgumentError)):
            client.make("MountainCar-v0", dynamics={"model": MC_MODEL, "trajectory": {
                "observations": traj["observations"][:5], "actions": traj["actions"][:4],
                "next_observations": traj["next_observations"][:5]}})
        with pytest.raises(twingym.UnknownDynamicsError):
            client.make("CartPole-v0", dynamics={"model": MC_MODEL, "agent": 0})


def test_compare_reports_small_errors_for_a_trained_agent(server_url):
    with twingym.Client(server_url) as client:
        out = client.compare(MC_MODEL, 3, episodes=2, seed=1, warmup=5, horizon=10)
        assert out["env_id"] == "MountainCar-v0" and out["model"] == MC_MODEL and out["agent"] == 3
        assert (out["warmup"], out["horizon"]) == (5, 10) and 1 <= out["episodes"] <= 2
        assert isinstance(out["policy"], str) and out["policy"]
        assert len(out["per_dimension_rmse"]) == 2 and all(0 <= r < 0.05 for r in out["per_dimension_rmse"])
        assert 0 <= out["rmse"]["mean"] < 0.05 and out["rmse"]["median"] <= out["rmse"]["mean"] * 10
        assert math.isfinite(out["r2"]["mean"]) and out["r2"]["median"] <= 1
        with pytest.raises(twingym.UnknownDynamicsError):
            client.compare("no-such-model", 0, episodes=1)


def test_a_collect_job_reports_progress_and_its_result(server_url):
    with twingym.Client(server_url) as client:
        job = client.start_job("collect", tiny_collect())
        assert isinstance(job, twingym.JobInfo) and job.kind == "collect" and job.params["agents"] == 5
        assert job.state in ("queued", "running", "succeeded")
        updates: list[twingym.JobInfo] = []
        final = client.wait_job(job.id, on_progress=updates.append, timeout=60)
        assert final.state == "succeeded" and final.done and final.raise_if_failed() is final
        assert final.result["rows"] == 5 * 20 and isinstance(final.result["dataset"], str)
        assert final.started and final.finished and final.error is None
        assert updates and updates[-1] == final and all(u.id == job.id for u in updates)
        dones = [u.progress.done for u in updates]
        assert dones == sorted(dones) and updates[-1].progress.fraction == 1.0
        finished = [e for e in client.conn.events if e["event"] == "job_finished" and e["job"]["id"] == job.id]
        assert len(finished) == 1, "job_finished must arrive once on the subscribed connection"
        assert client.job_status(job.id) == final
        listed = client.list_jobs()
        assert listed[0].created >= listed[-1].created and job.id in [j.id for j in listed]
        assert client.cancel_job(job.id) == final  # a finished job is returned unchanged


def test_wait_job_polls_a_job_without_events(server_url):
    with twingym.Client(server_url) as client, twingym.Client(server_url) as other:
        job = client.start_job("collect", tiny_collect(seed=2), subscribe=False)
        seen = []
        final = client.wait_job(job.id, on_progress=seen.append, timeout=60, poll_interval=0.05)
        assert final.state == "succeeded" and seen[-1].state == "succeeded"
        assert not [e for e in client.conn.events if e.get("job", {}).get("id") == job.id]
        # Another connection never subscribed: it follows the job by polling too.
        assert other.wait_job(job.id, timeout=10, poll_interval=0.05) == final


def test_cancel_and_timeout(server_url):
    with twingym.Client(server_url) as client:
        job = client.start_job("collect", tiny_collect(agents=2000, seed=3))
        with pytest.raises(twingym.JobTimeoutError) as e:
            client.wait_job(job.id, timeout=0.05)
        assert e.value.job.id == job.id and not e.value.job.done
        client.cancel_job(job.id)
        final = client.wait_job(job.id, timeout=60)
        assert final.state == "cancelled" and final.result is None
        with pytest.raises(twingym.JobCancelledError):
            final.raise_if_failed()
        client.list_envs()  # the connection is still in step


def test_job_errors_are_typed(server_url):
    with twingym.Client(server_url) as client:
        for call in (client.job_status, client.cancel_job, client.wait_job):
            with pytest.raises(twingym.UnknownJobError) as e:
                call("no-such-job")
            assert e.value.code == "unknown_job" and isinstance(e.value, LookupError)
        with pytest.raises(twingym.InvalidArgumentError) as e:
            client.start_job("no-such-kind", {})
        assert "collect" in e.value.message
        with pytest.raises(twingym.InvalidArgumentError) as e:
            client.start_job("collect", tiny_collect(agents=-1))
        assert "agents" in str(e.value.details.get("path"))


def inject_unknown_events(req, reply, held):
    """A server of a later minor: an event this client has never heard of precedes every reply."""
    return [{"event": "from_a_later_minor", "payload": [1, 2, 3]}, {"event": "job_progress", "job": {"id": "x"}},
            reply]


def test_unknown_events_reach_listeners_and_never_count_as_replies(server_url):
    proxy = MutatingProxy(server_url, inject_unknown_events)
    try:
        got: list[dict] = []
        with twingym.Client(proxy.url) as client:
            client.conn.add_listener(got.append)
            env = client.make("MountainCar-v0")
            env.reset(seed=0)
            replies = client.conn.pipeline([("step", {"session": env.session.handle, "action": 1})] * 5)
            assert [r["info"]["episode_step"] for r in replies] == [1, 2, 3, 4, 5]
            names = [e["event"] for e in got]  # one per reply after the listener was added: make, reset, 5 steps
            assert names.count("from_a_later_minor") == 7 and list(client.conn.events)[-1] == got[-1]

            def broken(event):
                raise RuntimeError("listener bug")

            client.conn.add_listener(broken)
            with pytest.warns(RuntimeWarning, match="listener bug"):
                env.step(0)
            client.conn.remove_listener(broken)
        report = run_suite(proxy.url, only=["handshake.", "ops.step", "pipeline.order", "jobs.unknown_job"])
        assert [r.id for r in report.results if r.status != "pass"] == []
    finally:
        proxy.close()


def test_model_sessions_work_as_vector_envs_and_replay(server_url):
    with twingym.Client(server_url) as client:
        venv = client.make("CartPole-v0", dynamics=CP_MODEL, agent=2, num_envs=3)
        assert isinstance(venv, gym.vector.VectorEnv)
        assert venv.get_context() == [pytest.approx(agent_context(CP_MODEL, 2))] * 3
        venv.reset(seed=[1, 2, 3])
        venv.step(np.array([0, 1, 0]))
        snap = venv.get_state()
        first = [venv.step(np.array([1, 0, 1]))[0] for _ in range(5)]
        venv.set_state(snap)
        second = [venv.step(np.array([1, 0, 1]))[0] for _ in range(5)]
        assert all(a.tobytes() == b.tobytes() for a, b in zip(first, second))
        out = venv.rollout(np.ones((2, 4), dtype=np.int64), env=1)
        assert out["obs"].shape == (2, 4, 4) and np.all(np.isfinite(out["obs"])) and math.isfinite(out["reward"][0, 0])
