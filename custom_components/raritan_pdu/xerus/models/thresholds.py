"""``NumericSensor.Thresholds``: the limits a sensor's threshold flags are decided on (§8.6).

The decoded values are kept with the structure as the device sent it (``raw``), so a change
writes back exactly the firmware's own field set (3.6 and 4.4 differ in nothing here today, a
newer firmware may add fields) with only the changed level touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .fields import as_dict, get_int
from .readings import finite_number

#: The four levels, by IDL field name (each has its ``<level>Active`` flag).
THRESHOLD_LEVELS: Final = ("upperCritical", "upperWarning", "lowerWarning", "lowerCritical")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A sensor's thresholds; a level is ``None`` while it is not active."""

    upper_critical: float | None = None
    upper_warning: float | None = None
    lower_warning: float | None = None
    lower_critical: float | None = None
    hysteresis: float | None = None
    assertion_timeout: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def level(self, name: str) -> float | None:
        """The active value of level ``name`` (``upperWarning`` ...), else ``None``."""
        return {
            "upperCritical": self.upper_critical,
            "upperWarning": self.upper_warning,
            "lowerWarning": self.lower_warning,
            "lowerCritical": self.lower_critical,
        }.get(name)

    def with_level(self, name: str, value: float | None) -> dict[str, Any]:
        """The structure to send with level ``name`` set to ``value`` (``None``: inactive);
        every other field as the device sent it."""
        if name not in THRESHOLD_LEVELS:
            raise ValueError(f"unknown threshold level {name!r}")
        thresh = dict(self.raw)
        thresh[f"{name}Active"] = value is not None
        if value is not None:
            thresh[name] = float(value)
        return thresh

    @classmethod
    def from_json(cls, value: object) -> Thresholds:
        data = as_dict(value)

        def level(name: str) -> float | None:
            return finite_number(data.get(name)) if data.get(f"{name}Active") is True else None

        return cls(
            level("upperCritical"),
            level("upperWarning"),
            level("lowerWarning"),
            level("lowerCritical"),
            finite_number(data.get("deassertionHysteresis")),
            get_int(data, "assertionTimeout"),
            dict(data),
        )


__all__ = ["THRESHOLD_LEVELS", "Thresholds"]
