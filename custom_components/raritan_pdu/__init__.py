"""The Raritan PDU integration (Raritan, Legrand, Server Technology Xerus JSON-RPC PDUs)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from homeassistant.const import (
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    CONF_SSL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .card import async_setup_card
from .const import CONF_FINGERPRINT, DEFAULT_TIMEOUT, DOMAIN
from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .devices import async_migrate_names, async_sync_devices, is_current
from .helpers import async_remove_redundant_entities
from .privileges import async_delete_privileges_issue, async_update_privileges_issue
from .push import EventStream
from .services import async_setup_services
from .storage import async_get_store, async_remove_store
from .xerus import XerusClient

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.LOCK,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up what all entries share: the dashboard card and its layout command."""
    await async_setup_card(hass)
    async_setup_services(hass)
    return True


def async_create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> XerusClient:
    """Create a client for the connection settings of a config entry (or a flow).

    The client uses Home Assistant's shared aiohttp session. A pinned fingerprint replaces
    CA verification, so that session must not verify the chain itself.
    """
    use_tls: bool = data[CONF_SSL]
    fingerprint: str | None = data.get(CONF_FINGERPRINT) if use_tls else None
    verify_tls = bool(use_tls and data.get(CONF_VERIFY_SSL, True) and not fingerprint)
    return XerusClient(
        host=data[CONF_HOST],
        port=data.get(CONF_PORT),
        use_tls=use_tls,
        verify_tls=verify_tls,
        fingerprint=fingerprint,
        username=data[CONF_USERNAME],
        password=data[CONF_PASSWORD],
        session=async_get_clientsession(hass, verify_ssl=verify_tls),
        timeout=DEFAULT_TIMEOUT,
    )


async def async_migrate_entry(hass: HomeAssistant, entry: RaritanConfigEntry) -> bool:
    """Migrate an entry of an earlier version.

    1.1 to 1.2: devices and entity ids of the names that tell units and PDUs apart (from the
    stored topology; an entry without one has no devices yet). Unique ids never change.
    """
    if entry.version > 1:
        return False  # a newer version's entry: this version does not know it
    if entry.minor_version < 2:
        store = async_get_store(hass, entry.entry_id)
        await store.async_load()
        if store.topology is not None:
            async_migrate_names(hass, entry, store.topology)
        hass.config_entries.async_update_entry(entry, minor_version=2)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: RaritanConfigEntry) -> bool:
    """Set up a PDU (primary unit and its link units) from a config entry.

    The topology comes from the entry's store when it has one (a restart or a setup retry
    creates the entities at once, without rediscovering the PDU), else from a discovery.
    """
    client = async_create_client(hass, entry.data)
    coordinator = RaritanCoordinator(hass, entry, client, async_get_store(hass, entry.entry_id))
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException:
        # Don't leave a device session behind for every setup retry.
        await client.close()
        raise

    entry.runtime_data = coordinator

    # Every device of the PDU, before the platforms link their entities to them; after each
    # topology refresh again, before the platforms add the entities of new objects.
    @callback
    def _sync_registry() -> None:
        async_sync_devices(hass, entry, coordinator.topology)
        async_remove_redundant_entities(hass, entry, coordinator.topology)

    _sync_registry()
    entry.async_on_unload(coordinator.async_add_topology_listener(_sync_registry))

    async def _async_stop(_event: Event) -> None:
        # Home Assistant stops without unloading: log out now, not at the device's idle
        # timeout (the PDU allows only a few sessions per user).
        await coordinator.async_shutdown()
        await client.close()

    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_stop))

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # The platforms left out the controls the PDU account may not use: say so once (and again
    # after each topology pass, which may find them granted).
    async_update_privileges_issue(hass, entry)
    entry.async_on_unload(
        coordinator.async_add_topology_listener(partial(async_update_privileges_issue, hass, entry))
    )
    # The platforms registered the resource ids of their enabled entities: read them now,
    # in one request, instead of waiting for the first scheduled poll.
    await coordinator.async_start()
    # Changes pushed by the PDU, beside the polls (stopped by coordinator.async_shutdown).
    coordinator.push = EventStream(hass, coordinator)
    coordinator.push.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: RaritanConfigEntry) -> bool:
    """Unload a config entry and log out of the device."""
    unload_ok = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unload_ok:
        async_delete_privileges_issue(hass, entry)
        # Stop polling first: a poll after the logout would log in again and leave a
        # session behind on the device.
        await entry.runtime_data.async_shutdown()
        await entry.runtime_data.client.close()
    return unload_ok


async def async_remove_entry(hass: HomeAssistant, entry: RaritanConfigEntry) -> None:
    """The entry was deleted: delete its stored topology (and its repair issue) too."""
    async_delete_privileges_issue(hass, entry)
    await async_remove_store(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: RaritanConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing exactly the devices that are not on the PDU (e.g. a released link unit)."""
    coordinator: RaritanCoordinator | None = getattr(entry, "runtime_data", None)
    if coordinator is None:
        # Not loaded: the topology is unknown, let the user decide.
        return True
    return not is_current(coordinator.topology, device_entry)
