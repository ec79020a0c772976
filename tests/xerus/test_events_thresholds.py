"""Thresholds through the library (#10): read, write with the confirming read in the same
request, the device's refusals; both firmware generations."""

from __future__ import annotations

import pytest

from custom_components.raritan_pdu.xerus import Thresholds, XerusDeviceError

from .conftest import ClientFactory


@pytest.mark.parametrize("firmware", ["3.6", "4.4"])
async def test_get_and_set_thresholds(
    emulator_factory, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(outlets=2, firmware=firmware)
    client = client_factory(emu)
    sensor = (await client.discover()).primary.outlets[0].sensors["current"]
    thresholds = await client.get_thresholds(sensor)
    assert (thresholds.upper_warning, thresholds.upper_critical) == (8.0, 10.0)  # C13
    assert thresholds.lower_warning is None and thresholds.lower_critical is None
    assert thresholds.hysteresis is not None and thresholds.assertion_timeout is not None

    emu.reset_stats()
    new = await client.set_thresholds(sensor, thresholds.with_level("upperWarning", 9.0))
    assert new.upper_warning == 9.0 and new.upper_critical == 10.0
    assert emu.stats()["http_requests"] == 1  # the confirming read rides along
    assert emu.unit(0).outlet(0).sensors["current"].thresholds["upperWarning"] == 9.0

    off = await client.set_thresholds(sensor, new.with_level("upperWarning", None))
    assert off.upper_warning is None

    with pytest.raises(XerusDeviceError) as err:  # warning above critical
        await client.set_thresholds(sensor, new.with_level("upperWarning", 11.0))
    assert (err.value.code, err.value.method) == (2, "setThresholds")
    assert (await client.get_thresholds(sensor)).upper_warning is None  # nothing written


def test_thresholds_decoding_is_tolerant() -> None:
    assert Thresholds.from_json(None) == Thresholds()
    odd = Thresholds.from_json({"upperCriticalActive": True, "upperCritical": "x"})
    assert odd.upper_critical is None
    with pytest.raises(ValueError, match="unknown threshold level"):
        Thresholds().with_level("sideways", 1.0)
