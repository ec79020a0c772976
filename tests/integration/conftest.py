"""Shared fixtures of the Home Assistant integration tests (real integration against the emulator).

* ``emulator``: a started emulator, primary unit + 2 link units, firmware given by the
  ``firmware`` fixture ("4.4"; parametrize ``firmware`` to change it) and extra config from the
  ``emulator_config`` fixture (override it in a module/test, e.g. ``{"tls": True}``).
* ``mock_config_entry``: a config entry for that emulator, as the config flow would create it.
* ``setup_integration(hass, entry)``: add and set up an entry, wait until it settled.
* ``init_integration``: ``mock_config_entry``, set up.
* ``async_poll(hass, freezer)``: advance time by one poll interval and let the poll finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import format_mac
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.raritan_pdu.const import CONF_FINGERPRINT, CONF_MAC, DOMAIN, SCAN_INTERVAL
from tests.emulator import PduEmulator


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/raritan_pdu in every test."""


@pytest.fixture
def firmware() -> str:
    """Firmware profile of the emulator (parametrize to test "3.6")."""
    return "4.4"


@pytest.fixture
def emulator_config() -> dict[str, Any]:
    """Extra EmulatorConfig fields for the ``emulator`` fixture."""
    return {}


@pytest.fixture
async def emulator(
    socket_enabled: None,
    emulator_factory: Any,
    firmware: str,
    emulator_config: dict[str, Any],
) -> PduEmulator:
    """A running emulator: primary unit + 2 link units."""
    config: dict[str, Any] = {"firmware": firmware, "link_units": 2, **emulator_config}
    emu: PduEmulator = await emulator_factory(**config)
    return emu


def entry_data(emu: PduEmulator, **overrides: Any) -> dict[str, Any]:
    """Config entry data for an emulator, as the config flow stores it."""
    data: dict[str, Any] = {
        CONF_HOST: emu.host,
        CONF_PORT: emu.port,
        CONF_SSL: emu.config.tls,
        CONF_VERIFY_SSL: True,
        CONF_FINGERPRINT: emu.tls_fingerprint if emu.config.tls else None,
        CONF_USERNAME: emu.config.username,
        CONF_PASSWORD: emu.config.password,
        CONF_MAC: format_mac(emu.unit(0).mac),
    }
    data.update(overrides)
    return data


def make_config_entry(emu: PduEmulator, data: Mapping[str, Any] | None = None) -> MockConfigEntry:
    """A config entry for ``emu`` (unique id = primary serial)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"PDU {emu.unit(0).serial}",
        unique_id=emu.unit(0).serial,
        data=dict(data) if data is not None else entry_data(emu),
    )


@pytest.fixture
def mock_config_entry(emulator: PduEmulator) -> MockConfigEntry:
    """Config entry of the ``emulator`` (not added to hass yet)."""
    return make_config_entry(emulator)


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add ``entry`` to hass, set it up and wait until everything settled."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The ``mock_config_entry``, set up."""
    await setup_integration(hass, mock_config_entry)
    return mock_config_entry


async def async_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Advance time by one poll interval and wait for the poll to finish."""
    freezer.tick(SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
