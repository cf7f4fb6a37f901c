"""Exceptions carrying the server's stable error codes.

Every failed reply becomes a :class:`TwinGymError` whose class is chosen by the code, so callers can catch one code
(``except twingym.OutOfBoundsError``), a Python category (``except ValueError``), or every server error at once.
``err.code``, ``err.message`` and ``err.details`` always hold what the server sent.
"""

from __future__ import annotations

from typing import Any, Mapping


class TwinGymError(Exception):
    """An error reply from the server: ``code`` (a stable protocol code), ``message`` and ``details``."""

    #: The code this class stands for (None on the base class).
    default_code: str | None = None

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None, request_op: str | None = None):
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.request_op = request_op
        where = f" ({request_op})" if request_op else ""
        super().__init__(f"[{code}]{where} {message}")

    def __reduce__(self):  # keeps the exception picklable (Ray, multiprocessing)
        return (_rebuild_error, (self.code, self.message, self.details, self.request_op))


def _rebuild_error(code: str, message: str, details: dict, request_op: str | None) -> TwinGymError:
    return error_from_reply({"code": code, "message": message, "details": details}, request_op)


class TwinGymConnectionError(ConnectionError):
    """The WebSocket could not be opened, or it closed; ``close_code`` and ``close_reason`` say why when known."""

    def __init__(self, message: str, close_code: int | None = None, close_reason: str = ""):
        self.close_code = close_code
        self.close_reason = close_reason
        super().__init__(message)


class ProtocolViolation(Exception):
    """The server sent something protocol v1 does not allow (an unreadable frame, a reply out of order)."""


# code -> (class name, extra builtin base, docstring)
_CODES: dict[str, tuple[str, type, str]] = {
    "invalid_request": ("InvalidRequestError", ValueError, "The frame was not a request map with an id and an op."),
    "invalid_argument": ("InvalidArgumentError", ValueError, "A field has the wrong type or value (details.path)."),
    "unknown_op": ("UnknownOpError", NotImplementedError, "The server does not implement this op."),
    "unknown_field": ("UnknownFieldError", ValueError, "The request carried a field the op does not define."),
    "unsupported_version": ("UnsupportedVersionError", RuntimeError, "The server speaks another protocol major."),
    "unauthorized": ("UnauthorizedError", PermissionError, "The server needs a token this connection did not present."),
    "unknown_env": ("UnknownEnvError", LookupError, "No environment is registered under that id."),
    "unknown_env_option": ("UnknownEnvOptionError", ValueError, "An env option is not defined or not one of its choices."),
    "unknown_session": ("UnknownSessionError", LookupError, "The session handle is not open on this connection."),
    "unknown_dynamics": ("UnknownDynamicsError", LookupError, "The requested dynamics (model id) does not exist."),
    "unknown_job": ("UnknownJobError", LookupError, "No job with that id is known to the server (or it was forgotten)."),
    "unknown_dataset": ("UnknownDatasetError", LookupError, "No dataset with that id is stored on the server."),
    "unknown_context_key": ("UnknownContextKeyError", LookupError, "A context names a parameter the env does not have."),
    "context_out_of_range": ("ContextOutOfRangeError", ValueError, "A context value is outside its declared range."),
    "bad_dtype": ("BadDtypeError", TypeError, "A tensor's dtype cannot represent the space's values."),
    "bad_shape": ("BadShapeError", ValueError, "A tensor or array has the wrong shape."),
    "bad_tensor": ("BadTensorError", ValueError, "A tensor map is malformed."),
    "out_of_bounds": ("OutOfBoundsError", ValueError, "An action or state lies outside its space."),
    "not_reset": ("NotResetError", RuntimeError, "The session must be reset first."),
    "needs_reset": ("NeedsResetError", RuntimeError, "The episode has ended and must be reset."),
    "bad_state": ("BadStateError", ValueError, "set_state was given bytes that are not a snapshot of this session."),
    "unsupported": ("UnsupportedError", NotImplementedError, "The op or mode is not available for this env or dynamics."),
    "too_many_sessions": ("TooManySessionsError", RuntimeError, "The connection holds its maximum number of sessions."),
    "too_many_envs": ("TooManyEnvsError", ValueError, "num_envs exceeds the server's limit."),
    "frame_too_large": ("FrameTooLargeError", ValueError, "The request frame exceeded max_frame_bytes."),
    "batch_too_large": ("BatchTooLargeError", ValueError, "A rollout or plan asks for too much work in one request."),
    "busy": ("BusyError", RuntimeError, "The server is at capacity; retry later."),
    "internal": ("InternalError", RuntimeError, "The server hit a bug; the session is unchanged."),
}

#: code -> exception class. Codes a newer server invents map to TwinGymError itself.
ERROR_CLASSES: dict[str, type[TwinGymError]] = {}

for _code, (_name, _base, _doc) in _CODES.items():
    _cls = type(_name, (TwinGymError, _base), {"__doc__": f"Server error code ``{_code}``: {_doc}", "default_code": _code,
                                               "__module__": __name__})
    ERROR_CLASSES[_code] = _cls
    globals()[_name] = _cls

#: Every documented code, in the order of protocol/ts/errors.ts.
ERROR_CODES = tuple(_CODES)


def error_from_reply(error: Mapping[str, Any], request_op: str | None = None) -> TwinGymError:
    """Builds the exception for the ``error`` member of a failed reply."""
    code = str(error.get("code", "internal"))
    cls = ERROR_CLASSES.get(code, TwinGymError)
    details = error.get("details") or {}
    return cls(code, str(error.get("message", "")), details if isinstance(details, dict) else {"value": details}, request_op)


__all__ = ["TwinGymError", "TwinGymConnectionError", "ProtocolViolation", "ERROR_CLASSES", "ERROR_CODES",
           "error_from_reply"] + [name for name, _, _ in _CODES.values()]
