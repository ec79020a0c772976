"""A reading plan decodes an unchanged state to the object it decoded before; numeric readings
(whose timestamps move with every sample) are decoded anew, equal to the one before."""

from __future__ import annotations

from typing import Any

from custom_components.raritan_pdu.xerus import ReadingPlan, ReadTarget, XerusError
from custom_components.raritan_pdu.xerus.plan import ReadKind


def _reading(value: Any, timestamp: int = 1) -> dict[str, Any]:
    status = dict.fromkeys(
        ("aboveUpperCritical", "aboveUpperWarning", "belowLowerWarning", "belowLowerCritical"),
        False,
    )
    ret = {"timestamp": timestamp, "available": True, "status": status, "valid": True}
    return {"json": {"jsonrpc": "2.0", "id": 0, "result": {"_ret_": {**ret, "value": value}}},
            "statcode": 200}


def _outlet(power_state: int, changed: int = 100) -> dict[str, Any]:
    ret = {"available": True, "powerState": power_state, "lastPowerStateChange": changed}
    return {"json": {"jsonrpc": "2.0", "id": 0, "result": {"_ret_": ret}}, "statcode": 200}


def test_unchanged_state_gives_the_same_object() -> None:
    plan = ReadingPlan([ReadTarget("/o/1", ReadKind.OUTLET)])
    first = plan.decode([_outlet(1)]).outlets["/o/1"]
    assert plan.decode([_outlet(1)]).outlets["/o/1"] is first
    switched = plan.decode([_outlet(0, changed=200)]).outlets["/o/1"]
    assert switched is not first
    assert (switched.is_on, switched.last_power_state_change) == (False, 200)


def test_numeric_readings_are_decoded_anew() -> None:
    plan = ReadingPlan([ReadTarget("/s/1", ReadKind.NUMERIC)])
    first = plan.decode([_reading(1.5)]).numeric["/s/1"]
    assert plan.decode([_reading(1.5)]).numeric["/s/1"] == first
    moved = plan.decode([_reading(1.5, timestamp=2)]).numeric["/s/1"]
    assert (moved.value, moved.timestamp) == (1.5, 2)
    assert plan.decode([_reading(2.5, timestamp=2)]).numeric["/s/1"].value == 2.5


def test_failed_answer_between_equal_ones() -> None:
    """A failed read is an error; the same answer as before it decodes as before."""
    plan = ReadingPlan([ReadTarget("/s/1", ReadKind.NUMERIC)])
    first = plan.decode([_reading(1.5)]).numeric["/s/1"]
    failed = plan.decode([{"json": None, "statcode": 500}])
    assert isinstance(failed.errors["/s/1"], XerusError)
    assert not failed.numeric
    assert plan.decode([_reading(1.5)]).numeric["/s/1"] == first


def test_not_a_finite_number_is_invalid() -> None:
    plan = ReadingPlan([ReadTarget("/s/1", ReadKind.NUMERIC)])
    for value in (float("nan"), float("inf"), 10**400, True, "1"):
        reading = plan.decode([_reading(value)]).numeric["/s/1"]
        assert (reading.value, reading.valid) == (None, False)
    assert plan.decode([_reading(7)]).numeric["/s/1"].value == 7.0


def test_an_answer_with_failures_decodes_the_rest() -> None:
    """Failed sub-requests (an HTTP error, a JSON-RPC error, no ``_ret_``) are errors of their
    RIDs; every other one decodes as in an answer without failures, an unchanged state to the
    object decoded before."""
    plan = ReadingPlan(
        [
            ReadTarget("/s/1", ReadKind.NUMERIC),
            ReadTarget("/o/1", ReadKind.OUTLET),
            ReadTarget("/s/2", ReadKind.NUMERIC),
            ReadTarget("/o/2", ReadKind.OUTLET),
        ]
    )
    clean = plan.decode([_reading(1.5), _outlet(1), _reading(2.5), _outlet(0)])
    assert not clean.errors
    rpc_error = {"json": {"jsonrpc": "2.0", "id": 2, "error": {"code": 1, "message": "no"}},
                 "statcode": 200}
    mixed = plan.decode([_reading(1.75), _outlet(1), rpc_error, {"statcode": 503}])
    assert set(mixed.errors) == {"/s/2", "/o/2"}
    assert all(isinstance(err, XerusError) for err in mixed.errors.values())
    assert mixed.numeric["/s/1"].value == 1.75 and "/s/2" not in mixed.numeric
    assert mixed.outlets["/o/1"] is clean.outlets["/o/1"] and "/o/2" not in mixed.outlets
    # Back to a clean answer: the outlet whose read failed decodes as before it failed.
    again = plan.decode([_reading(1.5), _outlet(1), _reading(2.5), _outlet(0)])
    assert again.outlets["/o/2"] is clean.outlets["/o/2"]


def test_a_malformed_reading_among_good_ones() -> None:
    """A reading the fast path cannot take (no status, a list) is read tolerantly; the others
    of the same answer are not affected."""
    plan = ReadingPlan([ReadTarget(f"/s/{i}", ReadKind.NUMERIC) for i in range(3)])
    no_status = _reading(3.0)
    del no_status["json"]["result"]["_ret_"]["status"]
    listed = {"json": {"jsonrpc": "2.0", "id": 0, "result": {"_ret_": [1, 2]}}, "statcode": 200}
    numeric = plan.decode([_reading(1.0), no_status, listed]).numeric
    assert numeric["/s/0"].value == 1.0
    assert (numeric["/s/1"].value, numeric["/s/1"].above_upper_warning) == (3.0, False)
    assert (numeric["/s/2"].value, numeric["/s/2"].available) == (None, False)
