"""Locks: door lock and door handle lock actuators of external sensor packages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.lock import LockEntity, LockEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import (
    ObjectRef,
    RaritanEntity,
    async_run_command,
    async_setup_topology_entities,
    async_store_state_reading,
    device_info_for,
    vanished_error,
)
from .xerus.const import OpenClosedState, SensorType
from .xerus.models import PeripheralInfo, Topology

PARALLEL_UPDATES = 1

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
            yield RaritanLock(
                coordinator,
                ObjectRef.for_peripheral(unit, peripheral),
                description,
                device_info_for(unit, peripheral),
                peripheral.name or None,
            )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the locks, and those of actuators plugged in later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanLock(RaritanEntity, LockEntity):
    """A door (handle) lock actuator."""

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        ref: ObjectRef,
        description: LockEntityDescription,
        device_info: DeviceInfo,
        name: str | None,
    ) -> None:
        """Initialise the lock ``ref``."""
        super().__init__(coordinator, ref, description.key, device_info)
        self.entity_description = description
        if name:
            self._attr_name = name

    @property
    def peripheral(self) -> PeripheralInfo | None:
        """The actuator in the current topology."""
        obj = self.pdu_object
        return obj if isinstance(obj, PeripheralInfo) else None

    def _rids(self) -> set[str]:
        peripheral = self.peripheral
        return {peripheral.sensor.rid} if peripheral and peripheral.sensor else set()

    @property
    def is_locked(self) -> bool | None:
        """CLOSED (1) is locked, OPEN (0) unlocked."""
        peripheral = self.peripheral
        data = self.coordinator.data
        if peripheral is None or peripheral.sensor is None or data is None:
            return None
        reading = data.states.get(peripheral.sensor.rid)
        if reading is None or reading.value is None:
            return None
        return reading.value == OpenClosedState.CLOSED

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock (close) the door lock."""
        await self._async_set(True)

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock (open) the door lock."""
        await self._async_set(False)

    async def _async_set(self, locked: bool) -> None:
        peripheral = self.peripheral
        if peripheral is None or peripheral.sensor is None:
            raise vanished_error(self.entity_id)
        state = await async_run_command(
            self.coordinator.client.set_actuator(peripheral, on=locked),
            peripheral.display_name,
            actuator=True,
        )
        async_store_state_reading(self.coordinator, peripheral.sensor.rid, state)
