"""Topology discovery in a fixed number of ``/bulk`` round trips.

Every unit (the primary ``/model/pdu/0`` and each link unit ``/model/pdu/<id>`` whose cascade
status is OK) advances one step per round trip; each round trip carries the current step of every
unit in ONE bulk, so the number of HTTP requests does not depend on the number of outlets or link
units. Per unit:

* step 1 - ``Pdu``: getMetaData, getSettings, getOutlets, getInlets, getOverCurrentProtectors,
  getSensors, getPeripheralDeviceManager; device manager (well-known RID
  ``/model/peripheraldevicemanager``, ``/link/<id>/...`` for link units): getDeviceSlots,
  getDeviceTypeInfos. Round 1 also carries ``/cascade getStatus``.
* step 2 - per outlet/inlet/OCP: getMetaData, getSettings, getSensors (+ inlet getPoles);
  metadata of the unit-total sensors; every slot's getDevice + getSettings
* step 3 - getMetaData (numeric) / getTypeSpec (state) of every outlet/inlet/pole/OCP sensor and
  getMetaData of the numeric peripheral sensors

The primary runs in rounds 1-3, link units (known after round 1) in rounds 2-4: 4 HTTP requests
(plus ``newSession`` when a session token is used), more only if the device rejects a bulk size
or the well-known device manager RID (then the returned reference is used, one more round).
A link unit whose sub-requests fail is dropped from the topology and reported in
``Topology.unavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .const import (
    RID_CASCADE,
    RID_PERIPHERAL_MANAGER,
    CascadeRole,
    LinkUnitStatus,
    OcpType,
    pdu_rid,
    to_enum,
)
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
    """State machine of one unit's discovery.

    Two chains advance in parallel, one step per round trip: the structure chain (stage 0 Pdu,
    1 components, 2 sensor metadata) and the peripheral chain (slots via the well-known device
    manager RID, then getDevice/getSettings, then numeric peripheral metadata; if the well-known
    RID fails, the slots are read through the reference ``getPeripheralDeviceManager`` returned).
    """

    def __init__(self, pdu_id: int, role: CascadeRole | int, primary_host: str | None) -> None:
        self.pdu_id = pdu_id
        self.rid = pdu_rid(pdu_id)
        self.role = role
        self.primary_host = primary_host
        self.stage = 0
        self.periph = "wellknown"
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
        self._peripherals_built = False

    @property
    def pdm_wellknown_rid(self) -> str:
        if self.pdu_id == 0:
            return RID_PERIPHERAL_MANAGER
        return f"/link/{self.pdu_id}{RID_PERIPHERAL_MANAGER}"

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

    # -- scheduling

    def _peripheral_pending(self) -> bool:
        if self.periph == "wellknown":
            return True
        if self.periph == "fallback":
            return self.pdm is not None
        if self.periph == "devices":
            return bool(self.slot_refs)
        if self.periph == "metadata":
            self._build_peripherals()
            return any(not s.is_state for s in self.peripheral_sensors.values())
        return False

    @property
    def has_pending_work(self) -> bool:
        """True while a next round trip would send calls for this unit."""
        if self.error is not None:
            return False
        return self.stage <= 2 or self._peripheral_pending()

    def add_stage(self, rnd: _Round) -> None:
        """Add this unit's next step(s) to the round."""
        if not self.has_pending_work:
            return
        stage = self.stage
        self.stage += 1
        if stage == 0:
            self._stage_pdu(rnd)
        elif stage == 1:
            self._stage_components(rnd)
        elif stage == 2:
            self._stage_sensor_metadata(rnd)
        if self._peripheral_pending():
            self._peripheral_step(rnd)
        else:
            self.periph = "done"

    def _set(self, attr: str) -> Callable[[Any], None]:
        return lambda value: setattr(self, attr, value)

    # -- structure chain

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

    def _stage_sensor_metadata(self, rnd: _Round) -> None:
        for comp in (*self.outlets, *self.inlets, *self.ocps):
            _add_sensor_metadata(rnd, comp.sensors)
            for pole in comp.poles:
                _add_sensor_metadata(rnd, pole.sensors)

    # -- peripheral chain

    def _peripheral_step(self, rnd: _Round) -> None:
        state = self.periph
        if state in ("wellknown", "fallback"):
            rid = (
                self.pdm_wellknown_rid
                if state == "wellknown" or self.pdm is None
                else (self.pdm.rid)
            )

            def on_slots(value: Any, state: str = state) -> None:
                if isinstance(value, XerusError):
                    _LOGGER.debug("unit %s: getDeviceSlots (%s): %s", self.pdu_id, state, value)
                    self.periph = "fallback" if state == "wellknown" else "done"
                    return
                self.slot_refs = decode_refs(value)
                self.periph = "devices"

            # Until the answer arrives the chain waits (state "waiting").
            self.periph = "waiting"
            rnd.add(rid, "getDeviceSlots", on_slots)
            rnd.add(
                rid,
                "getDeviceTypeInfos",
                self._optional(
                    lambda v: self.type_names.update(decode_device_type_infos(v)),
                    "getDeviceTypeInfos",
                ),
            )
        elif state == "devices":
            for index, slot in enumerate(self.slot_refs):

                def store_device(value: Any, index: int = index) -> None:
                    self.slot_devices[index] = value

                def store_settings(value: Any, index: int = index) -> None:
                    self.slot_settings[index] = value

                rnd.add(slot.rid, "getDevice", self._optional(store_device, "getDevice"))
                rnd.add(slot.rid, "getSettings", self._optional(store_settings, "slot settings"))
            self.periph = "metadata"
        elif state == "metadata":
            self._build_peripherals()
            for key, info in self.peripheral_sensors.items():
                if info.is_state:
                    continue

                def on_meta(value: Any, key: str = key) -> None:
                    if not isinstance(value, XerusError):
                        sensor = self.peripheral_sensors[key]
                        self.peripheral_sensors[key] = sensor.with_numeric_metadata(value)

                rnd.add(info.rid, "getMetaData", on_meta)
            self.periph = "done"

    def _build_peripherals(self) -> None:
        if self._peripherals_built:
            return
        self._peripherals_built = True
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

    # -- result

    def build(self) -> UnitTopology:
        if self.periph in ("metadata", "done") and self.slot_devices:
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
    links = {link_id: _UnitDiscovery(link_id, CascadeRole.LINK_UNIT, None) for link_id in link_ok}
    units = [primary, *links.values()]
    while any(unit.has_pending_work for unit in units):
        rnd = _Round()
        for unit in units:
            unit.add_stage(rnd)
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
