"""Space specs from the wire as gymnasium spaces, and gymnasium values as wire input."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from gymnasium import spaces

from .wire import DTYPES, decode_tensor, encode_tensor


def space_from_spec(spec: Mapping[str, Any]) -> spaces.Space:
    """Builds the gymnasium space a protocol SpaceSpec describes (Box, Discrete, MultiDiscrete, MultiBinary, Dict,
    Tuple). Bounds keep their exact values and dtype, infinities included."""
    kind = spec["type"]
    if kind == "box":
        dtype = DTYPES[spec["dtype"]]
        low = decode_tensor(spec["low"]).astype(dtype)
        high = decode_tensor(spec["high"]).astype(dtype)
        return spaces.Box(low=low, high=high, shape=tuple(spec["shape"]), dtype=dtype.newbyteorder("="))
    if kind == "discrete":
        return spaces.Discrete(int(spec["n"]), start=int(spec.get("start", 0)))
    if kind == "multi_discrete":
        nvec = decode_tensor(spec["nvec"]).astype(np.int64).reshape(spec["shape"])
        start = decode_tensor(spec["start"]).astype(np.int64).reshape(spec["shape"])
        return spaces.MultiDiscrete(nvec, dtype=np.int64, start=start)
    if kind == "multi_binary":
        shape = spec["shape"]
        return spaces.MultiBinary(shape[0] if len(shape) == 1 else list(shape))
    if kind == "dict":
        return spaces.Dict({k: space_from_spec(s) for k, s in zip(spec["keys"], spec["spaces"])})
    if kind == "tuple":
        return spaces.Tuple(tuple(space_from_spec(s) for s in spec["spaces"]))
    raise ValueError(f"unknown space type {kind!r}")


def wire_dtype_of(space: spaces.Space) -> str:
    """The wire dtype of a flat space's values."""
    if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete)):
        return "i64"
    if isinstance(space, spaces.MultiBinary):
        return "u8"
    if isinstance(space, spaces.Box):
        return {np.dtype("float32"): "f32", np.dtype("float64"): "f64", np.dtype("int32"): "i32",
                np.dtype("int64"): "i64", np.dtype("uint8"): "u8"}[np.dtype(space.dtype)]
    raise TypeError(f"{type(space).__name__} actions cannot be sent: sessions step flat spaces only")


def encode_value(space: spaces.Space, value: Any) -> Any:
    """Encodes an action (or a batch of them) for the wire: a Discrete value as a plain integer, anything else as a
    tensor of the space's dtype. Values are not range-checked here: the server answers out_of_bounds."""
    if type(value) is int and isinstance(space, spaces.Discrete):
        return value
    if isinstance(space, spaces.Discrete) and np.ndim(value) == 0:
        v = value.item() if isinstance(value, (np.generic, np.ndarray)) else value
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                return int(v)
            return encode_tensor(np.asarray(value))  # let the server name the wrong dtype
        return v
    arr = np.asarray(value)
    target = wire_dtype_of(space)
    if target == "i64" or target == "u8":
        if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
            # A float array for an integer space: send it as is so the server answers bad_dtype instead of
            # silently truncating 1.7 to 1.
            return encode_tensor(arr.astype(np.float64))
        if target == "i64" and arr.size and _I32_MIN <= arr.min() and arr.max() <= _I32_MAX:
            # Same values, half the bytes, and a JavaScript server reads i32 without BigInt conversions.
            return encode_tensor(arr, "i32")
    return encode_tensor(arr, target)


_I32_MIN, _I32_MAX = -(2 ** 31), 2 ** 31 - 1


def decode_obs(space: spaces.Space, tensor: Mapping[str, Any]) -> Any:
    """Decodes an observation tensor into the value type gymnasium uses for ``space``."""
    arr = decode_tensor(tensor)
    if isinstance(space, spaces.Discrete) and arr.ndim == 0:
        return np.int64(arr)
    if isinstance(space, spaces.Box) and arr.dtype != space.dtype:
        arr = arr.astype(space.dtype)
    return arr
