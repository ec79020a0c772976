"""Setup, unload and device registration of the Raritan PDU integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.raritan_pdu.const import DOMAIN
from tests.emulator import PduEmulator

from .conftest import setup_integration


async def test_setup_and_unload(
    hass: HomeAssistant, emulator: PduEmulator, mock_config_entry: MockConfigEntry
) -> None:
    """The entry loads, registers a device per unit, and logs out when unloaded."""
    await setup_integration(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED

    device_registry = dr.async_get(hass)
    primary = device_registry.async_get_device(identifiers={(DOMAIN, emulator.unit(0).serial)})
    assert primary is not None
    for link_id in (2, 3):
        link = device_registry.async_get_device(
            identifiers={(DOMAIN, emulator.unit(link_id).serial)}
        )
        assert link is not None
        assert link.via_device_id == primary.id

    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    assert emulator.stats()["sessions_active"] == 0
