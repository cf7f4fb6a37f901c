"""TwinGym's Python client: remote environments and learned simulators as gymnasium environments.

>>> import twingym
>>> env = twingym.make("ws://127.0.0.1:8765", "MountainCar-v0", context={"gravity": 0.001})
>>> obs, info = env.reset(seed=0)

Learned simulators and jobs (protocol 1.2) go through a :class:`Client`: ``list_models``, ``make(..., dynamics={"model":
id, "agent": n})``, ``start_job``/``wait_job``/``cancel_job`` and ``compare``.
"""

from .connection import Connection, normalize_url
from .env import Client, Session, TwinGymEnv, TwinGymVectorEnv, make
from .errors import *  # noqa: F401,F403  (one exception class per server error code)
from .errors import ERROR_CLASSES, ERROR_CODES, ProtocolViolation, TwinGymConnectionError, TwinGymError
from .jobs import JobCancelledError, JobInfo, JobProgress, JobTimeoutError, ModelInfo
from .wire import PROTOCOL_VERSION, decode_frame, decode_tensor, encode_frame, encode_tensor

__version__ = "0.1.0"

__all__ = ["make", "Client", "Connection", "Session", "TwinGymEnv", "TwinGymVectorEnv", "TwinGymError",
           "ModelInfo", "JobInfo", "JobProgress", "JobTimeoutError", "JobCancelledError",
           "TwinGymConnectionError", "ProtocolViolation", "ERROR_CLASSES", "ERROR_CODES", "PROTOCOL_VERSION",
           "encode_frame", "decode_frame", "encode_tensor", "decode_tensor", "normalize_url", "__version__"]
