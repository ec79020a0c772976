"""Base entities of the Raritan PDU platforms.

An entity keeps the stable address of its object (:class:`~.objects.ObjectRef`), never a
resource id: it resolves the object, and with it the RIDs to poll, through
``coordinator.topology`` and re-registers those RIDs after every topology refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import RaritanCoordinator
from .devices import entity_device_info, object_name
from .helpers import async_command, object_unavailable, raritan_command
from .objects import (
    MeteredObject,
    ObjectSensor,
    PduObject,
    RaritanFieldDescription,
    resolve,
    sensors_of,
)
from .xerus.const import PowerState
from .xerus.models import (
    OutletInfo,
    OutletState,
    PeripheralInfo,
    StateReading,
    Topology,
    UnitTopology,
)
from .xerus.plan import ReadKind, ReadTarget


class RaritanEntity(CoordinatorEntity[RaritanCoordinator]):
    """An entity of one object of a PDU unit.

    Subclasses implement :meth:`_rids` (what the poll must read for this entity); the base class
    registers those RIDs with the coordinator while the entity is in Home Assistant (so disabled
    entities cost nothing) and re-registers them when a topology refresh changed them.

    The coordinator calls the entity when a reading of its RIDs changed (and all entities when
    the polls start or stop failing); the entity writes its state only when what it shows
    changed: :meth:`_shown` (state, attributes, availability), which subclasses extend.
    """

    _attr_has_entity_name = True
    #: Called only when the threshold state of a reading changed, not with every new value
    #: (what the alarms show: ``RaritanCoordinator.async_register_rids``).
    _thresholds_only: ClassVar[bool] = False

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject, key: str) -> None:
        """Initialise the entity ``key`` of the object ``target``."""
        super().__init__(coordinator)
        self._ref = target.ref
        self._attr_unique_id = target.ref.unique_id(key)
        self._attr_device_info = entity_device_info(target.unit, target.obj)
        self._registered: frozenset[str] = frozenset()
        self._unregister_rids: CALLBACK_TYPE | None = None
        self._written: tuple[Any, ...] | None = None
        self._resolved_for: Topology | None = None
        self._resolved: tuple[UnitTopology, PduObject] | None = None
        self._unit_ok = False

    # resolution through the current topology (once per topology: it is read for every write)

    def _resolve(self) -> tuple[UnitTopology, PduObject] | None:
        topology = self.coordinator.topology
        if topology is not self._resolved_for:
            self._resolved_for = topology
            self._resolved = resolved = resolve(topology, self._ref)
            self._unit_ok = resolved is not None and self.coordinator.unit_available(
                resolved[0].pdu_id
            )
            self._resolved_again()
        return self._resolved

    def _resolved_again(self) -> None:
        """The object was resolved in a new topology (subclasses refresh what they derive)."""

    @property
    def pdu_object(self) -> PduObject | None:
        """The object of this entity in the current topology (``None`` if it vanished)."""
        resolved = self._resolve()
        return resolved[1] if resolved else None

    @property
    def object_name(self) -> str:
        """How messages call the object (its entity id once it vanished)."""
        resolved = self._resolve()
        return object_name(*resolved) if resolved else self.entity_id

    def command_object[ObjectT](self, kind: type[ObjectT]) -> ObjectT:
        """The object to send a command to; raises if it is no longer on the PDU."""
        obj = self.pdu_object
        if not isinstance(obj, kind):
            raise object_unavailable(self.entity_id)
        return obj

    def _rids(self) -> set[str]:
        """RIDs this entity reads in every poll (none for command-only entities)."""
        return set()

    @classmethod
    def _batch(cls) -> Callable[[Iterable[Any]], None] | None:
        """The function that tells the entities of this class whose readings changed, all
        together, instead of their own ``_handle_coordinator_update`` (``None``: one by one;
        ``RaritanCoordinator.async_register_batched_rids``)."""
        return None

    # RID registration

    @callback
    def _sync_rids(self) -> None:
        rids = frozenset(self._rids())
        if rids == self._registered and (self._unregister_rids is not None or not rids):
            return
        old = self._unregister_rids
        coordinator, batch = self.coordinator, self._batch()
        if not rids:
            self._unregister_rids = None
        elif batch is not None:
            self._unregister_rids = coordinator.async_register_batched_rids(rids, self, batch)
        else:
            self._unregister_rids = coordinator.async_register_rids(
                rids, self._handle_coordinator_update, thresholds_only=self._thresholds_only
            )
        self._registered = rids
        if old is not None:
            old()

    @callback
    def _release_rids(self) -> None:
        if self._unregister_rids is not None:
            self._unregister_rids()
            self._unregister_rids = None
        self._registered = frozenset()

    async def async_added_to_hass(self) -> None:
        """Register the RIDs to poll and follow topology refreshes."""
        await super().async_added_to_hass()
        self._sync_rids()
        self.async_on_remove(self._release_rids)
        self.async_on_remove(
            self.coordinator.async_add_topology_listener(self._handle_topology_update)
        )

    @callback
    def _handle_topology_update(self) -> None:
        """The topology was refreshed: RIDs (and names) may have changed."""
        self._sync_rids()
        self.async_write_ha_state()

    # state writes

    def _shown(self) -> tuple[Any, ...]:
        """What Home Assistant shows of the entity, besides names (compared before writing);
        ``available`` first."""
        return (self.available,)

    @callback
    def async_write_ha_state(self) -> None:
        """Write the state, remembering what it showed.

        At setup the entities are added before their first poll: an entity that polls writes
        nothing until then (the coordinator calls it after that poll), so that no state
        ``unknown`` is ever written between load and first data. An entity that is
        unavailable says so at once.
        """
        shown = self._shown()  # (available, ...): what ``available`` says, taken once
        if not self.coordinator.started and shown[0] and self._rids():
            return
        self._written = shown
        super().async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """A reading changed (or the polls started or stopped failing): write if it shows."""
        shown = self._shown()
        if shown != self._written:
            self._written = shown
            super().async_write_ha_state()

    # availability

    @property
    def available(self) -> bool:
        """Unavailable when the poll failed, the unit is not OK or the object vanished."""
        return self._available()

    def _available(self) -> bool:
        """:attr:`available` of a Raritan entity (subclasses may add conditions)."""
        coordinator = self.coordinator
        if not coordinator.last_update_success:
            return False
        if coordinator.topology is not self._resolved_for:
            self._resolve()
        if not self._unit_ok:
            return False
        errors = coordinator.data.errors
        return not errors or not any(rid in errors for rid in self._registered)


class RaritanUnitReadEntity(RaritanEntity):
    """An entity of a unit that shows one unit-level read (load shedding, the switching
    sequence): ``unit_read`` says which (``ReadTarget.load_shedding`` / ``.sequence``)."""

    unit_read: Callable[[UnitTopology], ReadTarget]

    @property
    def read_target(self) -> ReadTarget | None:
        """The unit's read in the current topology (``None`` once the unit vanished)."""
        unit = self.pdu_object
        return type(self).unit_read(unit) if isinstance(unit, UnitTopology) else None

    def _rids(self) -> set[str]:
        target = self.read_target
        return {target.rid} if target else set()


_POWER_STATES: dict[int, bool] = {PowerState.ON: True, PowerState.OFF: False}


class RaritanOutletEntity(RaritanEntity):
    """An entity showing a switchable outlet's state (``Outlet.getState``, read once per poll
    for every entity of the outlet): its switch, or the read-only binary sensor standing in for
    it when the PDU account may not switch outlets."""

    @property
    def outlet(self) -> OutletInfo | None:
        """The outlet in the current topology."""
        obj = self.pdu_object
        return obj if isinstance(obj, OutletInfo) else None

    def _rids(self) -> set[str]:
        outlet = self.outlet
        return {outlet.rid} if outlet else set()

    @property
    def _state(self) -> OutletState | None:
        outlet = self.outlet
        return None if outlet is None else self.coordinator.data.outlets.get(outlet.rid)

    @property
    def available(self) -> bool:
        """Unavailable when the unit is, or the PDU reports the outlet state as not available."""
        if not super().available:
            return False
        state = self._state
        return state is None or state.available

    @property
    def is_on(self) -> bool | None:
        """The relay state last commanded (off during a power cycle's off time); unknown for a
        power state this version does not know."""
        state = self._state
        if state is None:
            return None
        power = state.power_state
        return None if power is None else _POWER_STATES.get(power)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Pending switching: sequenced switch-on, running power cycle, load shedding."""
        state = self._state
        if state is None:
            return None
        return {
            "switch_on_in_progress": state.switch_on_in_progress,
            "cycle_in_progress": state.cycle_in_progress,
            "load_shed": state.is_load_shed,
            "suspended": state.is_suspended,
        }

    def _shown(self) -> tuple[Any, ...]:
        return (self.available, self.is_on, self.extra_state_attributes)


class RaritanFieldEntity(RaritanEntity):
    """An entity showing one sensor of a PDU object (by IDL field name) or an external sensor
    (field ``device``); the sensor and binary sensor platforms add how to read it."""

    entity_description: RaritanFieldDescription

    def __init__(self, coordinator: RaritanCoordinator, sensor: ObjectSensor) -> None:
        """Initialise the entity of ``sensor``, named by its description and object."""
        super().__init__(coordinator, sensor.target, sensor.key)
        target, description = sensor.target, sensor.description
        self.entity_description = description
        self._field = sensor.field
        self._attr_translation_key = description.name_key(
            target.kind, own_device=target.own_device
        )
        self._attr_entity_registry_enabled_default = target.kind in description.enabled_in
        self._rid: str | None = None
        placeholders = dict(target.placeholders)
        if sensor.index is not None:
            placeholders["number"] = str(sensor.index + 1)
        if placeholders:
            self._attr_translation_placeholders = placeholders
        if target.name:
            self._attr_name = target.name

    def _resolved_again(self) -> None:
        resolved = self._resolved
        info = sensors_of(resolved[1]).get(self._field) if resolved is not None else None
        self._rid = info.rid if info is not None else None

    @property
    def sensor_rid(self) -> str | None:
        """RID of the shown sensor in the current topology."""
        if self.coordinator.topology is not self._resolved_for:
            self._resolve()
        return self._rid

    def _rids(self) -> set[str]:
        rid = self.sensor_rid
        return {rid} if rid else set()


class RaritanActuatorEntity(RaritanEntity):
    """An actuator of an external sensor package (``sensors.Switch``): dry contact or door lock.

    Platforms add the entity type (switch, lock) and map :attr:`actuator_value` to their state:
    1 is ON for dry contacts and CLOSED (locked) for door locks.
    """

    def __init__(
        self, coordinator: RaritanCoordinator, target: MeteredObject, description: EntityDescription
    ) -> None:
        """Initialise the actuator ``target``; a slot name set on the PDU names it."""
        super().__init__(coordinator, target, description.key)
        self.entity_description = description
        if target.name:
            self._attr_name = target.name

    @property
    def peripheral(self) -> PeripheralInfo | None:
        """The actuator in the current topology."""
        obj = self.pdu_object
        return obj if isinstance(obj, PeripheralInfo) else None

    def _rids(self) -> set[str]:
        peripheral = self.peripheral
        return {peripheral.sensor.rid} if peripheral and peripheral.sensor else set()

    @property
    def actuator_value(self) -> int | None:
        """The actuator's state value from the last read (None when unknown)."""
        peripheral = self.peripheral
        if peripheral is None or peripheral.sensor is None:
            return None
        reading = self.coordinator.data.states.get(peripheral.sensor.rid)
        return None if reading is None else reading.value

    @raritan_command
    async def async_set_actuator(self, on: bool) -> None:
        """Switch the actuator; its confirming read (same request) updates the state."""
        peripheral = self.command_object(PeripheralInfo)
        if peripheral.sensor is None:
            raise object_unavailable(self.entity_id)
        wanted = 1 if on else 0

        def confirms(state: StateReading) -> bool:
            return state.value == wanted

        await async_command(
            self.coordinator,
            ReadTarget(peripheral.sensor.rid, ReadKind.STATE),
            self.coordinator.client.set_actuator(peripheral, on=on),
            confirms,
        )
