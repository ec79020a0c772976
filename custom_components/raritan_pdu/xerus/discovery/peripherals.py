"""The peripheral chain of a unit's discovery: device slots, their devices, sensor metadata."""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import Enum, auto
from typing import Any

from ..const import RID_PERIPHERAL_MANAGER
from ..exceptions import XerusError
from ..models import PeripheralInfo, Ref, SensorInfo, decode_device_type_infos, decode_refs
from .rounds import Round, add_sensor_metadata, optional

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
    #: getMetaData of the numeric peripheral sensors.
    METADATA = auto()
    DONE = auto()


class PeripheralDiscovery:
    """Device slots of one unit, one step per round trip."""

    def __init__(self, pdu_id: int) -> None:
        self.pdu_id = pdu_id
        self.step = PeripheralStep.SLOTS
        #: The device manager reference of ``Pdu.getPeripheralDeviceManager`` (fallback RID).
        self.manager: Ref | None = None
        self._slots: list[Ref] = []
        self._devices: dict[int, Any] = {}
        self._settings: dict[int, Any] = {}
        self._type_names: dict[tuple[int, int, int, bool], str] = {}
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
            return any(not s.is_state for s in self._build().values())
        return False

    def add_step(self, rnd: Round) -> None:
        """Add the next step's calls to the round (or finish the chain)."""
        if not self.pending:
            self.step = PeripheralStep.DONE
        elif self.step is PeripheralStep.DEVICES:
            self._add_devices(rnd)
        elif self.step is PeripheralStep.METADATA:
            add_sensor_metadata(rnd, self._sensors, numeric_only=True)
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
            self._slots = decode_refs(value)
            self.step = PeripheralStep.DEVICES

        self.step = PeripheralStep.WAITING
        rnd.add(rid, "getDeviceSlots", on_slots)
        rnd.add(
            rid,
            "getDeviceTypeInfos",
            optional(self.pdu_id, "getDeviceTypeInfos", self._store_type_names),
        )

    def _store_type_names(self, value: Any) -> None:
        self._type_names.update(decode_device_type_infos(value))

    def _add_devices(self, rnd: Round) -> None:
        for index, slot in enumerate(self._slots):

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
            for index, slot in enumerate(self._slots):
                info = PeripheralInfo.from_json(
                    index,
                    slot.rid,
                    self._devices.get(index),
                    self._settings.get(index),
                    pdu_id=self.pdu_id,
                    type_names=self._type_names,
                )
                if info is None:
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


def _with_sensor(info: PeripheralInfo, sensor: SensorInfo | None) -> PeripheralInfo:
    if sensor is None or sensor is info.sensor:
        return info
    return replace(info, sensor=sensor)


__all__ = ["PeripheralDiscovery", "PeripheralStep"]
