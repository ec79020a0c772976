"""Base entity, stable object addressing and device info helpers of the Raritan PDU platforms.

Entities never keep a resource id (RID): opaque RIDs change after a PDU reboot or firmware
update. They keep an :class:`ObjectRef` (unit serial + stable index / peripheral key) and the IDL
sensor field name, and resolve the RID through ``coordinator.topology`` whenever they read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import RaritanConfigEntry, RaritanCoordinator
from .xerus.const import PowerLine
from .xerus.exceptions import (
    XerusAuthenticationError,
    XerusConnectionError,
    XerusDeviceError,
    XerusError,
    XerusPrivilegeError,
)
from .xerus.models import (
    InletInfo,
    OcpInfo,
    OutletInfo,
    OutletState,
    PeripheralInfo,
    PoleInfo,
    SensorInfo,
    StateReading,
    Topology,
    UnitTopology,
)

type PduObject = UnitTopology | OutletInfo | InletInfo | PoleInfo | OcpInfo | PeripheralInfo

KIND_UNIT = "unit"
KIND_OUTLET = "outlet"
KIND_INLET = "inlet"
KIND_POLE = "pole"
KIND_OCP = "ocp"
KIND_EXT = "ext"


def line_key(pole: PoleInfo) -> str:
    """Stable, readable key of a pole: ``l1``, ``l2``, ``neutral`` ... (index if unknown)."""
    if isinstance(pole.line, PowerLine):
        return pole.line.name.lower()
    if pole.line is not None:
        return f"line{pole.line}"
    return f"pole{pole.index + 1}"


def is_phase(pole: PoleInfo) -> bool:
    """Whether the pole is a phase conductor (L1, L2, L3), not neutral or earth."""
    return pole.line in (PowerLine.L1, PowerLine.L2, PowerLine.L3)


def line_label(pole: PoleInfo) -> str:
    """Label shown in entity names: the pole label, else ``L1``/``N``/``PE``..."""
    if pole.label:
        return pole.label
    if isinstance(pole.line, PowerLine):
        return {
            PowerLine.NEUTRAL: "N",
            PowerLine.EARTH: "PE",
            PowerLine.PLUS: "+",
            PowerLine.MINUS: "-",
        }.get(pole.line, pole.line.name)
    return line_key(pole).upper()


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Stable address of an object of a PDU (survives RID changes and reboots).

    ``index`` is the 0-based outlet/inlet/OCP index (for a pole: of its inlet), ``line`` the
    pole's line key, ``ext_key`` the peripheral's ``unique_key``.
    """

    serial: str
    kind: str
    index: int = 0
    line: str = ""
    ext_key: str = ""

    @property
    def object_id(self) -> str:
        """The object part of unique ids (architecture §3)."""
        if self.kind == KIND_UNIT:
            return "unit"
        if self.kind == KIND_POLE:
            return f"inlet_{self.index + 1}_pole_{self.line}"
        if self.kind == KIND_EXT:
            return f"ext_{self.ext_key}"
        return f"{self.kind}_{self.index + 1}"

    def unique_id(self, key: str) -> str:
        """Entity unique id: ``<serial>_<object>_<key>``."""
        return f"{self.serial}_{self.object_id}_{key}"

    @classmethod
    def for_unit(cls, unit: UnitTopology) -> ObjectRef:
        return cls(unit.identity.unique_id, KIND_UNIT)

    @classmethod
    def for_outlet(cls, unit: UnitTopology, outlet: OutletInfo) -> ObjectRef:
        return cls(unit.identity.unique_id, KIND_OUTLET, outlet.index)

    @classmethod
    def for_inlet(cls, unit: UnitTopology, inlet: InletInfo) -> ObjectRef:
        return cls(unit.identity.unique_id, KIND_INLET, inlet.index)

    @classmethod
    def for_pole(cls, unit: UnitTopology, inlet: InletInfo, pole: PoleInfo) -> ObjectRef:
        return cls(unit.identity.unique_id, KIND_POLE, inlet.index, line_key(pole))

    @classmethod
    def for_ocp(cls, unit: UnitTopology, ocp: OcpInfo) -> ObjectRef:
        return cls(unit.identity.unique_id, KIND_OCP, ocp.index)

    @classmethod
    def for_peripheral(cls, unit: UnitTopology, peripheral: PeripheralInfo) -> ObjectRef:
        return cls(unit.identity.unique_id, KIND_EXT, ext_key=peripheral.unique_key)


def find_unit(topology: Topology, serial: str) -> UnitTopology | None:
    """The unit with this serial number (primary or link unit), if it is in the topology."""
    for unit in topology.units:
        if unit.identity.unique_id == serial:
            return unit
    return None


def resolve(topology: Topology, ref: ObjectRef) -> tuple[UnitTopology, PduObject] | None:
    """Find the unit and the object ``ref`` addresses in the current topology."""
    unit = find_unit(topology, ref.serial)
    if unit is None:
        return None
    obj: PduObject | None = None
    if ref.kind == KIND_UNIT:
        obj = unit
    elif ref.kind == KIND_OUTLET:
        obj = next((o for o in unit.outlets if o.index == ref.index), None)
    elif ref.kind == KIND_INLET:
        obj = next((i for i in unit.inlets if i.index == ref.index), None)
    elif ref.kind == KIND_POLE:
        inlet = next((i for i in unit.inlets if i.index == ref.index), None)
        if inlet is not None:
            obj = next((p for p in inlet.poles if line_key(p) == ref.line), None)
    elif ref.kind == KIND_OCP:
        obj = next((o for o in unit.ocps if o.index == ref.index), None)
    elif ref.kind == KIND_EXT:
        obj = next((p for p in unit.peripherals if p.unique_key == ref.ext_key), None)
    return None if obj is None else (unit, obj)


def sensors_of(obj: PduObject) -> Mapping[str, SensorInfo]:
    """The sensors of an object keyed by IDL field name (a peripheral's own sensor: ``device``)."""
    if isinstance(obj, PeripheralInfo):
        return {"device": obj.sensor} if obj.sensor is not None else {}
    return obj.sensors


# --- device info ------------------------------------------------------------------------------


def _manufacturer(unit: UnitTopology) -> str:
    return unit.identity.manufacturer or unit.identity.brand or MANUFACTURER


def unit_device_info(unit: UnitTopology) -> DeviceInfo:
    """Link to the device of a unit.

    The coordinator registers the unit devices with their full details
    (``RaritanCoordinator.async_register_devices``); entities only refer to them, so both
    never disagree about a name or a detail.
    """
    return DeviceInfo(identifiers={(DOMAIN, unit.identity.unique_id)})


def outlet_device_info(unit: UnitTopology, outlet: OutletInfo) -> DeviceInfo:
    """Child device of one outlet, named like the outlet on the PDU."""
    serial = unit.identity.unique_id
    return DeviceInfo(
        identifiers={(DOMAIN, f"{serial}_outlet_{outlet.number}")},
        name=outlet.name or f"Outlet {outlet.label or outlet.number}",
        manufacturer=_manufacturer(unit),
        model=outlet.receptacle_type or None,
        via_device=(DOMAIN, serial),
    )


def inlet_device_info(unit: UnitTopology, inlet: InletInfo) -> DeviceInfo:
    """Child device of one inlet (only units with several inlets have these)."""
    serial = unit.identity.unique_id
    return DeviceInfo(
        identifiers={(DOMAIN, f"{serial}_inlet_{inlet.index + 1}")},
        name=inlet.display_name,
        manufacturer=_manufacturer(unit),
        model=inlet.plug_type or None,
        via_device=(DOMAIN, serial),
    )


def peripheral_device_info(unit: UnitTopology, peripheral: PeripheralInfo) -> DeviceInfo:
    """Child device of an external sensor package (all slots sharing the package serial)."""
    serial = unit.identity.unique_id
    package = peripheral.serial or f"slot{peripheral.slot_index + 1}"
    return DeviceInfo(
        identifiers={(DOMAIN, f"{serial}_ext_{package}")},
        name=f"{peripheral.package_class} {peripheral.serial}".strip() or package,
        manufacturer=_manufacturer(unit),
        model=peripheral.package_class or None,
        serial_number=peripheral.serial or None,
        via_device=(DOMAIN, serial),
    )


def _link_parent(coordinator: RaritanCoordinator, info: DeviceInfo) -> DeviceInfo:
    """Refer to the parent device by its registry id where Home Assistant expects that.

    Home Assistant 2026.8 deprecated ``via_device`` (an identifier) for ``via_device_id`` (removal
    in 2027.8); 2025.4 knows only ``via_device``. Use the new key when the registry offers the
    lookup and the parent (a unit device, registered by the coordinator) exists.
    """
    via = info.get("via_device")
    registry = dr.async_get(coordinator.hass)
    lookup = getattr(registry, "async_get_device_by_identifier", None)
    if via is None or lookup is None:
        return info
    parent = lookup(via, coordinator.config_entry.entry_id)  # pragma: no cover - HA 2026.8+
    if parent is None:  # pragma: no cover - HA 2026.8+
        return info
    linked: dict[str, Any] = {
        k: v for k, v in info.items() if k != "via_device"
    }  # pragma: no cover
    linked["via_device_id"] = parent.id  # pragma: no cover - HA 2026.8+
    return cast(DeviceInfo, linked)  # pragma: no cover - HA 2026.8+


def has_inlet_devices(unit: UnitTopology) -> bool:
    """Units with several inlets get a device per inlet; single-inlet units keep it on the unit."""
    return len(unit.inlets) > 1


def device_info_for(unit: UnitTopology, obj: PduObject) -> DeviceInfo:
    """The device an object's entities belong to."""
    if isinstance(obj, OutletInfo):
        return outlet_device_info(unit, obj)
    if isinstance(obj, PeripheralInfo):
        return peripheral_device_info(unit, obj)
    if isinstance(obj, InletInfo) and has_inlet_devices(unit):
        return inlet_device_info(unit, obj)
    if isinstance(obj, PoleInfo) and has_inlet_devices(unit):
        inlet = next(i for i in unit.inlets if any(p is obj for p in i.poles))
        return inlet_device_info(unit, inlet)
    return unit_device_info(unit)


@callback
def async_update_child_devices(
    hass: HomeAssistant, entry: RaritanConfigEntry, topology: Topology
) -> None:
    """Rename outlet/inlet/sensor package devices after a topology refresh.

    Device info of an entity is applied only when it is added; names set on the PDU later (an
    outlet renamed in its web UI) reach Home Assistant here. A name the user set in Home
    Assistant (``name_by_user``) still wins.
    """
    registry = dr.async_get(hass)
    infos: list[DeviceInfo] = []
    for unit in topology.units:
        infos.extend(outlet_device_info(unit, outlet) for outlet in unit.outlets)
        if has_inlet_devices(unit):
            infos.extend(inlet_device_info(unit, inlet) for inlet in unit.inlets)
        infos.extend(peripheral_device_info(unit, p) for p in unit.peripherals)
    # Look devices up among this entry's own (identifiers are unique per config entry only).
    devices = {
        identifier: device
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        for identifier in device.identifiers
    }
    for info in infos:
        name = info.get("name")
        device = next((devices[i] for i in info["identifiers"] if i in devices), None)
        if device is not None and name and device.name != name:
            registry.async_update_device(device.id, name=name)


# --- base entity ------------------------------------------------------------------------------


class RaritanEntity(CoordinatorEntity[RaritanCoordinator]):
    """An entity of one object of a PDU unit.

    Subclasses implement :meth:`_rids` (what the poll must read for this entity); the base class
    registers those RIDs with the coordinator while the entity is in Home Assistant (so disabled
    entities cost nothing) and re-registers them when a topology refresh changed them.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        ref: ObjectRef,
        key: str,
        device_info: DeviceInfo,
    ) -> None:
        """Initialise the entity for the object ``ref``; ``key`` is the entity key."""
        super().__init__(coordinator)
        self._ref = ref
        self._attr_unique_id = ref.unique_id(key)
        self._attr_device_info = _link_parent(coordinator, device_info)
        self._registered: frozenset[str] = frozenset()
        self._unregister_rids: CALLBACK_TYPE | None = None
        self._resolved_for: Topology | None = None
        self._resolved: tuple[UnitTopology, PduObject] | None = None

    # resolution through the current topology

    def _resolve(self) -> tuple[UnitTopology, PduObject] | None:
        topology = self.coordinator.topology
        if topology is not self._resolved_for:
            self._resolved = resolve(topology, self._ref)
            self._resolved_for = topology
        return self._resolved

    @property
    def pdu_object(self) -> PduObject | None:
        """The object of this entity in the current topology (``None`` if it vanished)."""
        resolved = self._resolve()
        return resolved[1] if resolved else None

    def _rids(self) -> set[str]:
        """RIDs this entity reads in every poll (none for command-only entities)."""
        return set()

    # RID registration

    @callback
    def _sync_rids(self) -> None:
        rids = frozenset(self._rids())
        if rids == self._registered and (self._unregister_rids is not None or not rids):
            return
        old = self._unregister_rids
        self._unregister_rids = self.coordinator.async_register_rids(rids) if rids else None
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
    def _handle_topology_update(self, *_: Any) -> None:
        """The topology was refreshed: RIDs (and names) may have changed."""
        self._sync_rids()
        self.async_write_ha_state()

    # availability

    @property
    def available(self) -> bool:
        """Unavailable when the poll failed, the unit is not OK or the object vanished."""
        if not super().available:
            return False
        resolved = self._resolve()
        if resolved is None:
            return False
        if not self.coordinator.unit_available(resolved[0].pdu_id):
            return False
        data = self.coordinator.data
        if data is not None and data.errors:
            return not any(rid in data.errors for rid in self._registered)
        return True


class RaritanFieldEntity(RaritanEntity):
    """An entity showing one sensor of a PDU object (by IDL field name) or an external sensor
    (field ``device``); the sensor and binary sensor platforms add how to read it."""

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        ref: ObjectRef,
        description: EntityDescription,
        device_info: DeviceInfo,
        *,
        field: str,
        placeholders: dict[str, str] | None = None,
        name: str | None = None,
    ) -> None:
        """Initialise the entity of ``field`` of the object ``ref``."""
        super().__init__(coordinator, ref, description.key, device_info)
        self.entity_description = description
        self._field = field
        if placeholders:
            self._attr_translation_placeholders = placeholders
        if name:
            self._attr_name = name

    @property
    def sensor_rid(self) -> str | None:
        """RID of the shown sensor in the current topology."""
        return sensor_rid(self, self._field)

    def _rids(self) -> set[str]:
        rid = self.sensor_rid
        return {rid} if rid else set()


class RaritanActuatorEntity(RaritanEntity):
    """An actuator of an external sensor package (``sensors.Switch``): dry contact or door lock.

    Platforms add the entity type (switch, lock) and map :attr:`actuator_value` to their state:
    1 is ON for dry contacts and CLOSED (locked) for door locks.
    """

    def __init__(
        self,
        coordinator: RaritanCoordinator,
        ref: ObjectRef,
        description: EntityDescription,
        device_info: DeviceInfo,
        name: str | None,
    ) -> None:
        """Initialise the actuator ``ref``; ``name`` is the slot name set on the PDU."""
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
    def actuator_value(self) -> int | None:
        """The actuator's state value from the last read (None when unknown)."""
        peripheral = self.peripheral
        data = self.coordinator.data
        if peripheral is None or peripheral.sensor is None or data is None:
            return None
        reading = data.states.get(peripheral.sensor.rid)
        return None if reading is None else reading.value

    async def async_set_actuator(self, on: bool) -> None:
        """Switch the actuator; its confirming read (same request) updates the state."""
        peripheral = self.peripheral
        if peripheral is None or peripheral.sensor is None:
            raise vanished_error(self.entity_id)
        state = await async_run_command(
            self.coordinator.client.set_actuator(peripheral, on=on),
            peripheral.display_name,
            actuator=True,
        )
        async_store_state_reading(self.coordinator, peripheral.sensor.rid, state)


def sensor_rid(entity: RaritanEntity, field: str) -> str | None:
    """RID of the sensor ``field`` of the entity's object in the current topology."""
    obj = entity.pdu_object
    if obj is None:
        return None
    info = sensors_of(obj).get(field)
    return info.rid if info is not None else None


# --- commands --------------------------------------------------------------------------------


async def async_run_command[T](awaitable: Awaitable[T], name: str, *, actuator: bool = False) -> T:
    """Await a device command; translate every failure into a ``HomeAssistantError``."""
    placeholders = {"name": name}
    try:
        return await awaitable
    except XerusDeviceError as err:
        if actuator:
            key = "actuator_failed"
        else:
            key = {
                XerusDeviceError.ERR_OUTLET_NOT_SWITCHABLE: "outlet_not_switchable",
                XerusDeviceError.ERR_LOAD_SHEDDING_ACTIVE: "load_shedding_active",
                XerusDeviceError.ERR_OUTLET_DISABLED: "outlet_disabled",
                XerusDeviceError.ERR_RELAY_CONTROL_DISABLED: "relay_control_inhibited",
            }.get(err.code, "command_failed")
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={**placeholders, "code": str(err.code)},
        ) from err
    except XerusPrivilegeError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="insufficient_privileges",
            translation_placeholders=placeholders,
        ) from err
    except XerusAuthenticationError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders=placeholders,
        ) from err
    except XerusConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="communication_error",
            translation_placeholders={**placeholders, "error": str(err)},
        ) from err
    except XerusError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_error",
            translation_placeholders={**placeholders, "error": str(err)},
        ) from err


@callback
def async_store_outlet_state(coordinator: RaritanCoordinator, rid: str, state: OutletState) -> None:
    """Publish the confirming read of an outlet command without another poll."""
    data = coordinator.data
    if data is None:  # pragma: no cover - commands only exist after the first refresh
        return
    data.outlets[rid] = state
    data.errors.pop(rid, None)
    coordinator.async_update_listeners()


@callback
def async_store_state_reading(
    coordinator: RaritanCoordinator, rid: str, state: StateReading
) -> None:
    """Publish the confirming read of an actuator command without another poll."""
    data = coordinator.data
    if data is None:  # pragma: no cover - commands only exist after the first refresh
        return
    data.states[rid] = state
    data.errors.pop(rid, None)
    coordinator.async_update_listeners()


def vanished_error(name: str) -> HomeAssistantError:
    """Error for a command on an object that is no longer in the topology."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="object_unavailable",
        translation_placeholders={"name": name},
    )


# --- dynamic entity creation ----------------------------------------------------------------


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
    def _add(*_: Any) -> None:
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
