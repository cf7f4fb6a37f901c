"""An augmented MOCODA dataset read by numpy and h5py: the TypeScript side writes 1,000 real L-shaped Navigation2D rows
plus 4,000 CoDA rows relabelled for the diagonal task (tests/python/mocoda-write-files.ts); this suite checks keys,
shapes and dtypes, that both files hold the same numbers, and, independently of the TypeScript code, that every row
follows Navigation2D's dynamics (REFERENCE.md 1.3) and the diagonal task's reward, and that CoDA's rows lie outside
the entangled quadrant where its swaps are valid."""
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
    out = tmp_path_factory.mktemp("twingym-mocoda")
    subprocess.run(
        ["node", str(ROOT / "bin" / "run-ts.mjs"), str(ROOT / "tests" / "python" / "mocoda-write-files.ts"), str(out)],
        check=True, cwd=ROOT, env={**os.environ},
    )
    return out, json.loads((out / "expected.json").read_text())




def test_keys_shapes_and_both_formats_agree(files):
    out, exp = files
    npz, meta = load_npz(out / "nav-coda.npz")
    h5, meta_h5 = load_h5(out / "nav-coda.h5")
    n = exp["n"]
    assert n == exp["real_rows"] + exp["generated_rows"] == 5000
    assert meta["policy"] == "CoDA" == meta_h5["policy"]
    assert meta["env_id"] == "Navigation2D-v0"
    for arrays in (npz, h5):
        assert arrays["observations"].shape == (n, 2) and arrays["observations"].dtype == np.float64
        assert arrays["next_observations"].shape == (n, 2)
        assert arrays["actions"].shape == (n, 2) and arrays["actions"].dtype == np.float64
        assert arrays["rewards"].shape == (n,)
        assert arrays["terminals"].shape == (n,) and arrays["timeouts"].shape == (n,)
        assert set(np.unique(arrays["agent_ids"])) == {0}
    for key in ("observations", "actions", "rewards", "next_observations"):
        np.testing.assert_array_equal(npz[key], h5[key])
    np.testing.assert_array_equal(npz["terminals"].astype(np.uint8), h5["terminals"])
    assert npz["rewards"].sum() == pytest.approx(exp["reward_sum"])


def test_rows_follow_the_dynamics_and_the_diagonal_reward(files):
    out, exp = files
    a, _ = load_npz(out / "nav-coda.npz")
    s, act, nxt = a["observations"], a["actions"], a["next_observations"]
    x, y, ax, ay = s[:, 0], s[:, 1], act[:, 0], act[:, 1]
    ent = (x > 0.5) & (y > 0.5)
    want_x = np.where(ent, x + 0.05 * ax - 0.02 * ay, x + 0.05 * ax)
    want_y = np.where(ent, y + 0.05 * ay - 0.02 * ax, y + 0.05 * ay)
    np.testing.assert_allclose(nxt[:, 0], want_x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(nxt[:, 1], want_y, rtol=0, atol=1e-12)
    gen = slice(exp["real_rows"], None)
    assert not ent[gen].any(), "CoDA swapped parts inside the entangled quadrant"
    goal = (nxt[:, 0] > 0.8) & (nxt[:, 0] < 0.9) & (nxt[:, 1] > 0.8) & (nxt[:, 1] < 0.9)
    np.testing.assert_array_equal(a["terminals"], goal)
    np.testing.assert_array_equal(a["rewards"], np.where(goal, 0.0, -1.0))
    # Swapped rows join a bottom-to-top drive with a left-to-right one: diagonal actions the real data never has.
    both = (act[:, 0] > 0.3) & (act[:, 1] > 0.3)
    assert not both[: exp["real_rows"]].any() and both[gen].sum() > 400
