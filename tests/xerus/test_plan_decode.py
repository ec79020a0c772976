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
