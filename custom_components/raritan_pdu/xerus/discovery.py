"""Topology discovery in a fixed number of ``/bulk`` round trips.

Every unit (the primary ``/model/pdu/0`` and each link unit ``/model/pdu/<id>`` whose cascade
status is OK) walks through the same four stages; each round trip sends the current stage of every
unit in ONE bulk, so the number of HTTP requests does not depend on the number of outlets or link
units:

* stage 0 - ``Pdu``: getMetaData, getSettings, getOutlets, getInlets, getOverCurrentProtectors,
  getSensors, getPeripheralDeviceManager (round 1 also carries ``/cascade getStatus``)
* stage 1 - per outlet/inlet/OCP: getMetaData, getSettings, getSensors (+ inlet getPoles);
  peripheral manager getDeviceSlots + getDeviceTypeInfos; metadata of the unit-total sensors
* stage 2 - every slot's getDevice + getSettings; getMetaData (numeric) / getTypeSpec (state)
  of every outlet/inlet/pole/OCP sensor
* stage 3 - getMetaData of numeric peripheral sensors (skipped if there are none)

The primary runs stages 0-3 in rounds 1-4, link units in rounds 2-5: at most 5 HTTP requests
(more only if the device rejects a bulk size and the client splits it). A link unit whose
sub-requests fail is dropped from the topology and reported in ``Topology.unavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .const import RID_CASCADE, CascadeRole, LinkUnitStatus, OcpType, pdu_rid, to_enum
from .exceptions import XerusError
from .models import (
    CascadeStatus,
    InletInfo,
    OcpInfo,
    OutletInfo,
    OutletMetaData,
    OutletSettings,
    PduIdentity,
    PeripheralInfo,
    PoleInfo,
    Rating,
    Ref,
    SensorInfo,
    SensorKind,
    Topology,
    UnitTopology,
    _obj,
    _str,
    decode_device_type_infos,
    decode_refs,
    decode_sensor_refs,
)
from .rpc import BulkCall, decode_sub_response, unwrap_result

if TYPE_CHECKING:
    from .client import XerusClient

_LOGGER = logging.getLogger(__name__)

type Handler = Callable[[Any], None]


class _Round:
    """The calls of one round trip and the handlers of their results."""

    def __init__(self) -> None:
        self.calls: list[BulkCall] = []
        self.handlers: list[Handler] = []

    def add(
        self, rid: str, method: str, handler: Handler, params: dict[str, Any] | None = None
    ) -> None:
        self.calls.append(BulkCall(rid, method, params))
        self.handlers.append(handler)

    async def run(self, client: XerusClient) -> None:
        raw = await client.bulk_raw([call.fragment(i) for i, call in enumerate(self.calls)])
        for handler, item in zip(self.handlers, raw, strict=True):
            decoded = decode_sub_response(item)
            handler(decoded if isinstance(decoded, XerusError) else unwrap_result(decoded))


class _Component:
    """Mutable discovery state of one outlet / inlet / OCP."""

    __slots__ = ("index", "meta", "poles", "ref", "sensors", "settings")

    def __init__(self, index: int, ref: Ref) -> None:
        self.index = index
        self.ref = ref
        self.meta: dict[str, Any] = {}
        self.settings: dict[str, Any] = {}
        self.sensors: dict[str, SensorInfo] = {}
        self.poles: list[PoleInfo] = []


def _add_sensor_metadata(rnd: _Round, sensors: dict[str, SensorInfo]) -> None:
    """getMetaData (numeric) / getTypeSpec (state) for every sensor; failures keep defaults."""
    for key, info in sensors.items():
        if info.kind is SensorKind.STATE:

            def on_spec(value: Any, key: str = key) -> None:
                if not isinstance(value, XerusError):
                    sensors[key] = sensors[key].with_type_spec(value)

            rnd.add(info.rid, "getTypeSpec", on_spec)
        else:

            def on_meta(value: Any, key: str = key) -> None:
                if not isinstance(value, XerusError):
                    sensors[key] = sensors[key].with_numeric_metadata(value)

            rnd.add(info.rid, "getMetaData", on_meta)


class _UnitDiscovery:
    """State machine of one unit's discovery."""

    def __init__(self, pdu_id: int, role: CascadeRole | int, primary_host: str | None) -> None:
        self.pdu_id = pdu_id
        self.rid = pdu_rid(pdu_id)
        self.role = role
        self.primary_host = primary_host
        self.stage = 0
        self.error: XerusError | None = None
        self.metadata: Any = None
        self.settings: Any = None
        self.outlets: list[_Component] = []
        self.inlets: list[_Component] = []
        self.ocps: list[_Component] = []
        self.sensors: dict[str, SensorInfo] = {}
        self.pdm: Ref | None = None
        self.slot_refs: list[Ref] = []
        self.slot_devices: dict[int, Any] = {}
        self.slot_settings: dict[int, Any] = {}
        self.type_names: dict[tuple[int, int, int, bool], str] = {}
        self.peripherals: list[PeripheralInfo] = []
        self.peripheral_sensors: dict[str, SensorInfo] = {}

    # -- result handlers

    def _fail(self, err: XerusError) -> None:
        if self.error is None:
            self.error = err

    def _essential(self, store: Callable[[Any], None]) -> Handler:
        def handler(value: Any) -> None:
            if isinstance(value, XerusError):
                self._fail(value)
            else:
                store(value)

        return handler

    def _optional(self, store: Callable[[Any], None], what: str) -> Handler:
        def handler(value: Any) -> None:
            if isinstance(value, XerusError):
                _LOGGER.debug("unit %s: %s failed: %s", self.pdu_id, what, value)
            else:
                store(value)

        return handler

    # -- stages

    @property
    def done(self) -> bool:
        return self.error is not None or self.stage > 3

    def add_stage(self, rnd: _Round) -> None:
        """Add this unit's next stage to the round (nothing once done or failed)."""
        if self.done:
            return
        stage = self.stage
        self.stage += 1
        if stage == 0:
            self._stage_pdu(rnd)
        elif stage == 1:
            self._stage_components(rnd)
        elif stage == 2:
            self._stage_slots_and_sensors(rnd)
        else:
            self._stage_peripheral_sensors(rnd)

    @property
    def has_pending_work(self) -> bool:
        """False when the remaining stages would send nothing."""
        if self.done:
            return False
        if self.stage == 3:
            return self._build_peripherals_needed()
        return True

    def _set(self, attr: str) -> Callable[[Any], None]:
        return lambda value: setattr(self, attr, value)

    def _stage_pdu(self, rnd: _Round) -> None:
        rid = self.rid
        rnd.add(rid, "getMetaData", self._essential(self._set("metadata")))
        rnd.add(rid, "getSettings", self._optional(self._set("settings"), "getSettings"))

        def components(target: list[_Component]) -> Callable[[Any], None]:
            def store(value: Any) -> None:
                target.extend(_Component(i, ref) for i, ref in enumerate(decode_refs(value)))

            return store

        rnd.add(rid, "getOutlets", self._essential(components(self.outlets)))
        rnd.add(rid, "getInlets", self._essential(components(self.inlets)))
        rnd.add(
            rid,
            "getOverCurrentProtectors",
            self._optional(components(self.ocps), "getOverCurrentProtectors"),
        )
        rnd.add(
            rid,
            "getSensors",
            self._optional(lambda v: self.sensors.update(decode_sensor_refs(v)), "getSensors"),
        )
        rnd.add(
            rid,
            "getPeripheralDeviceManager",
            self._optional(self._set_pdm, "getPeripheralDeviceManager"),
        )

    def _set_pdm(self, value: Any) -> None:
        self.pdm = Ref.from_json(value)

    def _stage_components(self, rnd: _Round) -> None:
        for comp in (*self.outlets, *self.inlets, *self.ocps):
            self._add_component_calls(rnd, comp)
        for comp in self.inlets:
            rnd.add(comp.ref.rid, "getPoles", self._optional(self._poles_store(comp), "getPoles"))
        if self.pdm is not None:
            rnd.add(
                self.pdm.rid,
                "getDeviceSlots",
                self._optional(lambda v: self.slot_refs.extend(decode_refs(v)), "getDeviceSlots"),
            )
            rnd.add(
                self.pdm.rid,
                "getDeviceTypeInfos",
                self._optional(
                    lambda v: self.type_names.update(decode_device_type_infos(v)),
                    "getDeviceTypeInfos",
                ),
            )
        _add_sensor_metadata(rnd, self.sensors)

    def _add_component_calls(self, rnd: _Round, comp: _Component) -> None:
        rid = comp.ref.rid

        def store_meta(value: Any) -> None:
            comp.meta = _obj(value)

        def store_settings(value: Any) -> None:
            comp.settings = _obj(value)

        def store_sensors(value: Any) -> None:
            comp.sensors = decode_sensor_refs(value)

        rnd.add(rid, "getMetaData", self._essential(store_meta))
        rnd.add(rid, "getSettings", self._optional(store_settings, "getSettings"))
        rnd.add(rid, "getSensors", self._essential(store_sensors))

    @staticmethod
    def _poles_store(comp: _Component) -> Callable[[Any], None]:
        def store(value: Any) -> None:
            if isinstance(value, list):
                comp.poles = [PoleInfo.from_json(i, pole) for i, pole in enumerate(value)]

        return store

    def _stage_slots_and_sensors(self, rnd: _Round) -> None:
        for index, slot in enumerate(self.slot_refs):

            def store_device(value: Any, index: int = index) -> None:
                self.slot_devices[index] = value

            def store_settings(value: Any, index: int = index) -> None:
                self.slot_settings[index] = value

            rnd.add(slot.rid, "getDevice", self._optional(store_device, "getDevice"))
            rnd.add(slot.rid, "getSettings", self._optional(store_settings, "slot getSettings"))
        for comp in (*self.outlets, *self.inlets, *self.ocps):
            _add_sensor_metadata(rnd, comp.sensors)
            for pole in comp.poles:
                _add_sensor_metadata(rnd, pole.sensors)

    def _build_peripherals_needed(self) -> bool:
        self._build_peripherals()
        return any(not s.is_state for s in self.peripheral_sensors.values())

    def _build_peripherals(self) -> None:
        if self.peripherals or not self.slot_devices:
            return
        for index, slot in enumerate(self.slot_refs):
            info = PeripheralInfo.from_json(
                index,
                slot.rid,
                self.slot_devices.get(index),
                self.slot_settings.get(index),
                pdu_id=self.pdu_id,
                type_names=self.type_names,
            )
            if info is None:
                continue
            self.peripherals.append(info)
            if info.sensor is not None:
                self.peripheral_sensors[str(index)] = info.sensor

    def _stage_peripheral_sensors(self, rnd: _Round) -> None:
        self._build_peripherals()
        numeric = {k: s for k, s in self.peripheral_sensors.items() if not s.is_state}
        for key, info in numeric.items():

            def on_meta(value: Any, key: str = key) -> None:
                if not isinstance(value, XerusError):
                    self.peripheral_sensors[key] = self.peripheral_sensors[
                        key
                    ].with_numeric_metadata(value)

            rnd.add(info.rid, "getMetaData", on_meta)

    # -- result

    def build(self) -> UnitTopology:
        self._build_peripherals()
        identity = PduIdentity.from_json(
            self.pdu_id,
            self.rid,
            self.metadata,
            self.settings,
            role=self.role,
            primary_host=self.primary_host,
        )
        outlets = []
        for comp in self.outlets:
            meta = OutletMetaData.from_json(comp.meta)
            settings = OutletSettings.from_json(comp.settings)
            outlets.append(
                OutletInfo(
                    index=comp.index,
                    rid=comp.ref.rid,
                    label=meta.label,
                    name=settings.name,
                    receptacle_type=meta.receptacle_type,
                    rating_current=meta.rating.current,
                    is_switchable=meta.is_switchable,
                    is_latching=meta.is_latching,
                    sensors=comp.sensors,
                    pdu_id=self.pdu_id,
                    settings=settings,
                )
            )
        inlets = [
            InletInfo(
                index=comp.index,
                rid=comp.ref.rid,
                label=_str(comp.meta, "label"),
                name=_str(comp.settings, "name"),
                plug_type=_str(comp.meta, "plugType"),
                rating_current=Rating.from_json(comp.meta.get("rating")).current,
                sensors=comp.sensors,
                poles=comp.poles,
                pdu_id=self.pdu_id,
            )
            for comp in self.inlets
        ]
        ocps = [
            OcpInfo(
                index=comp.index,
                rid=comp.ref.rid,
                label=_str(comp.meta, "label"),
                name=_str(comp.settings, "name"),
                type=to_enum(OcpType, comp.meta.get("type")),
                rating_current=Rating.from_json(comp.meta.get("rating")).current,
                sensors=comp.sensors,
                pdu_id=self.pdu_id,
            )
            for comp in self.ocps
        ]
        peripherals = [
            _with_sensor(p, self.peripheral_sensors.get(str(p.slot_index)))
            for p in self.peripherals
        ]
        return UnitTopology(identity, outlets, inlets, ocps, peripherals, dict(self.sensors))


def _with_sensor(info: PeripheralInfo, sensor: SensorInfo | None) -> PeripheralInfo:
    if sensor is None or sensor is info.sensor:
        return info
    return replace(info, sensor=sensor)


def _link_ids(status: CascadeStatus) -> tuple[list[int], dict[int, LinkUnitStatus | int]]:
    """Link ids to discover (status OK) and the reported status of every link id."""
    reported: dict[int, LinkUnitStatus | int] = {}
    if status.role == CascadeRole.LINK_UNIT:
        return [], reported
    for link_id, unit in sorted(status.link_units.items()):
        if link_id <= 0 or link_id == status.primary_link_id:
            continue  # the primary itself (4.4 may list the "always-present first unit")
        reported[link_id] = unit.status
    ok = [link_id for link_id, st in reported.items() if st == LinkUnitStatus.OK]
    return ok, reported


async def discover_topology(client: XerusClient) -> Topology:
    """Discover the primary and its link units; see the module docstring for the round trips."""
    cascade = CascadeStatus.standalone()

    def store_cascade(value: Any) -> None:
        nonlocal cascade
        if isinstance(value, XerusError):
            _LOGGER.debug("/cascade getStatus failed (%s): standalone unit", value)
        else:
            cascade = CascadeStatus.from_json(value)

    # Round 1: cascade status + primary stage 0.
    primary = _UnitDiscovery(0, CascadeRole.STANDALONE, None)
    rnd = _Round()
    rnd.add(RID_CASCADE, "getStatus", store_cascade)
    primary.add_stage(rnd)
    await rnd.run(client)
    if primary.error is not None:
        raise primary.error
    primary.role = cascade.role
    primary.primary_host = cascade.primary_host

    link_ok, link_status = _link_ids(cascade)
    links = {
        link_id: _UnitDiscovery(link_id, CascadeRole.LINK_UNIT, None) for link_id in link_ok
    }
    units = [primary, *links.values()]
    while any(unit.has_pending_work for unit in units):
        rnd = _Round()
        for unit in units:
            if unit.has_pending_work:
                unit.add_stage(rnd)
            elif not unit.done:
                unit.stage = 4
        if rnd.calls:
            await rnd.run(client)
        if primary.error is not None:
            raise primary.error

    link_units: dict[int, UnitTopology] = {}
    link_errors: dict[int, XerusError] = {}
    for link_id, unit in links.items():
        if unit.error is not None:
            _LOGGER.debug("link unit %s failed discovery: %s", link_id, unit.error)
            link_errors[link_id] = unit.error
        else:
            link_units[link_id] = unit.build()
    unavailable = frozenset(link_id for link_id in link_status if link_id not in link_units)
    return Topology(
        primary=primary.build(),
        link_units=link_units,
        link_status=link_status,
        unavailable=unavailable,
        link_errors=link_errors,
        cascade=cascade,
    )


__all__ = ["discover_topology"]
