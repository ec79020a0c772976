"""Helpers of the platforms: the one path of every command, and the entities of a topology."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, Concatenate, Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import (
    AddConfigEntryEntitiesCallback,
    async_get_current_platform,
)

from .const import DOMAIN, LOGGER
from .objects import redundant_unique_ids
from .privileges import async_remove_left_out
from .xerus.exceptions import (
    XerusAuthenticationError,
    XerusConnectionError,
    XerusDeviceError,
    XerusError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusTlsError,
)
from .xerus.models import (
    OutletInfo,
    OutletState,
    SequenceState,
    StateReading,
    Topology,
    UnitTopology,
)
from .xerus.plan import ReadingPlan, ReadKind, ReadTarget

if TYPE_CHECKING:
    from .coordinator import RaritanConfigEntry, RaritanCoordinator
    from .entity import RaritanEntity

_OUTLET_RETURN_CODES: Final[Mapping[int, str]] = {
    XerusDeviceError.ERR_OUTLET_NOT_SWITCHABLE: "outlet_not_switchable",
    XerusDeviceError.ERR_LOAD_SHEDDING_ACTIVE: "load_shedding_active",
    XerusDeviceError.ERR_OUTLET_DISABLED: "outlet_disabled",
    XerusDeviceError.ERR_RELAY_CONTROL_DISABLED: "relay_control_inhibited",
}
#: Translation keys of the non-zero return codes of a command; the codes are defined per method.
RETURN_CODES: Final[Mapping[str, Mapping[int, str]]] = {
    "setPowerState": _OUTLET_RETURN_CODES,
    "cyclePowerState": _OUTLET_RETURN_CODES,
    # Pdu / OutletGroup multi-outlet commands (#9): 3 disabled outlet, 5 relay control off
    "setMultipleOutletPowerStates": _OUTLET_RETURN_CODES,
    "cycleMultipleOutletPowerStates": _OUTLET_RETURN_CODES,
    "setAllOutletPowerStates": _OUTLET_RETURN_CODES,
    "cycleAllOutletPowerStates": _OUTLET_RETURN_CODES,
    "setSettings": {1: "invalid_setting"},
    # NumericSensor.setThresholds (issue #10)
    "setThresholds": {
        1: "threshold_out_of_range",
        2: "threshold_invalid",
        3: "threshold_not_supported",
    },
}
#: Translation key of any other return code, per method (default ``command_failed``).
COMMAND_FAILED: Final[Mapping[str, str]] = {"setState": "actuator_failed"}


def raritan_command[EntityT: RaritanEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Decorate a command of an entity: device errors become translated Home Assistant errors.

    Rejected credentials count towards reauthentication, which the coordinator starts once the
    PDU rejected them repeatedly (a poll confirms them first). A command with a confirming read
    goes through :func:`async_command`.
    """

    @wraps(func)
    async def handler(self: EntityT, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except XerusAuthenticationError as err:
            self.coordinator.async_authentication_failed()
            raise command_error(err, self.object_name) from err
        except XerusError as err:
            raise command_error(err, self.object_name) from err

    return handler


def command_error(err: XerusError, name: str) -> HomeAssistantError:
    """The translated error of a failed command on the object called ``name``."""
    placeholders = {"name": name}
    if isinstance(err, XerusDeviceError):
        key = RETURN_CODES.get(err.method, {}).get(err.code) or COMMAND_FAILED.get(
            err.method, "command_failed"
        )
        placeholders["code"] = str(err.code)
    elif isinstance(err, XerusPrivilegeError):
        key = "insufficient_privileges"
    elif isinstance(err, XerusAuthenticationError):
        key = "authentication_failed"
    elif isinstance(err, XerusConnectionError):
        key = "communication_error"
        placeholders["error"] = str(err)
    else:
        key = "command_error"
        placeholders["error"] = str(err)
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def object_unavailable(name: str) -> HomeAssistantError:
    """Error for a command on an object that is no longer in the topology."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="object_unavailable",
        translation_placeholders={"name": name},
    )


#: Errors that say what the device did (refused, or never got the command): no second look.
_DEFINITE: Final = (
    XerusDeviceError,
    XerusPrivilegeError,
    XerusAuthenticationError,
    XerusTlsError,
    XerusNotFoundError,
)


async def async_command[ReadingT: (OutletState, StateReading)](
    coordinator: RaritanCoordinator,
    target: ReadTarget,
    command: Awaitable[ReadingT],
    confirms: Callable[[ReadingT], bool],
) -> None:
    """Send a command whose answer carries its confirming read (one request) and publish it.

    When the answer is lost (a timeout, a broken connection) or only the confirming read failed,
    the device may well have done it: the state is read again (one more request) and the command
    counts as done if the state shows it (``confirms``), instead of a failure that a retry would
    repeat (a second power cycle). Otherwise the original error is raised.
    """
    try:
        reading = await command
    except _DEFINITE:
        raise
    except XerusError as err:
        again = await _async_read_again(coordinator, target)
        if again is not None:
            coordinator.async_set_reading(target.rid, again)
        if again is None or not confirms(again):  # type: ignore[arg-type]
            raise
        LOGGER.debug("The answer to a command was lost (%s); the state read again confirms it", err)
        return
    coordinator.async_set_reading(target.rid, reading)


async def async_outlets_command(
    coordinator: RaritanCoordinator, command: Awaitable[Mapping[str, OutletState]]
) -> None:
    """Send a command that switches several outlets and publish the states read in the same
    request. When its answer was lost the outlets are polled at once (the device may have
    switched them) and the error is raised: never repeat a group or multi-outlet command
    blindly."""
    try:
        states = await command
    except _DEFINITE:
        raise
    except XerusError:
        await coordinator.async_request_refresh()
        raise
    for rid, state in states.items():
        coordinator.async_set_reading(rid, state)


async def async_unit_command[ReadingT: (StateReading, SequenceState)](
    coordinator: RaritanCoordinator,
    target: ReadTarget,
    command: Awaitable[tuple[ReadingT, Mapping[str, OutletState]]],
) -> None:
    """A unit-level command (load shedding, cancelling a sequence) whose answer carries the
    unit's new reading of ``target`` and its outlets' states: publish them all."""

    async def outlets() -> Mapping[str, OutletState]:
        reading, states = await command
        coordinator.async_set_reading(target.rid, reading)
        return {rid: state for rid, state in states.items() if state.available}

    await async_outlets_command(coordinator, outlets())


async def async_write_outlet_settings(
    coordinator: RaritanCoordinator, outlet: OutletInfo, changes: Mapping[str, Any]
) -> None:
    """Write fields of an outlet's settings (the whole struct, as the firmware expects) and
    keep what the device confirmed in the topology (and its storage): no poll reads settings."""
    coordinator.async_writing_settings(outlet.rid)
    settings = await coordinator.client.set_outlet_settings(outlet, changes)
    coordinator.async_set_topology_details(
        coordinator.topology.with_outlet_settings(outlet.pdu_id, outlet.index, settings)
    )


async def async_write_unit_settings(
    coordinator: RaritanCoordinator, unit: UnitTopology, changes: Mapping[str, Any]
) -> None:
    """Write fields of a unit's ``Pdu.Settings``; the confirmed settings go to the topology."""
    coordinator.async_writing_settings(unit.identity.rid)
    settings = await coordinator.client.set_unit_settings(unit, changes)
    coordinator.async_set_topology_details(
        coordinator.topology.with_unit_power_settings(unit.pdu_id, settings)
    )


async def _async_read_again(
    coordinator: RaritanCoordinator, target: ReadTarget
) -> OutletState | StateReading | None:
    try:
        readings = await coordinator.client.poll(ReadingPlan([target]))
    except XerusError:
        return None
    if target.kind is ReadKind.OUTLET:
        return readings.outlets.get(target.rid)
    return readings.states.get(target.rid)


@callback
def async_remove_redundant_entities(
    hass: HomeAssistant, entry: RaritanConfigEntry, topology: Topology
) -> None:
    """Remove registry entries of entities that earlier versions created and that only repeat
    another one (the inlet totals of one-inlet units: the unit's totals stay)."""
    registry = er.async_get(hass)
    for unique_id in redundant_unique_ids(topology):
        entity_id = registry.async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)
        if entity_id is not None:
            entry_id = registry.async_get(entity_id)
            if entry_id is not None and entry_id.config_entry_id == entry.entry_id:
                registry.async_remove(entity_id)


@callback
def async_setup_topology_entities(
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[RaritanConfigEntry, Topology], Iterable[Entity]],
) -> None:
    """Add the entities of the current topology, and those of new objects after a refresh.

    Entities are tracked by unique id while they exist in Home Assistant, so a topology refresh
    adds only what is new (a link unit added, a sensor plugged in) and a unit that vanished and
    came back gets its entities again. Controls the PDU account may not use are left out, and
    so are the read-only stand-ins of those it may (``privileges.py``). Called from a platform's
    ``async_setup_entry``.
    """
    coordinator = entry.runtime_data
    domain = async_get_current_platform().domain
    live: set[str] = set()

    @callback
    def _add() -> None:
        new: list[Entity] = []
        left_out: list[str] = []
        for entity in build(entry, coordinator.topology):
            uid = entity.unique_id
            if uid is None or uid in live:
                continue
            if not coordinator.access.permits(entity):
                left_out.append(uid)
                continue
            live.add(uid)
            entity.async_on_remove(partial(live.discard, uid))
            new.append(entity)
        coordinator.access.left_out.get(domain, set()).difference_update(live)
        if left_out:
            async_remove_left_out(coordinator.hass, entry, domain, left_out)
        if new:
            async_add_entities(new)

    _add()
    entry.async_on_unload(coordinator.async_add_topology_listener(_add))
