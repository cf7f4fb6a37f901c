"""TwinGym dataset files read by numpy and h5py: the TypeScript side writes them (scripts/persim-write-fixtures.ts) and
this suite checks keys, dtypes, shapes, episode flags and, independently of the TypeScript code, that MountainCar's
stored transitions follow the environment's formula (REFERENCE.md 1.1) when recomputed in numpy."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

from dataset_io import load_h5, load_npz

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("twingym-datasets")
    subprocess.run(
        ["node", str(ROOT / "bin" / "run-ts.mjs"), str(ROOT / "scripts" / "persim-write-fixtures.ts"), str(out)],
        check=True, cwd=ROOT, env={**os.environ},
    )
    return out, json.loads((out / "expected.json").read_text())


KEYS = ["observations", "actions", "rewards", "next_observations", "terminals", "timeouts", "agent_ids", "contexts",
        "agent_contexts", "test_agents"]




@pytest.mark.parametrize("name", ["mountaincar", "cartpole"])
@pytest.mark.parametrize("fmt", ["npz", "h5"])
def test_keys_shapes_and_values(files, name, fmt):
    out, expected = files
    exp = expected[name]
    arrays, meta = (load_npz if fmt == "npz" else load_h5)(out / f"{name}.{fmt}")
    assert set(KEYS) <= set(arrays)
    n, o = exp["n"], exp["obs_size"]
    assert meta["env_id"] == exp["env_id"] and meta["policy"] == exp["policy"]
    assert arrays["observations"].shape == (n, o) and arrays["observations"].dtype == np.float64
    assert arrays["next_observations"].shape == (n, o)
    assert arrays["actions"].shape == (n,) and arrays["actions"].dtype == np.int64
    assert arrays["rewards"].shape == (n,)
    assert arrays["agent_ids"].dtype == np.int32
    assert arrays["agent_contexts"].shape == (exp["num_agents"], len(exp["context_names"]))
    np.testing.assert_allclose(arrays["observations"].sum(), exp["observation_sum"], rtol=1e-12)
    assert int(arrays["actions"].sum()) == exp["action_sum"]
    assert int(arrays["terminals"].astype(int).sum()) == exp["terminals"]
    assert int(arrays["timeouts"].astype(int).sum()) == exp["timeouts"]
    np.testing.assert_array_equal(arrays["agent_contexts"].ravel(), np.array(exp["agent_contexts"]))
    # Each row's context is its agent's context.
    np.testing.assert_array_equal(arrays["contexts"], arrays["agent_contexts"][arrays["agent_ids"]])
    # One trajectory per agent: consecutive rows chain (next obs = following obs) except at episode ends, and every
    # agent's trajectory ends exactly once, on its last row.
    ends = arrays["terminals"].astype(bool) | arrays["timeouts"].astype(bool)
    assert ends.sum() == exp["num_agents"]
    same_agent = arrays["agent_ids"][1:] == arrays["agent_ids"][:-1]
    np.testing.assert_array_equal(same_agent, ~ends[:-1])
    chained = np.all(arrays["next_observations"][:-1] == arrays["observations"][1:], axis=1)
    assert np.all(chained[same_agent])
    assert list(arrays["test_agents"]) == [0, 1, 2, 3, 4]


def test_mountaincar_transitions_follow_the_formula(files):
    out, _ = files
    a, _ = load_npz(out / "mountaincar.npz")
    x, v = a["observations"][:, 0], a["observations"][:, 1]
    g = a["contexts"][:, 0]
    v2 = np.clip(v + (a["actions"] - 1) * 0.001 - g * np.cos(3 * x), -0.07, 0.07)
    x2 = np.clip(x + v2, -1.2, 0.6)
    v2 = np.where((x2 == -1.2) & (v2 < 0), 0.0, v2)
    np.testing.assert_allclose(a["next_observations"], np.stack([x2, v2], axis=1), rtol=0, atol=1e-15)
    # MountainCar's reward is -1 per step and 0 on the terminating step.
    np.testing.assert_array_equal(a["rewards"], np.where(a["terminals"], 0.0, -1.0))


def test_float32_export_matches_float64_rounded(files):
    out, _ = files
    a, _ = load_npz(out / "mountaincar.npz")
    b, _ = load_npz(out / "mountaincar-f32.npz")
    assert b["observations"].dtype == np.float32
    np.testing.assert_array_equal(b["observations"], a["observations"].astype(np.float32))


def test_hdf5_and_npz_hold_the_same_data(files):
    out, _ = files
    for name in ["mountaincar", "cartpole"]:
        a, ma = load_npz(out / f"{name}.npz")
        b, mb = load_h5(out / f"{name}.h5")
        assert ma == mb
        for k in KEYS:
            np.testing.assert_array_equal(a[k].astype(np.float64), b[k].astype(np.float64))
