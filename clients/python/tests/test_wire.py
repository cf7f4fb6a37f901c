"""Tensor and frame encoding, error classes, URL handling: no server needed."""

from __future__ import annotations

import math
import re
import struct

import numpy as np
import pytest

import twingym
from twingym import errors
from twingym.conformance.runner import CheckResult, Report, run_suite
from twingym.connection import normalize_url
from twingym.wire import decode_frame, decode_tensor, encode_frame, encode_tensor

from conftest import REPO


@pytest.mark.parametrize("dtype,fmt,values", [
    ("f32", "<f", [1.5, -0.0, math.inf, -math.inf]),
    ("f64", "<d", [0.1, 1e300, -2.5, math.inf]),
    ("i32", "<i", [-2 ** 31, 0, 7, 2 ** 31 - 1]),
    ("i64", "<q", [-2 ** 63, 1, 2 ** 53 + 1, 2 ** 63 - 1]),
    ("u8", "<B", [0, 1, 128, 255]),
])
def test_tensor_bytes_are_little_endian_elements(dtype, fmt, values):
    t = encode_tensor(np.array(values, dtype=twingym.wire.DTYPES[dtype]).reshape(2, 2))
    assert t["dtype"] == dtype and t["shape"] == [2, 2]
    assert t["data"] == struct.pack(f"<4{fmt[1]}", *values)
    back = decode_tensor(t)
    assert back.shape == (2, 2) and back.reshape(-1).tolist() == values
    back[0, 0] = 0  # decoded arrays are the caller's to modify


def test_bool_tensor_is_one_byte_per_element_and_nonzero_is_true():
    t = encode_tensor(np.array([True, False, True]))
    assert t == {"dtype": "bool", "shape": [3], "data": b"\x01\x00\x01"}
    assert decode_tensor({"dtype": "bool", "shape": [2], "data": b"\x00\x07"}).tolist() == [False, True]


def test_nan_survives_a_frame():
    frame = encode_frame({"x": encode_tensor(np.array([math.nan], dtype=np.float32)), "y": math.nan})
    msg = decode_frame(frame)
    assert math.isnan(decode_tensor(msg["x"])[0]) and math.isnan(msg["y"])


def test_scalar_tensor_has_empty_shape():
    t = encode_tensor(np.float64(2.5))
    assert t["shape"] == [] and decode_tensor(t).shape == () and float(decode_tensor(t)) == 2.5


@pytest.mark.parametrize("bad", [
    {"dtype": "f16", "shape": [1], "data": b"\x00\x00"},
    {"dtype": "f32", "shape": [2], "data": b"\x00\x00\x00\x00"},
    {"dtype": "f32", "shape": [-1], "data": b""},
    {"dtype": "f32", "shape": [1], "data": "abcd"},
])
def test_malformed_tensors_are_refused(bad):
    with pytest.raises(ValueError):
        decode_tensor(bad)


def test_unsupported_numpy_dtype_is_refused():
    with pytest.raises(ValueError):
        encode_tensor(np.zeros(2, dtype=np.float16))


def test_undecodable_frame_raises_value_error():
    with pytest.raises(ValueError):
        decode_frame(b"\xc1")
    with pytest.raises(ValueError):
        decode_frame(b"\x82\xa2id")


def test_every_documented_error_code_has_a_class():
    source = (REPO / "protocol" / "ts" / "errors.ts").read_text()
    block = source[source.index("ERROR_CODES = {"):source.index("} as const;")]
    codes = re.findall(r"^  ([a-z_]+): \{", block, flags=re.M)
    assert len(codes) >= 20
    assert tuple(codes) == errors.ERROR_CODES  # same codes, same order
    for code in codes:
        exc = errors.error_from_reply({"code": code, "message": "m", "details": {"k": 1}}, "step")
        assert isinstance(exc, twingym.TwinGymError) and exc.code == code and exc.details == {"k": 1}


def test_error_classes_are_also_python_categories():
    assert issubclass(twingym.OutOfBoundsError, ValueError)
    assert issubclass(twingym.BadDtypeError, TypeError)
    assert issubclass(twingym.UnknownEnvError, LookupError)
    assert issubclass(twingym.UnknownOpError, NotImplementedError)
    assert issubclass(twingym.UnknownJobError, LookupError) and twingym.UnknownJobError.default_code == "unknown_job"
    unknown = errors.error_from_reply({"code": "some_future_code", "message": "m"})
    assert type(unknown) is twingym.TwinGymError and unknown.code == "some_future_code"


def test_urls_are_normalised_to_the_ws_endpoint():
    assert normalize_url("127.0.0.1:9") == "ws://127.0.0.1:9/v1/ws"
    assert normalize_url("ws://h:1") == "ws://h:1/v1/ws"
    assert normalize_url("http://h:1/") == "ws://h:1/v1/ws"
    assert normalize_url("wss://h/v1/ws?token=x") == "wss://h/v1/ws?token=x"
    with pytest.raises(ValueError):
        normalize_url("ftp://h")


def test_report_exit_codes():
    r = Report(url="x")
    assert r.exit_code() == 2  # nothing ran: the protocol is not supported
    r.results = [CheckResult("a", "pass")]
    assert r.exit_code() == 0
    r.results.append(CheckResult("b", "unsupported"))
    assert r.exit_code() == 2
    r.results.append(CheckResult("c", "fail"))
    assert r.exit_code() == 1
    assert r.to_json()["summary"] == {"pass": 1, "fail": 1, "unsupported": 1}


def test_unreachable_server_fails_the_suite():
    from conftest import free_port

    report = run_suite(f"ws://127.0.0.1:{free_port()}")
    assert report.exit_code() == 1
    assert report.results[0].id == "handshake.hello" and report.results[0].status == "fail"
