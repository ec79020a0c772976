"""Response bodies parse to the same thing with orjson (Home Assistant installs it) and with the
standard library alone, whatever the body holds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custom_components.raritan_pdu.xerus import rpc
from custom_components.raritan_pdu.xerus.exceptions import XerusProtocolError

BODIES = [
    b'{"result":{"_ret_":{"value":1.5,"available":true}}}',
    b'{"a":NaN,"b":Infinity,"c":-Infinity}',
    b'{"a":1e400,"b":-1e400,"c":1e-400}',
    b'{"a":18446744073709551615,"b":18446744073709551616,"c":-9223372036854775809}',
    b'{"a":99999999999999999999999999999999,"b":"1234567890123456789012"}',
    b'{"a":-9223372036854775808,"b":10000000000000000000,"c":-1234567890123456789}',
    b'{"a":1,"a":2}',
    b'{"a":"\\ud800"}',
    b'\xef\xbb\xbf{"a":1}',
    '{"a":1}'.encode("utf-16"),
    b"[" * 2000 + b"]" * 2000,
    b'{"a":' + b"9" * 5000 + b"}",
    b'{"a":"\xff"}',
    b'{"a":-0,"b":-0.0,"c":4.9e-324}',
    b'{"a":1} x',
]


def _parse(body: bytes) -> Any:
    try:
        return json.dumps(rpc.parse_body(body, "application/json"))  # NaN: compare the text
    except XerusProtocolError as err:
        return type(err)


@pytest.mark.parametrize("body", BODIES)
def test_same_with_and_without_orjson(body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    assert rpc._fast_loads is not None  # the test environment has orjson, as HA has
    fast = _parse(body)
    monkeypatch.setattr(rpc, "_fast_loads", None)
    assert fast == _parse(body)


@pytest.mark.parametrize("fast", [True, False])
def test_integers_beyond_64_bits_are_the_nearest_float(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside 64 bits an integer stays exact; beyond, both parsers give the nearest float
    (infinite for one too large for a float: a reading decoder takes it for invalid)."""
    if not fast:
        monkeypatch.setattr(rpc, "_fast_loads", None)
    body = b'{"a":18446744073709551615,"b":-9223372036854775808,"c":18446744073709551616,"d":'
    data = rpc.parse_body(body + b"-" + b"9" * 300 + b"}", "application/json")
    assert data["a"] == 18446744073709551615
    assert data["b"] == -9223372036854775808
    assert type(data["a"]) is int
    assert type(data["b"]) is int
    assert data["c"] == 2.0**64
    assert type(data["c"]) is float
    assert data["d"] == -float("9" * 300)
    assert rpc.parse_body(b'{"a":' + b"9" * 400 + b"}", "application/json") == {
        "a": float("inf")
    }
