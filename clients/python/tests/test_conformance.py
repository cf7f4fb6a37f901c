"""The conformance suite against the project's own server: every check must pass, and the CLI's exit code and JSON
report must say so."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from twingym.conformance import CHECKS, run_suite


def test_check_ids_are_stable_and_unique():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) >= 40
    for required in ("handshake.bad_major", "errors.bad_dtype", "errors.frame_too_large", "pipeline.order",
                     "isolation.sessions", "cleanup.disconnect", "seeding.check_env_sequence",
                     "context.changes_dynamics", "autoreset.same_step", "time_limit.override", "snapshot.replay",
                     "handshake.v1_2", "models.list", "models.make", "models.set_context_unsupported", "models.replay",
                     "models.unknown_model", "jobs.lifecycle", "jobs.cancel", "jobs.unsubscribed", "jobs.unknown_job",
                     "jobs.invalid", "events.format"):
        assert required in ids


def test_project_server_passes_every_check(server_url):
    report = run_suite(server_url)
    failed = [f"{r.id}: {r.message}" for r in report.results if r.status != "pass"]
    assert failed == []
    assert report.exit_code() == 0


def test_cli_writes_a_json_report(server_url, tmp_path):
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "twingym.conformance", server_url, "--only", "handshake.",
                           "--only", "ops.close", "--json", str(out)], capture_output=True, text=True, timeout=120)
    report = json.loads(out.read_text())
    assert proc.returncode == report["exit_code"] == 0, proc.stdout + proc.stderr
    assert {c["id"] for c in report["checks"]} == {"handshake.hello", "handshake.capabilities",
                                                    "handshake.newer_minor", "handshake.bad_major",
                                                    "handshake.optional", "handshake.v1_2", "ops.close"}
    assert report["summary"] == {"pass": 7, "fail": 0, "unsupported": 0}
    assert "conformance: 7 passed, 0 failed" in proc.stdout


def test_token_and_small_limits_server_passes_every_check(token_server_url):
    from conftest import TOKEN

    report = run_suite(token_server_url, token=TOKEN)
    failed = [f"{r.id}: {r.message}" for r in report.results if r.status == "fail"]
    assert failed == []
    # With 64 KiB frames, no rollout over max_rollout_steps fits in a frame: the one check that cannot run.
    assert [r.id for r in report.results if r.status == "unsupported"] == ["errors.batch_too_large"]
    assert report.exit_code() == 2
    assert report.server["limits"]["max_sessions_per_connection"] == 3
    assert report.server["limits"]["max_frame_bytes"] == 65536


def test_a_token_server_refuses_clients_without_the_token(token_server_url):
    import twingym
    from conftest import TOKEN

    with pytest.raises(twingym.TwinGymConnectionError) as e:
        twingym.make(token_server_url, "MountainCar-v0")
    assert "401" in str(e.value)
    env = twingym.make(token_server_url, "MountainCar-v0", token=TOKEN)
    env.close()
    env = twingym.make(f"{token_server_url}/v1/ws?token={TOKEN}", "MountainCar-v0")
    env.close()
    report = run_suite(token_server_url)
    assert report.exit_code() == 1 and report.results[0].id == "handshake.hello"
