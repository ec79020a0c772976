"""What the Home Assistant benchmark measures: installations (topologies) and device speeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEVICE_SPEEDS = ("instant", "px3")


def device_speed_config(speed: str) -> dict[str, Any]:
    """EmulatorConfig fields that make the emulator answer at ``speed``.

    ``instant``: no added delay (what the emulator costs itself). ``px3``: the emulator's preset
    of a Raritan PX3's embedded web server (``EmulatorConfig.device_speed``: 40 ms per HTTP
    request, 8 ms per JSON-RPC call or bulk sub-request, link-unit calls alike, one request at
    a time).
    """
    if speed not in DEVICE_SPEEDS:
        raise ValueError(f"unknown device speed {speed!r}; known: {', '.join(DEVICE_SPEEDS)}")
    return {"device_speed": speed}


@dataclass(frozen=True)
class BenchTopology:
    """One installation: a primary unit, its link units and the external sensors."""

    name: str
    description: str
    outlets: int
    link_units: int = 0
    peripherals_per_unit: int = 0
    emulator: dict[str, Any] = field(default_factory=dict)

    @property
    def units(self) -> int:
        """Primary plus link units."""
        return 1 + self.link_units

    @property
    def peripherals(self) -> int:
        """External sensors of the whole installation."""
        return self.units * self.peripherals_per_unit

    def emulator_config(self, speed: str) -> dict[str, Any]:
        """EmulatorConfig fields of this installation at ``speed`` (HTTPS like a real PDU)."""
        return {
            "outlets": self.outlets,
            "link_units": self.link_units,
            "peripherals": self.peripherals_per_unit,
            "link_unit_peripherals": self.peripherals_per_unit,
            "tls": True,
            **self.emulator,
            **device_speed_config(speed),
        }


TOPOLOGIES: dict[str, BenchTopology] = {
    topology.name: topology
    for topology in (
        BenchTopology("1x8", "1 unit x 8 outlets", outlets=8),
        BenchTopology(
            "1x24+4p",
            "1 unit x 24 outlets + 4 external sensors",
            outlets=24,
            peripherals_per_unit=4,
        ),
        BenchTopology(
            "1x48+8p",
            "1 unit x 48 outlets + 8 external sensors",
            outlets=48,
            peripherals_per_unit=8,
        ),
        # The emulator's peripheral catalogue has 11 entries per unit: 32 external sensors are
        # 4 on each of the 8 units.
        BenchTopology(
            "8x48+32p",
            "primary + 7 link units x 48 outlets + 32 external sensors (4 per unit)",
            outlets=48,
            link_units=7,
            peripherals_per_unit=4,
        ),
    )
}

#: The installation the targets about "the largest topology" refer to.
LARGEST = "8x48+32p"
#: The standalone unit of the "<= 5 s setup" target.
STANDALONE_24 = "1x24+4p"
