"""Locks: door lock and door handle lock actuators of external sensor packages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry
from .entity import RaritanActuatorEntity
from .helpers import async_setup_topology_entities
from .objects import peripheral_object
from .xerus import Privilege
from .xerus.const import OpenClosedState, SensorType
from .xerus.models import Topology

PARALLEL_UPDATES = 1

_LOCKED: dict[int, bool] = {OpenClosedState.CLOSED: True, OpenClosedState.OPEN: False}

#: Lock actuators (OpenClosedState: 1 = CLOSED = locked, 0 = OPEN = unlocked).
LOCK_DESCRIPTIONS: dict[int, LockEntityDescription] = {
    int(sensor_type): LockEntityDescription(
        key=sensor_type.name.lower(), translation_key=f"ext_{sensor_type.name.lower()}"
    )
    for sensor_type in (SensorType.DOOR_LOCK_STATE, SensorType.DOOR_HANDLE_LOCK)
}


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> Iterator[RaritanLock]:
    """A lock per door lock / door handle lock actuator."""
    coordinator = entry.runtime_data
    for unit in topology.units:
        for peripheral in unit.peripherals:
            description = LOCK_DESCRIPTIONS.get(int(peripheral.type_spec.type))
            if description is None or not peripheral.is_actuator or peripheral.sensor is None:
                continue
            yield RaritanLock(coordinator, peripheral_object(unit, peripheral), description)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the locks, and those of actuators plugged in later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanLock(RaritanActuatorEntity, LockEntity):
    """A door (handle) lock actuator."""

    required_privilege = Privilege.SWITCH_ACTUATOR

    entity_description: LockEntityDescription

    @property
    def is_locked(self) -> bool | None:
        """CLOSED (1) is locked, OPEN (0) unlocked; unknown for any other value."""
        value = self.actuator_value
        return None if value is None else _LOCKED.get(value)

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_locked)

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock (close) the door lock."""
        await self.async_set_actuator(True)

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock (open) the door lock."""
        await self.async_set_actuator(False)
