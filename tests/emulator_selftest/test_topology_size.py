"""Installations beyond the peripheral catalogue: up to the firmware's slot count per unit."""

from __future__ import annotations

import pytest

from tests.emulator import PduEmulator

from .conftest import RawFactory


async def test_peripherals_beyond_the_catalogue(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=1, peripherals=40, link_units=1, link_unit_peripherals=12)
    raw = await raw_client(emu)
    unit = emu.unit(0)
    devices = [await raw.ret(f"/model/peripheraldeviceslot/{s}", "getDevice") for s in range(64)]
    assert [d is not None for d in devices] == [True] * 40 + [False] * 24
    first, again = devices[0]["value"], devices[11]["value"]
    assert again["deviceID"]["type"] == first["deviceID"]["type"]  # the same kind ...
    assert again["deviceID"]["serial"] != first["deviceID"]["serial"]  # ... another package
    assert again["position"] == [
        {"portType": 1, "port": "1"},
        {"portType": 2, "port": "1"},  # behind hub port 1
        {"portType": 3, "port": "1"},
    ]
    # a package's channels share its serial: temperature, humidity, absolute humidity
    assert unit.peripheral(11).serial == unit.peripheral(12).serial == unit.peripheral(21).serial
    assert len(await raw.ret("/model/peripheraldevicemanager", "getDiscoveredDevices")) == 40
    packages = await raw.ret("/model/peripheraldevicemanager", "getDiscoveredPackageInfos")
    assert len(packages) == 33  # 9 + 9 + 9 packages in full rounds, 6 in the last
    assert len(emu.unit(2).peripherals) == 12
    assert await raw.reading(unit.peripheral(33).sensor.rid) > 0  # EXT33N answers
    emu.faults.unplug_peripheral(11)
    assert [s for s in range(40) if unit.slot(s).peripheral is None] == [11, 12, 21]


def test_more_peripherals_than_slots_are_refused():
    assert len(PduEmulator(peripherals=64).unit(0).peripherals) == 64
    with pytest.raises(ValueError, match="64 slots"):
        PduEmulator(peripherals=65)
    with pytest.raises(ValueError, match="32 slots"):
        PduEmulator(peripherals=33, firmware="3.6")
    with pytest.raises(ValueError, match="32 slots"):
        PduEmulator(link_units=1, link_unit_peripherals=40, firmware="3.6")
