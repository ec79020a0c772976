"""The PDU's own power features: switching sequences, load shedding, startup states, the power
settings and their validation, and the emulated power loss (``emu.power``).

Sequences (IDL docs of ``Pdu.Settings`` and ``Outlet.Settings``):

* A command that switches several outlets on (``Pdu.setAllOutletPowerStates``,
  ``setMultipleOutletPowerStates``, the on-phase of the cycle commands, ``OutletGroup`` commands,
  leaving load shedding, power coming back) switches them one after the other. The first goes at
  once; after each outlet the next one waits ``max(inRushGuardDelay, that outlet's
  sequenceDelay)`` ms: ``inRushGuardDelay`` is "the minimum delay between switching two outlets
  on", ``sequenceDelay`` "the delay after this outlet when switching multiple outlets on".
* Order: ``outletPowerStateSequence`` (outlets it does not list follow in index order) for the
  "All" commands, groups, power-up and ``respectSequence=true``; index order for
  ``respectSequence=false`` (the in-rush guard still applies: it protects the breaker).
* Cycles: the selected outlets switch off at once; each comes back when its own cycle delay has
  passed, and not before the previous one in the order plus the gap above.
* ``cancelOutletSequence`` drops the pending switch-ons (those outlets stay off); pending cycle
  ends are not cancelable (``cancelableOutletsRemaining`` counts the difference), an outlet in a
  power cycle always comes back.

Switching off and single-outlet commands act at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .errors import invalid_params

if TYPE_CHECKING:
    from .model import Outlet, Unit
    from .server import PduEmulator

SS_ON, SS_OFF, SS_LASTKNOWN, SS_PDUDEF = range(4)  # Outlet.StartupState (Pdu's lacks SS_PDUDEF)
ERR_LOAD_SHEDDING_ACTIVE = 2


# --- sequences -----------------------------------------------------------------------------------
def sequence_order(unit: Unit, outlets: Iterable[Outlet], respect: bool = True) -> list[Outlet]:
    """``outlets`` in switching order (``outletPowerStateSequence`` when ``respect``)."""
    order = unit.outlet_sequence if respect else []
    rank = {n: i for i, n in enumerate(order)}
    return sorted(outlets, key=lambda o: (rank.get(o.index, len(order)), o.index))


def gap_after(unit: Unit, outlet: Outlet) -> float:
    """Seconds between switching ``outlet`` on and the next outlet of a sequence."""
    return max(unit.inrush_guard_delay, outlet.sequence_delay) / 1000


def switch_on(
    unit: Unit,
    outlets: Iterable[Outlet],
    *,
    respect: bool = True,
    start: float = 0.0,
    cancelable: bool = True,
) -> None:
    """Switch ``outlets`` on one after the other (first after ``start`` seconds)."""
    due = start
    for o in sequence_order(unit, outlets, respect):
        if o.is_load_shed:
            shed_intent(o, 1)
            continue
        if o.power_state == 1 and not o.cycle_in_progress:
            continue  # already on: nothing to switch, no guard delay used
        o.schedule_switch_on(due, sequence=True, cancelable=cancelable)
        due += gap_after(unit, o)


def switch_off(outlet: Outlet) -> None:
    if outlet.is_load_shed:
        outlet._state_before_shed = 0  # stays off when load shedding ends
    else:
        outlet.set_power(0)


def switch(unit: Unit, outlets: list[Outlet], pstate: int, *, respect: bool = True) -> None:
    if pstate == 1:
        switch_on(unit, outlets, respect=respect)
    else:
        for o in outlets:
            switch_off(o)


def cycle(unit: Unit, outlets: Iterable[Outlet], *, respect: bool = True) -> None:
    """Power-cycle ``outlets``: all off now, back on after their cycle delays, in sequence."""
    earliest = 0.0
    for o in sequence_order(unit, outlets, respect):
        if o.is_load_shed:
            shed_intent(o, 1)
            continue
        due = max(float(o.effective_cycle_delay()), earliest)
        o.start_cycle(due, sequence=True)
        earliest = due + gap_after(unit, o)


def sequence_state(unit: Unit) -> dict[str, Any]:
    """``Pdu.OutletSequenceState`` of ``unit``."""
    pending = sorted(
        (o for o in unit.outlets if o.sequence_due is not None),
        key=lambda o: (o.sequence_due, o.index),
    )
    nxt = pending[0] if pending else None
    wait = 0
    if nxt is not None and nxt.sequence_due is not None:
        wait = max(0, round((nxt.sequence_due - unit.emu.clock.monotonic()) * 1000))
    return {
        "sequenceRunning": bool(pending),
        "nextOutletToSwitch": nxt.index if nxt else -1,
        "timeUntilNextSwitch": wait,
        "outletsRemaining": len(pending),
        "cancelableOutletsRemaining": sum(1 for o in pending if o.sequence_cancelable),
    }


def cancel_sequence(unit: Unit) -> None:
    for o in unit.outlets:
        if o.sequence_due is not None and o.sequence_cancelable:
            o._cancel_pending_on()


# --- load shedding -------------------------------------------------------------------------------
def shed_intent(outlet: Outlet, state: int) -> None:
    """A command for a shed outlet: 4.x remembers it for the end of load shedding (the web UI's
    lock icon), 3.6 ignores it (its single-outlet commands answer ERR_LOAD_SHEDDING_ACTIVE)."""
    if outlet.profile.is_4x or state == 0:
        outlet._state_before_shed = state


def shed(outlet: Outlet) -> None:
    with outlet.emu.events.change(outlet):
        pending = outlet.switch_on_in_progress or outlet.cycle_in_progress
        outlet._state_before_shed = 1 if pending else outlet.power_state
        outlet.set_power(0)
        outlet.is_load_shed = True


def unshed(outlet: Outlet) -> None:
    with outlet.emu.events.change(outlet):
        outlet.is_load_shed = False


def set_load_shedding(unit: Unit, active: bool) -> None:
    """Non-critical outlets switch off (``isLoadShed``); leaving restores them in sequence."""
    if active == unit.load_shedding:
        return
    events = unit.emu.events
    with events.batch():
        unit.load_shedding = active
        events.emit("Pdu.LoadSheddingModeChangedEvent", unit.pdu, enabled=active)
        if active:
            for o in unit.outlets:
                if o.non_critical and o.is_switchable:
                    shed(o)
            return
        back = []
        for o in unit.outlets:
            if o.is_load_shed:
                unshed(o)
                if o._state_before_shed == 1:
                    back.append(o)
        switch_on(unit, back)


def set_power_state(outlet: Outlet, pstate: int) -> int:
    """``Outlet.setPowerState``: the return code."""
    if err := outlet.switch_error():
        return err
    outlet.power_control(pstate)
    if outlet.is_load_shed:
        if pstate == 1 and not outlet.profile.is_4x:
            return ERR_LOAD_SHEDDING_ACTIVE
        shed_intent(outlet, pstate)
        return 0
    outlet.set_power(pstate)
    return 0


def cycle_power_state(outlet: Outlet) -> int:
    """``Outlet.cyclePowerState``: the return code."""
    if err := outlet.switch_error():
        return err
    if outlet.is_load_shed:
        if not outlet.profile.is_4x:
            return ERR_LOAD_SHEDDING_ACTIVE
        outlet.power_control(1, cycle=True)
        shed_intent(outlet, 1)
        return 0
    outlet.power_control(1, cycle=True)
    outlet.start_cycle()
    return 0


# --- settings ------------------------------------------------------------------------------------
Rule = tuple[type, Callable[[Any], bool] | None]


def _between(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: lo <= v <= hi


def _pdu_rules(unit: Unit) -> dict[str, Rule]:
    n = len(unit.outlets)

    def sequence_ok(seq: list[Any]) -> bool:
        return len(set(seq)) == len(seq) and all(0 <= x < n for x in seq)

    return {
        "name": (str, None),
        "startupState": (int, _between(SS_ON, SS_LASTKNOWN)),
        "cycleDelay": (int, _between(0, 3600)),
        "inRushGuardDelay": (int, _between(100, 100000)),
        "outletPowerStateSequence": (list, sequence_ok),
        "powerOnDelay": (int, _between(0, 3600)),
        "latchingRelays": (bool, lambda v: not v),  # the relays are not latching
        "energyPulseEnabled": (bool, lambda v: not v),  # isEnergyPulseSupported is false
        "energyPulsesPerKWh": (int, _between(1, 100000)),
        "demandUpdateInterval": (int, _between(0, 86400)),
        "demandAveragingIntervals": (int, _between(0, 1000)),
        "suspendTripCauseOutlets": (bool, None),
        "inhibitRelayControl": (bool, None),
        "inletWiring": (int, _between(0, 3)),
    }


OUTLET_RULES: dict[str, Rule] = {
    "name": (str, None),
    "startupState": (int, _between(SS_ON, SS_PDUDEF)),
    "usePduCycleDelay": (bool, None),
    "cycleDelay": (int, _between(0, 3600)),
    "nonCritical": (bool, None),
    "sequenceDelay": (int, _between(0, 3600000)),
}


def _is(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is list:
        return isinstance(value, list) and all(_is(v, int) for v in value)
    return isinstance(value, kind)


def check_settings(settings: dict[str, Any], rules: dict[str, Rule]) -> int:
    """-32602 for a field of the wrong JSON type (the request does not decode), else 1
    (``ERR_INVALID_PARAM``) when a value is out of range, else 0."""
    for key, value in settings.items():
        kind, _ = rules[key]
        if not _is(value, kind):
            raise invalid_params(f"settings.{key} must be {kind.__name__}")
    ok = all(rules[key][1] is None or rules[key][1](value) for key, value in settings.items())
    return 0 if ok else 1


_PDU_ATTRIBUTES = {
    "name": "_name",  # the attribute itself: one SettingsChangedEvent for the whole struct
    "startupState": "startup_state",
    "cycleDelay": "cycle_delay",
    "inRushGuardDelay": "inrush_guard_delay",
    "outletPowerStateSequence": "outlet_sequence",
    "powerOnDelay": "power_on_delay",
    "inhibitRelayControl": "inhibit_relay_control",
}


def apply_pdu_settings(unit: Unit, settings: dict[str, Any]) -> int:
    """``Pdu.setSettings`` (sparse on 4.x: missing fields stay): the return code."""
    fields = unit.emu.profile.fields["Pdu.Settings"]
    unknown = set(settings) - set(fields)
    if unknown:
        raise invalid_params(f"unknown Pdu.Settings fields {sorted(unknown)}")
    if not unit.emu.profile.is_4x and set(settings) != set(fields):
        raise invalid_params("settings must be a complete Pdu.Settings")
    if err := check_settings(settings, _pdu_rules(unit)):
        return err
    old = unit.pdu.settings()
    for key, value in settings.items():
        if key in _PDU_ATTRIBUTES:
            setattr(unit, _PDU_ATTRIBUTES[key], list(value) if isinstance(value, list) else value)
        else:
            unit.settings_extra[key] = value
    unit.emu.events.emit(
        "Pdu.SettingsChangedEvent", unit.pdu, oldSettings=old, newSettings=unit.pdu.settings()
    )
    return 0


def apply_outlet_settings(outlet: Outlet, settings: dict[str, Any]) -> int:
    """``Outlet.setSettings`` (always the complete struct): the return code."""
    if set(settings) != set(outlet.profile.fields["Outlet.Settings"]):
        raise invalid_params("settings must be a complete Outlet.Settings")
    if err := check_settings(settings, OUTLET_RULES):
        return err
    old = outlet.settings()
    outlet.name_setting = settings["name"]
    outlet.startup_state = settings["startupState"]
    outlet.use_pdu_cycle_delay = settings["usePduCycleDelay"]
    outlet.cycle_delay = settings["cycleDelay"]
    outlet.sequence_delay = settings["sequenceDelay"]
    was, outlet.non_critical = outlet.non_critical, settings["nonCritical"]
    outlet.settings_changed(old)
    if outlet.unit.load_shedding and was != outlet.non_critical and outlet.is_switchable:
        if outlet.non_critical:
            shed(outlet)  # becomes non-critical while shedding: switched off now
        elif outlet.is_load_shed:
            unshed(outlet)
            outlet.set_power(outlet._state_before_shed)
    return 0


# --- startup states and the power loss -----------------------------------------------------------
def startup_power(outlet: Outlet) -> int:
    """The relay state after power-up (``Outlet.Settings.startupState``; PDU default =
    ``Pdu.Settings.startupState``; last known = the state before the power went)."""
    state = outlet.startup_state
    if state == SS_PDUDEF:
        state = outlet.unit.startup_state
    if state == SS_LASTKNOWN:
        return outlet.last_known_state
    return 1 if state == SS_ON else 0


class PowerSupply:
    """The mains feeding the units (``emu.power``), cut by ``emu.faults.power_loss``."""

    def __init__(self, emu: PduEmulator) -> None:
        self._emu = emu
        self.down = False
        """The primary has no power: every HTTP request is reset without an answer."""
        self.losses = 0

    def lose(self, duration: float | None, units: Iterable[int] | None = None) -> None:
        """Units ``units`` (default: all) lose power; after ``duration`` s (None: until
        :meth:`restore`) it comes back."""
        emu = self._emu
        ids = emu.unit_ids() if units is None else sorted(set(units))
        hit = [emu.unit(i) for i in ids if not emu.unit(i).power_lost]
        self.losses += 1
        primary = any(u.pdu_id == 0 for u in hit)
        # without power a unit's event channels die; without the primary every connection
        emu.events.reset(drop=True, units=None if primary else hit)
        with emu.events.link_change():
            for unit in hit:
                self._cut(unit)
        if primary:
            self.down = True
            emu.sessions.clear()
        if duration is not None:
            emu.call_later(duration, lambda: self.restore(hit))

    def _cut(self, unit: Unit) -> None:
        unit.tick()
        for o in unit.outlets:
            pending = o.switch_on_in_progress or o.cycle_in_progress
            o.last_known_state = 1 if pending else o.power_state
            o.set_power(0)  # non-latching relays drop; cancels cycles and pending switch-ons
        unit.power_lost = True
        unit.inlet_enabled_before_loss = unit.inlet_enabled
        unit.inlet_enabled = False  # no supply: 0 V, 0 W, energy stops growing

    def restore(self, units: Iterable[Unit] | None = None) -> None:
        """Power comes back: a cold boot of the primary (new opaque RIDs, no sessions, uptime 0);
        after ``powerOnDelay`` s the outlets come on by their startup state, in sequence."""
        emu = self._emu
        live = [u for u in emu.units if u.power_lost]
        back = [u for u in (units if units is not None else live) if u in live]
        with emu.events.link_change():
            for unit in back:
                unit.power_lost = False
                unit.inlet_enabled = unit.inlet_enabled_before_loss
        if any(u.pdu_id == 0 for u in back):
            self.down = False
            emu.reboot()
        for unit in back:
            self._start_outlets(unit)

    @staticmethod
    def _start_outlets(unit: Unit) -> None:
        on = []
        for o in unit.outlets:
            want = startup_power(o)
            if not o.is_switchable:
                o.set_power(1)  # no relay: powered whenever the unit is
            elif o.is_load_shed:
                o._state_before_shed = want
            elif want and not o.disabled:
                on.append(o)
        switch_on(unit, on, start=float(unit.power_on_delay))
