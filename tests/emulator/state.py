"""What the emulated PDU keeps across restarts, as a real one does (``--state-file``).

A real PDU's energy counters, relay states and names survive a restart of its controller; an
emulator that forgot them would show Home Assistant energy counters that jump back (its
"state is not strictly increasing" warnings) and outlets that switch themselves back on. The
state file keeps, per unit (by serial number: the same ``--seed`` gives the same units):
``Pdu.Settings.name``, and per outlet its name, relay state and both energy counters.

``save`` writes atomically (a new file renamed over the old one); ``load`` ignores a missing
file and reports one that does not fit (another topology keeps what matches).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .server import PduEmulator

STATE_VERSION = 1


def snapshot(emu: PduEmulator) -> dict[str, Any]:
    """The lasting state of every unit, as JSON."""
    units: dict[str, Any] = {}
    for unit in emu.units:
        unit.tick()  # energy up to now
        units[unit.serial] = {
            "name": unit.name,
            "outlets": [
                {
                    "name": outlet.name_setting,
                    "power_state": outlet.power_state,
                    "energy_wh": outlet.energy_wh,
                    "apparent_energy_vah": outlet.apparent_energy_vah,
                }
                for outlet in unit.outlets
            ],
        }
    return {"version": STATE_VERSION, "units": units}


def restore(emu: PduEmulator, document: Any) -> int:
    """Take a snapshot's state (before ``start``); returns how many outlets it restored."""
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        raise ValueError("not an emulator state file of this version")
    saved_units = document.get("units")
    if not isinstance(saved_units, dict):
        raise ValueError("no units in the state file")
    restored = 0
    for unit in emu.units:
        saved = saved_units.get(unit.serial)
        if not isinstance(saved, dict):
            continue
        # Restored as they were, not changed: no SettingsChangedEvent, no relay switching.
        if isinstance(saved.get("name"), str):
            unit._name = saved["name"]
        for outlet, state in zip(unit.outlets, saved.get("outlets") or [], strict=False):
            if not isinstance(state, dict):
                continue
            outlet.name_setting = str(state.get("name", outlet.name_setting))
            if state.get("power_state") in (0, 1):
                outlet._power_state = state["power_state"]
            for key in ("energy_wh", "apparent_energy_vah"):
                if isinstance(state.get(key), int | float):
                    setattr(outlet, key, float(state[key]))
            restored += 1
    return restored


def save(emu: PduEmulator, path: Path) -> None:
    """Write the state file (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(json.dumps(snapshot(emu), indent=1))
    os.replace(temporary, path)


def load(emu: PduEmulator, path: Path) -> int:
    """Read the state file if there is one; returns how many outlets it restored."""
    if not path.exists():
        return 0
    return restore(emu, json.loads(path.read_text()))
