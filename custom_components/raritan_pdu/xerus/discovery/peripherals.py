"""The peripheral chain of a unit's discovery: device slots and their devices.

A peripheral's type spec comes with its device (``getDevice``), its usual digits and range with
``getDeviceTypeInfos``: its own metadata is read only when the type infos did not give digits.
The model of its package (``getDiscoveredPackageInfos``) comes in the same round trip as the
slots.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import Enum, auto
from typing import Any

from ..const import RID_PERIPHERAL_MANAGER
from ..exceptions import XerusError
from ..models import (
    DeviceTypeDefaults,
    PeripheralInfo,
    Ref,
    SensorInfo,
    SensorKind,
    decode_device_type_defaults,
    decode_package_models,
)
from .rounds import Round, Warnings, add_sensor_metadata, optional

_LOGGER = logging.getLogger(__name__)


class PeripheralStep(Enum):
    """Where the peripheral chain of one unit is."""

    #: getDeviceSlots/getDeviceTypeInfos at the well-known device manager RID.
    SLOTS = auto()
    #: The well-known RID failed: the same through the reference getPeripheralDeviceManager gave.
    SLOTS_FALLBACK = auto()
    #: Slot calls are in the current round; its answer decides the next step.
    WAITING = auto()
    #: getDevice + getSettings of every slot.
    DEVICES = auto()
    #: getMetaData of the numeric peripheral sensors whose type infos gave no digits.
    METADATA = auto()
    DONE = auto()


class PeripheralDiscovery:
    """Device slots of one unit, one step per round trip."""

    def __init__(self, pdu_id: int, warnings: Warnings | None = None) -> None:
        self.pdu_id = pdu_id
        self.step = PeripheralStep.SLOTS
        #: The device manager reference of ``Pdu.getPeripheralDeviceManager`` (fallback RID).
        self.manager: Ref | None = None
        self._warnings = warnings or Warnings()
        #: ``(slot index, slot reference)``: the index is the position in getDeviceSlots.
        self._slots: list[tuple[int, Ref]] = []
        self._devices: dict[int, Any] = {}
        self._settings: dict[int, Any] = {}
        self._type_defaults: dict[tuple[int, int, int, bool], DeviceTypeDefaults] = {}
        #: Package serial -> model (``getDiscoveredPackageInfos``: ``hwInfo.model``).
        self._package_models: dict[str, str] = {}
        self._peripherals: list[PeripheralInfo] | None = None
        self._sensors: dict[str, SensorInfo] = {}

    @property
    def wellknown_rid(self) -> str:
        if self.pdu_id == 0:
            return RID_PERIPHERAL_MANAGER
        return f"/link/{self.pdu_id}{RID_PERIPHERAL_MANAGER}"

    @property
    def pending(self) -> bool:
        """True while a next round trip would send calls."""
        step = self.step
        if step is PeripheralStep.SLOTS:
            return True
        if step is PeripheralStep.SLOTS_FALLBACK:
            return self.manager is not None
        if step is PeripheralStep.DEVICES:
            return bool(self._slots)
        if step is PeripheralStep.METADATA:
            return any(_needs_metadata(s) for s in self._build().values())
        return False

    def add_step(self, rnd: Round) -> None:
        """Add the next step's calls to the round (or finish the chain)."""
        if not self.pending:
            self.step = PeripheralStep.DONE
        elif self.step is PeripheralStep.DEVICES:
            self._add_devices(rnd)
        elif self.step is PeripheralStep.METADATA:
            add_sensor_metadata(rnd, self._sensors, numeric_only=True, wanted=_needs_metadata)
            self.step = PeripheralStep.DONE
        else:
            self._add_slots(rnd)

    def _add_slots(self, rnd: Round) -> None:
        fallback = self.step is PeripheralStep.SLOTS_FALLBACK and self.manager is not None
        rid = self.manager.rid if fallback and self.manager is not None else self.wellknown_rid

        def on_slots(value: Any) -> None:
            if isinstance(value, XerusError):
                what = "reference" if fallback else "well-known RID"
                _LOGGER.debug("unit %s: getDeviceSlots (%s): %s", self.pdu_id, what, value)
                self.step = PeripheralStep.DONE if fallback else PeripheralStep.SLOTS_FALLBACK
                return
            self._slots = self._slot_refs(value)
            self.step = PeripheralStep.DEVICES

        self.step = PeripheralStep.WAITING
        rnd.add(rid, "getDeviceSlots", on_slots)
        rnd.add(
            rid,
            "getDeviceTypeInfos",
            optional(self.pdu_id, "getDeviceTypeInfos", self._store_type_infos),
        )
        # What each sensor package is (its model: "DPX3-T1H1"), in the same round trip.
        rnd.add(
            rid,
            "getDiscoveredPackageInfos",
            optional(self.pdu_id, "getDiscoveredPackageInfos", self._store_package_infos),
        )

    def _slot_refs(self, value: Any) -> list[tuple[int, Ref]]:
        """The slot references by slot index; a malformed entry is left out (and told)."""
        if not isinstance(value, list):
            self._warnings.warn(self.pdu_id, "the list of peripheral device slots", value)
            return []
        slots: list[tuple[int, Ref]] = []
        for index, item in enumerate(value):
            ref = Ref.from_json(item)
            if ref is None:
                self._warnings.warn(self.pdu_id, f"peripheral device slot {index + 1}", item)
            else:
                slots.append((index, ref))
        return slots

    def _store_type_infos(self, value: Any) -> None:
        self._type_defaults.update(decode_device_type_defaults(value))

    def _store_package_infos(self, value: Any) -> None:
        self._package_models.update(decode_package_models(value))

    def _add_devices(self, rnd: Round) -> None:
        for index, slot in self._slots:

            def store_device(value: Any, index: int = index) -> None:
                self._devices[index] = value

            def store_settings(value: Any, index: int = index) -> None:
                self._settings[index] = value

            rnd.add(slot.rid, "getDevice", optional(self.pdu_id, "getDevice", store_device))
            rnd.add(
                slot.rid, "getSettings", optional(self.pdu_id, "slot settings", store_settings)
            )
        self.step = PeripheralStep.METADATA

    def _build(self) -> dict[str, SensorInfo]:
        """Decode the assigned slots (once); their sensors keyed by slot index."""
        if self._peripherals is None:
            self._peripherals = []
            for index, slot in self._slots:
                device = self._devices.get(index)
                info = PeripheralInfo.from_json(
                    index,
                    slot.rid,
                    device,
                    self._settings.get(index),
                    pdu_id=self.pdu_id,
                    type_defaults=self._type_defaults,
                    package_models=self._package_models,
                )
                if info is None:
                    if device is not None:  # assigned, but not a device this client can read
                        self._warnings.warn(
                            self.pdu_id, f"the device in peripheral slot {index + 1}", device
                        )
                    continue
                self._peripherals.append(info)
                if info.sensor is not None:
                    self._sensors[str(index)] = info.sensor
        return self._sensors

    def result(self) -> list[PeripheralInfo]:
        """The peripherals found, with the sensor metadata read."""
        if not self._devices:
            return []
        sensors = self._build()
        return [_with_sensor(p, sensors.get(str(p.slot_index))) for p in self._peripherals or ()]


def _needs_metadata(info: SensorInfo) -> bool:
    """A numeric peripheral sensor without digits from its type infos."""
    return info.kind is not SensorKind.STATE and info.decdigits is None and not info.device_metadata


def _with_sensor(info: PeripheralInfo, sensor: SensorInfo | None) -> PeripheralInfo:
    if sensor is None or sensor is info.sensor:
        return info
    return replace(info, sensor=sensor)


__all__ = ["PeripheralDiscovery", "PeripheralStep"]
