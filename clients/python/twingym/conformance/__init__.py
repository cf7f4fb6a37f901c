"""Black-box conformance suite for TwinGym protocol v1 servers.

Run it against any server: ``python -m twingym.conformance ws://host:port [--json report.json]``. Every check has a
stable id (``errors.bad_dtype``, ``seeding.check_env_sequence``, ...) and ends as ``pass``, ``fail`` or ``unsupported``
(the server declares the feature absent in a way the protocol allows). Exit code: 0 when every check passed, 1 when any
failed, 2 when none failed but some feature is unsupported (or the server does not speak protocol major 1).
"""

from .runner import CHECKS, CheckResult, Report, run_suite
from . import checks as _checks  # noqa: F401,E402  (registers every check)

__all__ = ["CHECKS", "CheckResult", "Report", "run_suite"]
