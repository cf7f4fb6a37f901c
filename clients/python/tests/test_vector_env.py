"""TwinGymVectorEnv against a live server: Gymnasium's vector semantics (seed + i, info masks, reset_mask and the three
autoreset modes), checked against single envs seeded the same way."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, VectorEnv

import twingym


def single_episode(url, env_id, seed, actions, limit):
    """A single env's run: first obs, obs after each action, then the next episode's first obs."""
    env = twingym.make(url, env_id, max_episode_steps=limit)
    try:
        first, _ = env.reset(seed=seed)
        obs = [env.step(a)[0] for a in actions]
        second, _ = env.reset()
        return first, obs, second
    finally:
        env.close()


def test_vector_env_is_a_gymnasium_vector_env(server_url, env_id):
    venv = twingym.make(server_url, env_id, num_envs=3)
    try:
        assert isinstance(venv, VectorEnv) and venv.num_envs == 3
        assert venv.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
        obs, info = venv.reset(seed=10)
        assert obs.shape == (3,) + venv.single_observation_space.shape
        assert obs.dtype == venv.single_observation_space.dtype and obs in venv.observation_space
        assert info["episode_step"].tolist() == [0, 0, 0] and info["_episode_step"].all()
        venv.action_space.seed(0)
        obs, reward, terminated, truncated, info = venv.step(venv.action_space.sample())
        assert reward.dtype == np.float64 and reward.shape == (3,)
        assert terminated.dtype == np.bool_ and truncated.dtype == np.bool_
        assert info["episode_step"].tolist() == [1, 1, 1]
        # sub-env i is seeded with seed + i
        for i in range(3):
            single = twingym.make(server_url, env_id)
            try:
                assert single.reset(seed=10 + i)[0].tobytes() == venv.reset(seed=10)[0][i].tobytes()
            finally:
                single.close()
    finally:
        venv.close()
    venv.close()


def test_seed_list_and_reset_mask(server_url):
    venv = twingym.make(server_url, "MountainCar-v0", num_envs=3)
    try:
        obs, _ = venv.reset(seed=[7, 700, 70])
        single = twingym.make(server_url, "MountainCar-v0")
        try:
            for i, s in enumerate([7, 700, 70]):
                assert obs[i].tobytes() == single.reset(seed=s)[0].tobytes()
        finally:
            single.close()
        stepped, *_ = venv.step(np.array([2, 2, 2]))
        again, info = venv.reset(seed=[1, 2, 3], options={"reset_mask": np.array([False, True, False])})
        assert again[0].tobytes() == stepped[0].tobytes() and again[2].tobytes() == stepped[2].tobytes()
        assert again[1].tobytes() != stepped[1].tobytes()
        assert info["episode_step"].tolist() == [1, 0, 1]
    finally:
        venv.close()


@pytest.mark.parametrize("mode", ["next_step", "same_step", "disabled"])
def test_autoreset_modes(server_url, mode):
    limit = 3
    actions = [np.array([0, 2]), np.array([1, 1]), np.array([2, 0]), np.array([1, 2]), np.array([0, 0])]
    refs = [single_episode(server_url, "MountainCar-v0", s, [a[i] for a in actions[:limit]], limit)
            for i, s in enumerate([11, 12])]
    venv = twingym.make(server_url, "MountainCar-v0", num_envs=2, max_episode_steps=limit, autoreset=mode)
    try:
        assert venv.metadata["autoreset_mode"] == AutoresetMode({"next_step": "NextStep", "same_step": "SameStep",
                                                                  "disabled": "Disabled"}[mode])
        obs, _ = venv.reset(seed=[11, 12])
        for k in range(limit):
            obs, reward, terminated, truncated, info = venv.step(actions[k])
        assert truncated.tolist() == [True, True] and terminated.tolist() == [False, False]
        if mode == "same_step":
            assert info["_final_obs"].tolist() == [True, True]
            for i in range(2):
                assert info["final_obs"][i].tobytes() == refs[i][1][-1].tobytes()
                assert obs[i].tobytes() == refs[i][2].tobytes()
            assert info["episode_step"].tolist() == [0, 0]
        else:
            for i in range(2):
                assert obs[i].tobytes() == refs[i][1][-1].tobytes()
        if mode == "next_step":
            obs, reward, terminated, truncated, info = venv.step(actions[limit])
            assert reward.tolist() == [0.0, 0.0] and not terminated.any() and not truncated.any()
            for i in range(2):
                assert obs[i].tobytes() == refs[i][2].tobytes()
        if mode == "disabled":
            with pytest.raises(twingym.NeedsResetError) as e:
                venv.step(actions[limit])
            assert e.value.details.get("envs") == [0, 1]
            obs, _ = venv.reset(options={"reset_mask": [True, True]})
            for i in range(2):
                assert obs[i].tobytes() == refs[i][2].tobytes()
        obs, reward, *_ = venv.step(actions[limit + 1])
        assert reward.tolist() == [-1.0, -1.0]
    finally:
        venv.close()


def test_vector_contexts_per_env(server_url):
    venv = twingym.make(server_url, "MountainCar-v0", num_envs=3,
                        context=[{"gravity": 0.0001}, {"gravity": 0.001}, {"gravity": 0.0035}])
    try:
        assert [c["gravity"] for c in venv.contexts] == [0.0001, 0.001, 0.0035]
        venv.reset(options={"state": np.array([[-0.5, 0.0]] * 3)})
        obs, *_ = venv.step(np.array([1, 1, 1]))
        # with a = 1 only gravity moves the car: v = -g cos(3x)
        expected = [-0.5 - g * np.cos(-1.5) for g in (0.0001, 0.001, 0.0035)]
        np.testing.assert_allclose(obs[:, 0], np.array(expected, dtype=np.float32), rtol=1e-6)
        out = venv.set_context([{"gravity": 0.002}], indices=[1])
        assert [c["gravity"] for c in out] == [0.0001, 0.002, 0.0035]
        assert [c["gravity"] for c in venv.get_context()] == [0.0001, 0.002, 0.0035]
    finally:
        venv.close()


def test_vector_render_and_snapshot(server_url):
    venv = twingym.make(server_url, "MountainCar-v0", num_envs=2, render_mode="svg")
    try:
        venv.reset(seed=4)
        frames = venv.render()
        assert len(frames) == 2 and all(f.lstrip().startswith("<svg") for f in frames)
        snap = venv.get_state()
        a = [venv.step(np.array([2, 0]))[0] for _ in range(5)]
        venv.set_state(snap)
        b = [venv.step(np.array([2, 0]))[0] for _ in range(5)]
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b))
    finally:
        venv.close()
