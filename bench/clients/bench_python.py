"""Measures the Python client (twingym.make, the gymnasium API) against a running server; prints one JSON line.

python bench/clients/bench_python.py ws://127.0.0.1:8765 seq|batch [seconds] [num_envs]
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

import twingym


def measure(url: str, mode: str, seconds: float, num_envs: int, warmup: float = 0.3) -> dict:
    """Steps as fast as one client can for ``seconds`` after a warm-up; returns the rates."""
    n = num_envs if mode == "batch" else 1
    env = twingym.make(url, "MountainCar-v0", num_envs=n, max_episode_steps=1_000_000_000)
    try:
        env.reset(seed=0)
        # MountainCar's "no push" action never reaches the goal, so no episode ends during the measurement.
        action = np.ones(n, dtype=np.int64) if mode == "batch" else 1
        step = env.step

        def loop(duration: float) -> tuple[int, float]:
            start = time.perf_counter()
            end = start + duration
            steps = 0
            while True:
                for _ in range(50):
                    step(action)
                steps += 50
                now = time.perf_counter()
                if now >= end:
                    return steps, now - start

        loop(warmup)
        steps, took = loop(seconds)
    finally:
        env.close()
    return {"client": "python", "mode": mode, "steps": steps, "seconds": took, "calls_per_s": steps / took,
            "env_steps_per_s": steps * n / took}


if __name__ == "__main__":
    args = sys.argv[1:]
    result = measure(args[0], args[1], float(args[2]) if len(args) > 2 else 2.0, int(args[3]) if len(args) > 3 else 256)
    print(json.dumps(result))
