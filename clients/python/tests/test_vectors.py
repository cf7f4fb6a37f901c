"""The shared protocol vectors: this client decodes every frame to its documented meaning and encodes that meaning back
to the very same bytes; replies become the Python values the docs promise."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from twingym import errors
from twingym.connection import is_event
from twingym.env import TwinGymVectorEnv, _dynamics_field
from twingym.jobs import JobCancelledError, JobInfo, JobProgress, ModelInfo
from twingym.spaces import space_from_spec
from twingym.wire import decode_frame, decode_tensor, encode_frame, from_json_value, values_equal


def test_vectors_cover_every_kind(vectors):
    kinds = {v["kind"] for v in vectors}
    assert kinds == {"request", "reply", "error_reply", "event"}
    assert len(vectors) >= 50


def test_decode_matches_meaning(vectors):
    for v in vectors:
        decoded = decode_frame(bytes.fromhex(v["hex"]))
        assert values_equal(decoded, from_json_value(v["value"])), v["name"]


def test_encode_round_trips_and_is_byte_identical(vectors):
    for v in vectors:
        meaning = from_json_value(v["value"])
        encoded = encode_frame(meaning)
        assert values_equal(decode_frame(encoded), meaning), v["name"]
        assert encoded.hex() == v["hex"], f"{v['name']}: this client's bytes differ from the shared vector"


def _by_name(vectors, name):
    return next(v for v in vectors if v["name"] == name)


def test_reset_reply_observation_is_float32(vectors):
    msg = decode_frame(bytes.fromhex(_by_name(vectors, "reset_reply")["hex"]))
    obs = decode_tensor(msg["obs"])
    expected = struct.unpack("<2f", bytes.fromhex("efc903bf00000000"))
    assert obs.dtype == np.float32 and obs.shape == (2,)
    assert obs.tolist() == list(expected)
    assert msg["info"] == {"episode_step": 0}


def test_nonfinite_values_survive(vectors):
    msg = decode_frame(bytes.fromhex(_by_name(vectors, "step_reply_learned_nonfinite")["hex"]))
    obs = decode_tensor(msg["obs"])
    assert math.isnan(obs[0]) and obs[1] == math.inf and obs[2] == -math.inf
    assert decode_tensor(msg["reward"]).tolist() == [-math.inf]


def test_every_error_vector_maps_to_its_exception_class(vectors):
    seen = set()
    for v in vectors:
        if v["kind"] != "error_reply":
            continue
        msg = decode_frame(bytes.fromhex(v["hex"]))
        exc = errors.error_from_reply(msg["error"], v["op"])
        assert exc.code == msg["error"]["code"]
        assert exc.message == msg["error"]["message"]
        assert type(exc) is errors.ERROR_CLASSES[exc.code], v["name"]
        assert exc.code in str(exc) and exc.message in str(exc)
        seen.add(exc.code)
    assert {"bad_dtype", "bad_shape", "out_of_bounds", "unknown_env", "frame_too_large"} <= seen


def test_spaces_of_every_listed_spec_build(vectors):
    for name in ("list_envs_reply", "list_envs_reply_structured_spaces"):
        msg = decode_frame(bytes.fromhex(_by_name(vectors, name)["hex"]))
        for env in msg["envs"]:
            obs_space = space_from_spec(env["observation_space"])
            act_space = space_from_spec(env["action_space"])
            obs_space.seed(0)
            assert obs_space.sample() in obs_space
            act_space.seed(0)
            assert act_space.sample() in act_space


def test_mountain_car_spec_bounds_are_exact_float32(vectors):
    msg = decode_frame(bytes.fromhex(_by_name(vectors, "list_envs_reply")["hex"]))
    mc = next(e for e in msg["envs"] if e["id"] == "MountainCar-v0")
    box = space_from_spec(mc["observation_space"])
    assert box.dtype == np.float32
    assert box.low.tolist() == [np.float32(-1.2), np.float32(-0.07)]
    assert box.high.tolist() == [np.float32(0.6), np.float32(0.07)]
    assert space_from_spec(mc["action_space"]).n == 3


class _FakeVector(TwinGymVectorEnv):
    """Just enough of a vector env to run the info conversion on a recorded reply."""

    def __init__(self, n):
        self.num_envs = n


def test_same_step_reply_becomes_gymnasium_vector_info(vectors):
    msg = decode_frame(bytes.fromhex(_by_name(vectors, "step_reply_vector_same_step")["hex"]))
    info = _FakeVector(4)._vector_info(msg["info"])
    mask = decode_tensor(msg["info"]["final_mask"])
    final = decode_tensor(msg["info"]["final_obs"])
    assert info["_final_obs"].tolist() == mask.tolist() == [False, True, True, False]
    assert info["final_obs"][0] is None and info["final_obs"][3] is None
    assert info["final_obs"][1].tolist() == final[1].tolist()
    assert info["final_obs"][2].dtype == np.float32
    assert info["episode_step"].tolist() == decode_tensor(msg["info"]["episode_step"]).tolist()
    assert info["_episode_step"].all()


@pytest.mark.parametrize("name", ["step_request_vector_i64", "step_request_box_f32", "step_request_u8"])
def test_request_tensors_decode_to_their_dtype(vectors, name):
    msg = decode_frame(bytes.fromhex(_by_name(vectors, name)["hex"]))
    arr = decode_tensor(msg["action"])
    assert arr.dtype.name == {"i64": "int64", "f32": "float32", "u8": "uint8"}[msg["action"]["dtype"]]
    assert list(arr.shape) == msg["action"]["shape"]


def test_list_models_reply_becomes_model_infos(vectors):
    msg = decode_frame(bytes.fromhex(_by_name(vectors, "list_models_reply")["hex"]))
    (info,) = [ModelInfo.from_wire(m) for m in msg["models"]]
    assert info.id == "persim-mountaincar-random" and info.kind == "persim" and info.env_id == "MountainCar-v0"
    assert info.members == 5 and info.agents == 500 and info.test_agents == [0, 1, 2, 3, 4]
    assert info.context_names == ["gravity"] and info.env_options == {}
    assert info.metadata["dataset"] == {"policy": "random", "transitions": 250000}
    assert info.raw == msg["models"][0]


def test_job_vectors_become_job_infos(vectors):
    queued = JobInfo.from_wire(decode_frame(bytes.fromhex(_by_name(vectors, "start_job_reply")["hex"]))["job"])
    assert (queued.id, queued.kind, queued.state, queued.done) == ("job-7f3a", "train_persim", "queued", False)
    assert queued.started is None and queued.result is None and queued.error is None
    assert queued.progress == JobProgress(0.0, 0.0, "epochs") and queued.progress.fraction == 0.0
    running = JobInfo.from_wire(decode_frame(bytes.fromhex(_by_name(vectors, "job_status_reply")["hex"]))["job"])
    assert running.state == "running" and running.progress.done == 2 and running.progress.total == 3
    assert running.progress.fraction == pytest.approx(2 / 3) and running.progress.metrics == {"loss": 4.1e-05}
    assert running.raise_if_failed() is running
    cancelled = JobInfo.from_wire(decode_frame(bytes.fromhex(_by_name(vectors, "cancel_job_reply")["hex"]))["job"])
    assert cancelled.done
    with pytest.raises(JobCancelledError):
        cancelled.raise_if_failed()
    listed = decode_frame(bytes.fromhex(_by_name(vectors, "list_jobs_reply")["hex"]))["jobs"]
    assert [JobInfo.from_wire(j).state for j in listed][0] == "succeeded"


def test_failed_job_raises_its_error_code():
    job = JobInfo.from_wire({"id": "j", "kind": "collect", "state": "failed", "params": {},
                             "progress": {"done": 1, "total": 4, "unit": "steps"}, "created": "t",
                             "error": {"code": "unknown_env", "message": "no env", "details": {"env_id": "X"}}})
    with pytest.raises(errors.UnknownEnvError) as e:
        job.raise_if_failed()
    assert e.value.details == {"env_id": "X"}


def test_event_vectors_are_events_and_replies_are_not(vectors):
    for v in vectors:
        msg = decode_frame(bytes.fromhex(v["hex"]))
        assert is_event(msg) == (v["kind"] == "event"), v["name"]
    finished = decode_frame(bytes.fromhex(_by_name(vectors, "job_finished_event")["hex"]))
    job = JobInfo.from_wire(finished["job"])
    assert job.state == "succeeded" and job.result == {"model": "mc-tiny", "metrics": {"final_train_loss": 3.2e-05}}


def test_trajectory_dynamics_encode_like_the_vector(vectors):
    want = decode_frame(bytes.fromhex(_by_name(vectors, "make_request_learned_trajectory")["hex"]))["dynamics"]
    traj = {k: decode_tensor(t) for k, t in want["trajectory"].items()}
    got = _dynamics_field({"model": want["model"], "mode": "sample",
                           "trajectory": {k: (a.tolist() if k == "actions" else a) for k, a in traj.items()}}, None)
    assert got["model"] == want["model"] and got["mode"] == "sample"
    assert got["trajectory"]["actions"] == want["trajectory"]["actions"]  # integer actions travel as i64
    for key in ("observations", "next_observations"):
        t = got["trajectory"][key]
        assert t["dtype"] == "f64" and t["shape"] == [3, 2]
        assert decode_tensor(t).tolist() == traj[key].astype(np.float64).tolist()
    with pytest.raises(ValueError):
        _dynamics_field({"model": "m", "trajectory": {"observations": [[0.0, 0.0]]}}, None)
    assert _dynamics_field("m", 3) == {"model": "m", "agent": 3}
    assert _dynamics_field({"model": "m"}, 2) == {"model": "m", "agent": 2}
