"""What a poll returns: numeric readings, states, outlet states, keyed by the RID read.

The decoders of this module run for every sub-request of every poll (thousands per poll on a
large stack): each has a fast path for well-formed readings and a tolerant fallback.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

from ..const import PowerState, to_enum
from ..exceptions import XerusError
from .fields import get_int
from .power import SequenceState

#: Integers beyond this do not fit a float (``float(10**309)`` raises ``OverflowError``).
_FLOAT_MAX_INT = int(sys.float_info.max)


def finite_number(raw: object) -> float | None:
    """``raw`` as a finite float; ``None`` for NaN, ±Infinity, huge integers and non-numbers.

    (JSON ``NaN``/``Infinity`` literals and ``1e400`` parse to non-finite floats.)
    """
    if type(raw) is float:
        return raw if raw - raw == 0.0 else None
    if type(raw) is int and -_FLOAT_MAX_INT <= raw <= _FLOAT_MAX_INT:
        return float(raw)
    return None


_READING_FIELDS = itemgetter("available", "valid", "value", "timestamp", "status")
_STATUS_FIELDS = itemgetter(
    "aboveUpperCritical", "aboveUpperWarning", "belowLowerWarning", "belowLowerCritical"
)
_STATE_FIELDS = itemgetter("available", "value", "timestamp")
_new_tuple = tuple.__new__


class ThresholdState(StrEnum):
    """Where a numeric reading is relative to the sensor's thresholds (reference §8.6)."""

    NORMAL = "normal"
    WARNING = "warning"
    CRITICAL = "critical"


class NumericReading(NamedTuple):
    """``NumericSensor.Reading``; ``value`` is ``None`` unless ``available and valid``.

    ``valid`` is True only for a finite number: a reading of ``NaN``, ±Infinity or a number
    beyond the range of a float is not valid (``value`` ``None``), whatever the device says.

    Immutable like the other models, but a named tuple, not a frozen dataclass: a poll of a
    large stack decodes a thousand of them, and a tuple is made in one call where a frozen
    dataclass sets each of its eight fields through ``object.__setattr__``.
    """

    value: float | None
    available: bool
    valid: bool
    timestamp: int | None = None
    above_upper_critical: bool = False
    above_upper_warning: bool = False
    below_lower_warning: bool = False
    below_lower_critical: bool = False

    @property
    def threshold_state(self) -> ThresholdState | None:
        """The worst threshold the device reports as asserted; ``None`` when not available.

        The device decides the flags itself (with its assertion timeout and deassertion
        hysteresis); they are taken as reported, also while the value is not valid.
        """
        if not self.available:
            return None
        if self.above_upper_critical or self.below_lower_critical:
            return ThresholdState.CRITICAL
        if self.above_upper_warning or self.below_lower_warning:
            return ThresholdState.WARNING
        return ThresholdState.NORMAL

    @classmethod
    def from_json(cls, value: object) -> NumericReading:
        return cls.from_json_many({"": value})[""]

    @classmethod
    def from_json_many[KeyT](cls, values: Mapping[KeyT, object]) -> dict[KeyT, NumericReading]:
        """:meth:`from_json` of every value (a poll's thousand readings in one call)."""
        decoded: dict[KeyT, tuple[object, ...]] = {}
        tolerant: dict[KeyT, NumericReading] = {}
        # Fast path for well-formed readings: the fields of each reading here, the tuples made
        # by map() below (``cls(...)`` would run the generated ``__new__`` for each).
        for key, value in values.items():
            try:
                available, valid, raw, ts, status = _READING_FIELDS(value)  # type: ignore[arg-type]
                upper_crit, upper_warn, lower_warn, lower_crit = _STATUS_FIELDS(status)
            except (KeyError, TypeError):
                tolerant[key] = cls._from_json_tolerant(value)
                continue
            # finite_number(), inlined
            if available is not True or valid is not True:
                number = None
            elif type(raw) is float:
                number = raw if raw - raw == 0.0 else None
            else:
                number = finite_number(raw)
            decoded[key] = (
                number,
                available is True,
                number is not None,
                ts if type(ts) is int else None,
                upper_crit is True,
                upper_warn is True,
                lower_warn is True,
                lower_crit is True,
            )
        readings = dict(zip(decoded, map(_new_tuple, repeat(cls), decoded.values()), strict=True))
        if tolerant:
            readings.update(tolerant)
        return readings

    @classmethod
    def _from_json_tolerant(cls, value: object) -> NumericReading:
        if not isinstance(value, dict):
            return cls(None, False, False)
        available = value.get("available") is True
        number = finite_number(value.get("value")) if available else None
        if value.get("valid") is not True:
            number = None
        valid = number is not None
        status = value.get("status")
        ts = value.get("timestamp")
        if isinstance(status, dict):
            return cls(
                number,
                available,
                valid,
                ts if isinstance(ts, int) else None,
                status.get("aboveUpperCritical") is True,
                status.get("aboveUpperWarning") is True,
                status.get("belowLowerWarning") is True,
                status.get("belowLowerCritical") is True,
            )
        return cls(number, available, valid, ts if isinstance(ts, int) else None)


@dataclass(frozen=True, slots=True)
class StateReading:
    """``StateSensor.State``; ``value`` is ``None`` when not available."""

    value: int | None
    available: bool
    timestamp: int | None = None

    @classmethod
    def from_json(cls, value: object) -> StateReading:
        try:
            available, raw, ts = _STATE_FIELDS(value)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return cls._from_json_tolerant(value)
        return cls(
            raw if available is True and type(raw) is int else None,
            available is True,
            ts if type(ts) is int else None,
        )

    @classmethod
    def _from_json_tolerant(cls, value: object) -> StateReading:
        if not isinstance(value, dict):
            return cls(None, False)
        available = value.get("available") is True
        raw = value.get("value")
        ts = value.get("timestamp")
        return cls(
            raw if available and isinstance(raw, int) and not isinstance(raw, bool) else None,
            available,
            ts if isinstance(ts, int) else None,
        )


@dataclass(frozen=True, slots=True)
class OutletState:
    """``Outlet.State`` (fields missing on older firmware default to ``False``)."""

    available: bool
    power_state: PowerState | int | None
    switch_on_in_progress: bool = False
    cycle_in_progress: bool = False
    is_load_shed: bool = False
    is_suspended: bool = False
    in_service_mode: bool = False
    last_power_state_change: int | None = None

    @property
    def is_on(self) -> bool | None:
        """``True`` (on) / ``False`` (off); ``None`` if not available or an unknown power state.

        An unknown ``powerState`` (a newer firmware's value, garbage) stays an ``int`` in
        ``power_state`` and is neither on nor off.
        """
        if not self.available:
            return None
        if self.power_state is PowerState.ON:
            return True
        if self.power_state is PowerState.OFF:
            return False
        return None

    @classmethod
    def from_json(cls, value: object) -> OutletState:
        if not isinstance(value, dict):
            return cls(False, None)
        available = value.get("available") is True
        return cls(
            available,
            to_enum(PowerState, value.get("powerState")) if available else None,
            value.get("switchOnInProgress") is True,
            value.get("cycleInProgress") is True,
            value.get("isLoadShed") is True,
            value.get("isSuspended") is True,
            value.get("inServiceMode") is True,
            get_int(value, "lastPowerStateChange"),
        )


@dataclass(frozen=True, slots=True)
class Readings:
    """Result of one poll, keyed by the RID that was read."""

    numeric: dict[str, NumericReading] = field(default_factory=dict)
    states: dict[str, StateReading] = field(default_factory=dict)
    outlets: dict[str, OutletState] = field(default_factory=dict)
    errors: dict[str, XerusError] = field(default_factory=dict)
    #: ``Pdu.getOutletSequenceState`` by reading key (``ReadTarget.sequence``).
    sequences: dict[str, SequenceState] = field(default_factory=dict)


__all__ = [
    "NumericReading",
    "OutletState",
    "Readings",
    "StateReading",
    "ThresholdState",
    "finite_number",
]
