"""Event entities for what users automate on when something happens at the PDU (issue #10):
an outlet switched (and by whom), a breaker tripped, an alarm raised or cleared.

They are fed by the events the PDU pushes (``push.py``); without the event service they stay
without events (the states of the switches, trip sensors and alarms still follow the polls).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarms import severity, unit_watched
from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .entity import RaritanEntity
from .helpers import async_setup_topology_entities
from .objects import MeteredObject, metered_objects, outlet_object, unit_object
from .xerus import (
    Event,
    NumericStateChanged,
    OcpInfo,
    OutletInfo,
    OutletPowerControl,
    PowerState,
    ThresholdState,
    Topology,
    TripStateChanged,
    UnitTopology,
)

PARALLEL_UPDATES = 0

#: Outlet switched: by whom (user name, address; the PDU's display reports address "display").
OUTLET_DESCRIPTION = EventEntityDescription(
    key="power_event",
    translation_key="outlet_power",
    event_types=["switched_on", "switched_off", "cycled"],
    entity_registry_enabled_default=False,
)
#: Breaker tripped or closed again.
BREAKER_DESCRIPTION = EventEntityDescription(
    key="trip_event",
    translation_key="ocp_trip",
    event_types=["tripped", "recovered"],
)
#: A sensor of the unit entered warning or critical state, or went back to normal.
ALARM_DESCRIPTION = EventEntityDescription(
    key="alarm_event",
    translation_key="alarm",
    event_types=["warning", "critical", "cleared"],
)
#: OpenClosedState of a trip sensor: 0 = open = tripped, 1 = closed.
_TRIPPED, _CLOSED = 0, 1


def build_entities(entry: RaritanConfigEntry, topology: Topology) -> list[RaritanEventEntity]:
    """The event entities of every unit: alarm, breakers, switchable outlets."""
    coordinator = entry.runtime_data
    entities: list[RaritanEventEntity] = []
    for unit in topology.units:
        entities.append(RaritanAlarmEvent(coordinator, unit_object(unit)))
        entities += [
            RaritanTripEvent(coordinator, target)
            for target in metered_objects(unit)
            if isinstance(target.obj, OcpInfo) and "trip" in target.obj.sensors
        ]
        entities += [
            RaritanOutletEvent(coordinator, outlet_object(unit, outlet))
            for outlet in unit.outlets
            if unit.identity.has_switchable_outlets and outlet.is_switchable
        ]
    return entities


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RaritanConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the event entities of every unit, and of objects that appear later."""
    async_setup_topology_entities(entry, async_add_entities, build_entities)


class RaritanEventEntity(RaritanEntity, EventEntity):
    """An event entity of one object, fed by the PDU's pushed events."""

    entity_description: EventEntityDescription

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        target: MeteredObject,
        description: EventEntityDescription,
    ) -> None:
        """Initialise the event entity ``description`` of ``target``."""
        super().__init__(coordinator, target, description.key)
        self.entity_description = description
        if target.placeholders:
            self._attr_translation_placeholders = dict(target.placeholders)

    async def async_added_to_hass(self) -> None:
        """Listen to the pushed events."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_event_listener(self._handle_event))

    @callback
    def _handle_event(self, event: Event) -> None:
        found = self._event_type(event)
        if found is not None:
            event_type, attributes = found
            self._trigger_event(event_type, attributes)
            self.async_write_ha_state()

    def _event_type(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        """The event type (and attributes) this PDU event is for this entity, if any."""
        raise NotImplementedError


def _actor(event: Event) -> dict[str, Any]:
    return {"user": event.user or None, "address": event.ip or None}


class RaritanOutletEvent(RaritanEventEntity):
    """Outlet switched on, off or power-cycled, with who did it."""

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the outlet's event entity."""
        super().__init__(coordinator, target, OUTLET_DESCRIPTION)

    def _event_type(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        outlet = self.pdu_object
        if not isinstance(event, OutletPowerControl) or not isinstance(outlet, OutletInfo):
            return None
        if event.source != outlet.rid:
            return None
        if event.cycle:
            return "cycled", _actor(event)
        if event.power_state is PowerState.ON:
            return "switched_on", _actor(event)
        if event.power_state is PowerState.OFF:
            return "switched_off", _actor(event)
        return None


class RaritanTripEvent(RaritanEventEntity):
    """Breaker tripped, or closed again."""

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the breaker's event entity."""
        super().__init__(coordinator, target, BREAKER_DESCRIPTION)

    def _event_type(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        ocp = self.pdu_object
        if not isinstance(event, TripStateChanged) or not isinstance(ocp, OcpInfo):
            return None
        trip = ocp.sensors.get("trip")
        if trip is None or event.source != trip.rid or event.new.value == event.old.value:
            return None
        attributes: dict[str, Any] = {"cause": event.trip_cause}
        if event.new.value == _TRIPPED:
            return "tripped", attributes
        return ("recovered", attributes) if event.new.value == _CLOSED else None


class RaritanAlarmEvent(RaritanEventEntity):
    """A watched sensor of the unit entered warning or critical state, or left it."""

    def __init__(self, coordinator: RaritanCoordinator, target: MeteredObject) -> None:
        """Initialise the unit's alarm events."""
        super().__init__(coordinator, target, ALARM_DESCRIPTION)
        self._labels: dict[str, str] = {}

    def _resolved_again(self) -> None:
        resolved = self._resolved
        unit: UnitTopology | None = resolved[0] if resolved is not None else None
        self._labels = (
            {item.info.rid: item.label for item in unit_watched(unit)} if unit is not None else {}
        )

    def _event_type(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        self._resolve()
        if not isinstance(event, NumericStateChanged) or event.source not in self._labels:
            return None
        old, new = event.old.threshold_state, event.new.threshold_state
        if new is None or severity(new) == severity(old):
            return None
        attributes = {"sensor": self._labels[event.source], "value": event.new.value}
        if new is ThresholdState.NORMAL:
            return "cleared", attributes
        return new.value, attributes
