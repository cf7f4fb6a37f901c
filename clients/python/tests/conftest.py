"""Shared fixtures: the repository paths, the shared test vectors, and a real TwinGym server on a free port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "protocol" / "vectors" / "v1.json"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def vectors() -> list[dict]:
    """The shared protocol test vectors."""
    return json.loads(VECTORS.read_text())["vectors"]


_SERVER: dict = {}


_DATA_DIRS: dict[int, str] = {}


def start_server(extra_args: list[str], log_name: str) -> tuple[subprocess.Popen, int]:
    """Starts `node bin/twingym.mjs serve` on a free port with `extra_args` and waits for /readyz. The server runs in
    a temporary directory (its --data too) that stop_server removes: the datasets its jobs write never land in the
    repository. It serves the repository's shipped models."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="twingym-pytest-")
    log = open(REPO / "clients" / "python" / log_name, "wb")
    proc = subprocess.Popen(["node", str(REPO / "bin" / "twingym.mjs"), "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warn", "--data", str(Path(workdir) / "data"), *extra_args],
                            cwd=workdir, stdout=log,
                            stderr=subprocess.STDOUT)
    _DATA_DIRS[proc.pid] = workdir
    log.close()
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            stop_server(proc)
            raise RuntimeError(f"the server exited with {proc.returncode}; see clients/python/{log_name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, port
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError("the server did not become ready within 90 s")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    """Stops a server started by start_server."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    workdir = _DATA_DIRS.pop(proc.pid, None)
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)


def live_url() -> str:
    """ws:// URL of a live server: $TWINGYM_URL when set, else `node bin/twingym.mjs serve` started once per run on
    a free port (stopped when pytest ends)."""
    given = os.environ.get("TWINGYM_URL")
    if given:
        return given
    if "url" in _SERVER:
        return _SERVER["url"]
    proc, port = start_server([], ".server-test.log")
    _SERVER["proc"] = proc
    _SERVER["url"] = f"ws://127.0.0.1:{port}"
    return _SERVER["url"]


def pytest_unconfigure(config):
    """Stops the server this run started."""
    if _SERVER.get("proc") is not None:
        stop_server(_SERVER["proc"])


TOKEN = "conformance-test-token"


@pytest.fixture(scope="session")
def token_server_url():
    """A second server that requires a token and has small limits (3 sessions per connection, 64 KiB frames)."""
    proc, port = start_server(["--token", TOKEN, "--max-sessions", "3", "--max-frame-bytes", "65536",
                               "--max-envs", "8"], ".server-token-test.log")
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def server_url() -> str:
    """The live server's ws:// URL."""
    return live_url()


_IDS: list = []
_DYNAMICS: list = []


def listed_env_ids() -> list[str]:
    """The ids the live server lists (cached for the run)."""
    if not _IDS:
        import twingym

        with twingym.Client(live_url()) as client:
            _IDS.extend(e["id"] for e in client.list_envs())
    return list(_IDS)


@pytest.fixture(scope="session")
def env_specs(server_url) -> list[dict]:
    """Every environment the live server lists, with its spec."""
    import twingym

    with twingym.Client(server_url) as client:
        return client.list_envs()


def listed_dynamics() -> list[tuple[str, str]]:
    """(env id, dynamics) for every dynamics every listed environment can be made with ("true" and learned models)."""
    if not _DYNAMICS:
        import twingym

        with twingym.Client(live_url()) as client:
            _DYNAMICS.extend((e["id"], d) for e in client.list_envs() for d in e["dynamics"])
    return list(_DYNAMICS)


def make_env(url: str, env_id: str, dynamics: str = "true", **kwargs):
    """twingym.make with a listed dynamics: learned models that need an agent get agent 0."""
    import twingym

    if dynamics == "true":
        return twingym.make(url, env_id, **kwargs)
    try:
        return twingym.make(url, env_id, dynamics=dynamics, **kwargs)
    except (twingym.InvalidArgumentError, twingym.UnknownDynamicsError):
        return twingym.make(url, env_id, dynamics=dynamics, agent=0, **kwargs)


def pytest_generate_tests(metafunc):
    """Parametrises `env_id` over every environment the live server lists, and `env_dynamics` over every
    (environment, dynamics) pair, real and model-backed."""
    if "env_id" in metafunc.fixturenames:
        metafunc.parametrize("env_id", listed_env_ids())
    if "env_dynamics" in metafunc.fixturenames:
        pairs = listed_dynamics()
        metafunc.parametrize("env_dynamics", pairs, ids=[f"{e}:{d}" for e, d in pairs])
