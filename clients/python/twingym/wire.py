"""Protocol v1 encoding: msgpack frames and tensors.

A frame is one plain msgpack map (no extension types). Arrays travel as tensors ``{dtype, shape, data}`` where ``data``
is msgpack bin holding the little-endian elements in row-major order. This module is the only place that knows those
byte layouts; everything else works with numpy arrays.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import msgpack
import numpy as np

#: Protocol version this client speaks. Majors must match the server's.
PROTOCOL_VERSION = "1.2.0"

#: Wire dtype name -> numpy dtype (always little-endian).
DTYPES: dict[str, np.dtype] = {
    "f32": np.dtype("<f4"),
    "f64": np.dtype("<f8"),
    "i32": np.dtype("<i4"),
    "i64": np.dtype("<i8"),
    "u8": np.dtype("u1"),
    "bool": np.dtype("?"),
}

_NUMPY_TO_WIRE: dict[np.dtype, str] = {
    np.dtype("float32"): "f32",
    np.dtype("float64"): "f64",
    np.dtype("int32"): "i32",
    np.dtype("int64"): "i64",
    np.dtype("uint8"): "u8",
    np.dtype("bool"): "bool",
}


def wire_dtype(dtype: Any) -> str:
    """Returns the wire name of a numpy dtype, or raises ValueError for dtypes the protocol has no name for."""
    dt = np.dtype(dtype)
    name = _NUMPY_TO_WIRE.get(dt.newbyteorder("="))
    if name is None:
        raise ValueError(f"dtype {dt} has no protocol v1 name; use one of float32, float64, int32, int64, uint8, bool")
    return name


def encode_tensor(array: Any, dtype: str | None = None) -> dict[str, Any]:
    """Wraps an array as a wire tensor. ``dtype`` (a wire name) converts first; otherwise the array's dtype is kept."""
    if dtype is not None:
        arr = np.asarray(array, dtype=DTYPES[dtype])
        name = dtype
    else:
        arr = np.asarray(array)
        name = wire_dtype(arr.dtype)
        arr = arr.astype(DTYPES[name], copy=False)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return {"dtype": name, "shape": list(arr.shape), "data": arr.tobytes()}


def is_tensor(value: Any) -> bool:
    """True when ``value`` looks like a wire tensor map."""
    return isinstance(value, dict) and "dtype" in value and "shape" in value and "data" in value


def decode_tensor(tensor: Mapping[str, Any]) -> np.ndarray:
    """Turns a wire tensor into a fresh, writable numpy array of its dtype and shape.

    Raises ValueError when the map is malformed (unknown dtype, bad shape, byte count disagreeing with the shape).
    """
    name = tensor.get("dtype")
    dt = _NATIVE.get(name)
    if dt is None:
        raise ValueError(f"unknown tensor dtype {name!r}")
    shape = tensor.get("shape")
    if not isinstance(shape, (list, tuple)) or not all(type(d) is int and d >= 0 for d in shape):
        raise ValueError(f"tensor shape must be a list of non-negative integers, got {shape!r}")
    data = tensor.get("data")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError("tensor data must be bytes")
    count = math.prod(shape)
    if len(data) != count * dt.itemsize:
        raise ValueError(f"tensor data has {len(data)} bytes; shape {list(shape)} of {name} needs {count * dt.itemsize}")
    if name == "bool":
        arr = np.frombuffer(data, dtype=np.uint8) != 0
    else:
        arr = np.frombuffer(data, dtype=DTYPES[name])
        arr = arr.astype(dt) if arr.dtype != dt else arr.copy()
    return arr.reshape(shape)


# Native-byte-order versions of DTYPES (equal to them on little-endian hosts).
_NATIVE = {name: dt.newbyteorder("=") for name, dt in DTYPES.items()}


def to_array(value: Any) -> np.ndarray:
    """A tensor, number or nested list as a numpy array (tensors keep their dtype)."""
    if is_tensor(value):
        return decode_tensor(value)
    return np.asarray(value)


def encode_frame(message: Mapping[str, Any]) -> bytes:
    """Encodes one frame: plain msgpack, str as str, bytes as bin, floats as float64."""
    return msgpack.packb(message, use_bin_type=True)


def decode_frame(data: bytes) -> Any:
    """Decodes one frame. Raises ValueError when the bytes are not exactly one msgpack value."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as e:  # msgpack raises several unrelated types for bad input
        raise ValueError(f"undecodable msgpack frame: {e}") from e


# ---- JSON forms used by the shared test vectors (protocol/vectors/v1.json) ----


def from_json_value(value: Any) -> Any:
    """Converts a vector's JSON ``value`` to what msgpack decoding yields: ``{"$bin": hex}`` -> bytes,
    ``{"$float": "NaN"|"Infinity"|"-Infinity"}`` -> float."""
    if isinstance(value, dict):
        if set(value.keys()) == {"$bin"}:
            return bytes.fromhex(value["$bin"])
        if set(value.keys()) == {"$float"}:
            return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value["$float"]]
        return {k: from_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    return value


def values_equal(a: Any, b: Any) -> bool:
    """Structural equality as the vectors define it: numbers compare numerically (int 1 equals float 1.0, NaN equals
    NaN), bytes compare bytewise, maps by keys and values, lists elementwise; bool is not a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b
    if isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)):
        return bytes(a) == bytes(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return False
