"""Helpers of the platforms: the one path of every command, and dynamic entity creation."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, Concatenate, Final

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .xerus.exceptions import (
    XerusAuthenticationError,
    XerusConnectionError,
    XerusDeviceError,
    XerusError,
    XerusPrivilegeError,
)
from .xerus.models import OutletState, StateReading, Topology

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
}
#: Translation key of any other return code, per method (default ``command_failed``).
COMMAND_FAILED: Final[Mapping[str, str]] = {"setState": "actuator_failed"}


def raritan_command[EntityT: RaritanEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Decorate a command of an entity: device errors become translated Home Assistant errors.

    Rejected credentials also start reauthentication (the next poll would fail the same way).
    The command stores its confirming read itself (:func:`async_store_reading`).
    """

    @wraps(func)
    async def handler(self: EntityT, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except XerusAuthenticationError as err:
            self.coordinator.config_entry.async_start_reauth(self.hass)
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


@callback
def async_store_reading(
    coordinator: RaritanCoordinator, rid: str, reading: OutletState | StateReading
) -> None:
    """Publish a command's confirming read (same request) without another poll.

    The coordinator's data is never changed in place (listeners may hold the previous
    ``Readings``): a new one replaces it. Listeners are notified; the poll schedule stays.
    """
    data = coordinator.data
    errors = {key: value for key, value in data.errors.items() if key != rid}
    if isinstance(reading, OutletState):
        coordinator.data = replace(data, outlets={**data.outlets, rid: reading}, errors=errors)
    else:
        coordinator.data = replace(data, states={**data.states, rid: reading}, errors=errors)
    coordinator.async_update_listeners()


@callback
def async_setup_topology_entities(
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[RaritanConfigEntry, Topology], Iterable[Entity]],
) -> None:
    """Add the entities of the current topology, and those of new objects after a refresh.

    Entities are tracked by unique id while they exist in Home Assistant, so a topology refresh
    adds only what is new (a link unit added, a sensor plugged in) and a unit that vanished and
    came back gets its entities again.
    """
    coordinator = entry.runtime_data
    live: set[str] = set()

    @callback
    def _add() -> None:
        new: list[Entity] = []
        for entity in build(entry, coordinator.topology):
            uid = entity.unique_id
            if uid is None or uid in live:
                continue
            live.add(uid)
            entity.async_on_remove(partial(live.discard, uid))
            new.append(entity)
        if new:
            async_add_entities(new)

    _add()
    entry.async_on_unload(coordinator.async_add_topology_listener(_add))
