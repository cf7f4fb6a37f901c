"""twingym.make against a live server: gymnasium's own checker, full episodes, dynamics against formulas derived
independently from REFERENCE.md, seeding, contexts, snapshots and errors."""

from __future__ import annotations

import math
import re
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import twingym
from twingym.spaces import space_from_spec

from conftest import make_env


def unavoidable_warnings(spec) -> set[str]:
    """The only check_env warnings a faithful client cannot avoid: an environment whose declared observation Box is
    unbounded (physics velocities) gets Gymnasium's infinite-bound warnings, as Gymnasium's own MuJoCo envs do."""
    box = space_from_spec(spec["observation_space"])
    out = set()
    if isinstance(box, gym.spaces.Box) and np.any(box.low == -np.inf):
        out.add("A Box observation space minimum value is -infinity. This is probably too low.")
    if isinstance(box, gym.spaces.Box) and np.any(box.high == np.inf):
        out.add("A Box observation space maximum value is infinity. This is probably too high.")
    return out


def test_check_env_passes_without_avoidable_warnings(server_url, env_specs, env_dynamics):
    env_id, dynamics = env_dynamics
    spec = next(s for s in env_specs if s["id"] == env_id)
    for render_mode in (None, "svg"):
        env = make_env(server_url, env_id, dynamics, render_mode=render_mode)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                check_env(env)
            messages = {re.sub(r"\x1b\[[0-9;]*m", "", str(w.message)).removeprefix("WARN: ") for w in caught}
            assert messages == unavoidable_warnings(spec), f"{env_id} (render_mode={render_mode}): {messages}"
        finally:
            env.close()
        env.close()  # closing twice is allowed


def test_full_episode_respects_spaces_and_time_limit(server_url, env_specs, env_dynamics):
    env_id, dynamics = env_dynamics
    spec = next(s for s in env_specs if s["id"] == env_id)
    env = make_env(server_url, env_id, dynamics)
    try:
        assert isinstance(env, gym.Env)
        obs, info = env.reset(seed=3)
        assert obs.dtype == env.observation_space.dtype and obs in env.observation_space
        assert info["episode_step"] == 0
        env.action_space.seed(3)
        steps, total = 0, 0.0
        while True:
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            steps += 1
            total += reward
            assert obs.dtype == env.observation_space.dtype and obs.shape == env.observation_space.shape
            assert isinstance(reward, float) and math.isfinite(reward)
            assert type(terminated) is bool and type(truncated) is bool
            assert info["episode_step"] == steps
            lo, hi = spec["reward_range"]
            assert lo <= reward <= hi
            if terminated or truncated:
                break
            assert steps < spec["max_episode_steps"], "the time limit did not truncate"
        if not terminated:
            assert truncated and steps == spec["max_episode_steps"], "truncated before the time limit"
        with pytest.raises(twingym.NeedsResetError) as e:
            env.step(env.action_space.sample())
        assert e.value.code == "needs_reset"
        env.reset()
        env.step(env.action_space.sample())
    finally:
        env.close()


def mountain_car_step(x, v, action, gravity):
    """REFERENCE.md 1.1, written out independently."""
    v = v + (action - 1) * 0.001 - gravity * math.cos(3 * x)
    v = min(max(v, -0.07), 0.07)
    x = min(max(x + v, -1.2), 0.6)
    if x == -1.2 and v < 0:
        v = 0.0
    terminated = x >= 0.5 and v >= 0
    return x, v, (0.0 if terminated else -1.0), terminated


def test_mountain_car_follows_the_reference_formulas(server_url):
    env = twingym.make(server_url, "MountainCar-v0", context={"gravity": 0.001})
    try:
        for gravity in (0.001, 0.0035):
            if gravity != 0.001:
                assert env.set_context({"gravity": gravity}) == {"gravity": gravity}
            obs, _ = env.reset(options={"state": [-0.5, 0.0]})
            assert obs.tolist() == [-0.5, 0.0]
            x, v = -0.5, 0.0
            rng = np.random.default_rng(0)
            for _ in range(120):
                a = int(rng.integers(3))
                x, v, r, term = mountain_car_step(x, v, a, gravity)
                obs, reward, terminated, truncated, _ = env.step(a)
                np.testing.assert_allclose(obs, np.array([x, v], dtype=np.float32), rtol=1e-6, atol=1e-7)
                assert reward == r and terminated == term and truncated is False
        assert env.get_context() == {"gravity": 0.0035}
    finally:
        env.close()


def test_mountain_car_reaches_the_goal_with_reward_zero(server_url):
    env = twingym.make(server_url, "MountainCar-v0")
    try:
        env.reset(options={"state": [0.49, 0.05]})
        obs, reward, terminated, truncated, _ = env.step(2)
        x, v, r, term = mountain_car_step(0.49, 0.05, 2, 0.0025)
        assert term and terminated and reward == 0.0 == r
    finally:
        env.close()


def cart_pole_step(s, action, force_mag=10.0, length=0.5, masscart=1.0, masspole=0.1):
    """REFERENCE.md 1.2 (explicit Euler), written out independently."""
    x, x_dot, theta, theta_dot = s
    force = force_mag if action == 1 else -force_mag
    total = masscart + masspole
    pml = masspole * length
    temp = (force + pml * theta_dot ** 2 * math.sin(theta)) / total
    theta_acc = (9.8 * math.sin(theta) - math.cos(theta) * temp) / (
        length * (4.0 / 3.0 - masspole * math.cos(theta) ** 2 / total))
    x_acc = temp - pml * theta_acc * math.cos(theta) / total
    x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * x_acc
    theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * theta_acc
    terminated = abs(x) > 2.4 or abs(theta) > 0.20943951
    return [x, x_dot, theta, theta_dot], terminated


def test_cart_pole_follows_the_reference_formulas(server_url):
    ctx = {"force_mag": 18.0, "length": 0.85}
    env = twingym.make(server_url, "CartPole-v0", context=ctx)
    try:
        start = [0.01, -0.02, 0.03, 0.0]
        obs, _ = env.reset(options={"state": start})
        s = [float(np.float32(v)) for v in start]
        for k in range(60):
            a = k % 2 if k < 20 else 1
            s, term = cart_pole_step(s, a, **ctx)
            obs, reward, terminated, truncated, _ = env.step(a)
            np.testing.assert_allclose(obs, np.array(s, dtype=np.float32), rtol=1e-5, atol=1e-6)
            assert reward == 1.0 and terminated == term
            if terminated:
                break
        assert terminated, "pushing right for 40 steps should drop the pole"
    finally:
        env.close()


def test_seeding_sequence_through_gymnasium_api(server_url):
    env = twingym.make(server_url, "MountainCar-v0")
    try:
        o1, _ = env.reset(seed=123)
        o2, _ = env.reset()
        o3, _ = env.reset(seed=123)
        o4, _ = env.reset()
        o5, _ = env.reset(seed=456)
        assert o1.tobytes() == o3.tobytes() and o2.tobytes() == o4.tobytes()
        assert o1.tobytes() != o2.tobytes() and o5.tobytes() != o1.tobytes()
        # MountainCar starts at x ~ U(-0.6, -0.4), v = 0
        for o in (o1, o2, o5):
            assert -0.6 <= o[0] <= -0.4 and o[1] == 0.0
    finally:
        env.close()


def test_make_seed_is_used_by_the_first_reset(server_url):
    a = twingym.make(server_url, "MountainCar-v0", seed=9)
    b = twingym.make(server_url, "MountainCar-v0")
    try:
        assert a.reset()[0].tobytes() == b.reset(seed=9)[0].tobytes()
    finally:
        a.close()
        b.close()


def test_snapshot_replays_exactly(server_url, env_id):
    env = twingym.make(server_url, env_id)
    try:
        env.reset(seed=5)
        env.action_space.seed(5)
        actions = [env.action_space.sample() for _ in range(12)]
        for a in actions[:4]:
            env.step(a)
        snap = env.get_state()
        assert isinstance(snap, bytes) and len(snap) > 0
        first = [env.step(a) for a in actions[4:]]
        restored = env.set_state(snap)
        assert restored.dtype == env.observation_space.dtype
        second = [env.step(a) for a in actions[4:]]
        for (o1, r1, t1, u1, _), (o2, r2, t2, u2, _) in zip(first, second):
            assert o1.tobytes() == o2.tobytes() and r1 == r2 and t1 == t2 and u1 == u2
    finally:
        env.close()


def test_context_round_trip_and_errors(server_url, env_specs, env_id):
    spec = next(s for s in env_specs if s["id"] == env_id)
    params = spec["context"]["params"]
    env = twingym.make(server_url, env_id)
    try:
        defaults = {p["name"]: p["default"] for p in params}
        assert env.get_context() == pytest.approx(defaults)
        assert env.contexts == [pytest.approx(defaults)]
        env.reset(seed=0)
        for p in params:
            assert env.set_context({p["name"]: p["high"]})[p["name"]] == pytest.approx(p["high"])
            with pytest.raises(twingym.ContextOutOfRangeError) as e:
                env.set_context({p["name"]: p["high"] + abs(p["high"] - p["low"]) + 1})
            assert e.value.code == "context_out_of_range" and e.value.message
            assert env.get_context()[p["name"]] == pytest.approx(p["high"])
        with pytest.raises(twingym.UnknownContextKeyError):
            env.set_context({"not_a_parameter": 1.0})
    finally:
        env.close()


def test_server_errors_raise_typed_exceptions_and_keep_the_session(server_url):
    env = twingym.make(server_url, "MountainCar-v0")
    try:
        env.reset(seed=1)
        before = env.get_state()
        with pytest.raises(twingym.OutOfBoundsError) as e:
            env.step(3)
        assert e.value.code == "out_of_bounds" and e.value.details.get("value") == 3
        assert isinstance(e.value, ValueError) and "[out_of_bounds]" in str(e.value)
        with pytest.raises(twingym.BadDtypeError):
            env.step(1.5)
        with pytest.raises(twingym.BadShapeError):
            env.step(np.array([1, 1]))
        assert env.get_state() == before
        env.step(1)
    finally:
        env.close()
    with pytest.raises(twingym.UnknownEnvError) as e:
        twingym.make(server_url, "NoSuchEnv-v0")
    assert e.value.code == "unknown_env"
    with pytest.raises(twingym.UnknownDynamicsError):
        twingym.make(server_url, "MountainCar-v0", dynamics="no-such-model")


def test_rollout_follows_the_formulas_and_leaves_the_session(server_url):
    env = twingym.make(server_url, "MountainCar-v0", context={"gravity": 0.001})
    try:
        if "rollout" not in env.connection.server_info["capabilities"]:
            with pytest.raises(twingym.UnknownOpError) as e:
                env.rollout(np.ones((2, 5), dtype=np.int64))
            assert e.value.details.get("reserved") is True
            return
        env.reset(options={"state": [-0.5, 0.0]})
        before = env.get_state()
        actions = np.array([[1, 1, 2, 2, 0], [2, 2, 2, 2, 2]])
        starts = {"current": [(-0.5, 0.0), (-0.5, 0.0)], "given": [(-0.5, 0.0), (-0.25, 0.015625)]}
        for kind, rows in starts.items():
            out = env.rollout(actions, start="current" if kind == "current" else np.array(rows))
            assert out["obs"].shape == (2, 5, 2) and out["reward"].shape == (2, 5) and out["members"] == 1
            for b, (x, v) in enumerate(rows):
                for t in range(5):
                    x, v, r, term = mountain_car_step(x, v, int(actions[b, t]), 0.001)
                    np.testing.assert_allclose(out["obs"][b, t], np.array([x, v], dtype=np.float32), rtol=1e-6,
                                               atol=1e-7)
                    assert out["reward"][b, t] == r and bool(out["terminated"][b, t]) == term
        assert env.get_state() == before, "a rollout changed the session"
    finally:
        env.close()


def test_plan_returns_an_action_to_take(server_url):
    env = twingym.make(server_url, "MountainCar-v0")
    try:
        if "plan" not in env.connection.server_info["capabilities"]:
            with pytest.raises(twingym.UnknownOpError):
                env.plan()
            return
        env.reset(seed=0)
        out = env.plan(seed=1, settings={"candidates": 30, "horizon": 8})
        assert isinstance(out["action"], int) and out["action"] in env.action_space
        assert out["planner"] == "random_shooting" and math.isfinite(out["predicted_return"])
        assert -8 <= out["predicted_return"] <= 0  # MountainCar rewards are -1 or 0 per step
        assert out["sequence"].shape == (8,) and out["sequence"][0] == out["action"]
        env.step(out["action"])
    finally:
        env.close()


def test_render_returns_svg(server_url, env_id):
    env = twingym.make(server_url, env_id, render_mode="svg")
    try:
        env.reset(seed=0)
        out = env.render()
        assert isinstance(out, str) and out.lstrip().startswith("<svg") and out.rstrip().endswith("</svg>")
    finally:
        env.close()
    with pytest.raises(ValueError):
        twingym.make(server_url, env_id, render_mode="rgb_array")


def test_gymnasium_make_from_the_spec(server_url):
    env = twingym.make(server_url, "MountainCar-v0", context={"gravity": 0.001})
    try:
        other = gym.make(env.spec)
        try:
            assert other.unwrapped.get_context() == {"gravity": 0.001}
            obs, _ = other.reset(seed=2)
            assert obs.tobytes() == env.reset(seed=2)[0].tobytes()
        finally:
            other.close()
    finally:
        env.close()


def test_client_shares_one_connection_between_envs(server_url):
    with twingym.Client(server_url) as client:
        assert client.server_info["protocol"].startswith("1.")
        a = client.make("MountainCar-v0")
        b = client.make("MountainCar-v0", num_envs=2)
        assert a.connection is b.connection
        a.reset(seed=1)
        b.reset(seed=1)
        a.close()
        b.step(np.array([0, 2]))  # b lives on after a is closed
        b.close()


def test_pipelined_requests_come_back_in_order(server_url):
    conn = twingym.Connection(server_url)
    try:
        h = conn.request("make", env_id="MountainCar-v0")["session"]
        conn.request("reset", session=h, seed=0)
        requests = []
        for k in range(20):
            if k % 5 == 4:
                requests.append(("step", {"session": h, "action": 7}))  # out of bounds: an error in the middle
            elif k % 2:
                requests.append(("get_context", {"session": h}))
            else:
                requests.append(("step", {"session": h, "action": 1}))
        replies = conn.pipeline(requests, raise_errors=False)
        assert [r["id"] for r in replies] == sorted(r["id"] for r in replies)
        for (op, fields), reply in zip(requests, replies):
            if fields.get("action") == 7:
                assert reply["ok"] is False and reply["error"]["code"] == "out_of_bounds"
            elif op == "step":
                assert reply["ok"] is True and "obs" in reply
            else:
                assert reply["contexts"] == [{"gravity": 0.0025}]
        steps = [r["info"]["episode_step"] for (op, f), r in zip(requests, replies) if op == "step" and r["ok"]]
        assert steps == list(range(1, len(steps) + 1))
        with pytest.raises(twingym.OutOfBoundsError):
            conn.pipeline([("step", {"session": h, "action": 1}), ("step", {"session": h, "action": 9})])
        assert conn.in_flight == 0
    finally:
        conn.close()


def test_a_silent_server_times_out_with_a_clear_error(server_url):
    conn = twingym.Connection(server_url, timeout=0.3)
    try:
        with pytest.raises(twingym.TwinGymConnectionError, match="timed out"):
            conn.recv_frame()  # nothing was asked, so nothing comes
    finally:
        conn.close()


def test_an_undecodable_frame_closes_the_connection_with_its_code(server_url):
    conn = twingym.Connection(server_url)
    conn.send_raw(b"\x92\x01")  # an array announced with two items, cut short
    with pytest.raises(twingym.TwinGymConnectionError) as e:
        conn.recv_frame()
    assert e.value.close_code == 1007 and e.value.close_reason
    with pytest.raises(twingym.TwinGymConnectionError):
        conn.request("list_envs")
