"""Device model: units, outlets, inlets, breakers, sensors, peripherals and their RPC methods.

Physics (deterministic for a given seed, sampled once per second like a real meter):

* line-to-neutral voltage ~230 V with slow noise, frequency ~50 Hz;
* each outlet has a load ``base_power`` (W, some outlets idle at 0 W) and a power factor 0.85-0.99;
  active power P wobbles +-5 %, current I = P / (V * PF), apparent S = V * I, reactive = sqrt(S^2 -
  P^2);
* an outlet draws power only if its relay is on, it is not disabled, its breaker is closed and the
inlet
  is enabled; energy (Wh / VAh) is integrated over the emulator clock's monotonic time;
* breaker values are sums over its outlets, inlet (per line / pole) values are sums over the outlets
on
  that line, unit totals are sums over inlets.

RPC methods are ``rpc_<name>(ctx, params)`` on the objects; they return the JSON-RPC ``result``
(``{"_ret_": ...}`` or ``None`` for void).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import power
from .errors import invalid_params, method_not_found, privilege_error
from .privileges import allows, required_privilege
from .thresholds import STATUS_FIELDS, ThresholdState, any_active
from .thresholds import check as check_thresholds

if TYPE_CHECKING:
    from .profiles import Profile
    from .server import CallContext, PduEmulator

# --- constants (reference §8.3 / §8.4 / §7) ------------------------------------------------------
NUMERIC, DISCRETE_ON_OFF, DISCRETE_MULTI = 0, 1, 2
T_VOLTAGE, T_CURRENT, T_UNBALANCE_CURRENT, T_POWER, T_POWER_FACTOR, T_ENERGY, T_FREQUENCY = range(
    1, 8
)
T_TEMPERATURE, T_HUMIDITY = 8, 9
T_CONTACT_CLOSURE, T_ON_OFF, T_TRIP, T_VIBRATION, T_WATER_LEAK, T_SMOKE = 12, 13, 14, 15, 16, 17
T_FAULT_STATE, T_DRY_CONTACT, T_ABS_HUMIDITY, T_DOOR_STATE, T_DOOR_LOCK = 29, 39, 41, 42, 43
T_UNBALANCE_VOLTAGE = 48
U_NONE, U_VOLT, U_AMPERE, U_WATT, U_VOLT_AMP, U_WATT_HOUR, U_VOLT_AMP_HOUR = range(7)
U_DEG_C, U_HZ, U_PERCENT = 7, 8, 9
U_VAR, U_DEG_F, U_G_PER_M3 = 18, 29, 50
L1, L2, L3, NEUTRAL = 0, 1, 2, 3
ROLE_STANDALONE, ROLE_PRIMARY, ROLE_LINK = 0, 1, 2
LINK_OK, LINK_UNREACHABLE = 1, 2

F32_0001 = 0.0010000000474974513  # float32 0.001 widened to double, as real 4.x devices send it
F32_001 = 0.009999999776482582
F32_01 = 0.10000000149011612

EMPTY_NAMEPLATE = {
    "manufacturer": "",
    "brand": "",
    "model": "",
    "partNumber": "",
    "serialNumber": "<not set>",
    "rating": {"voltage": "", "current": "", "frequency": "", "power": ""},
    "imageFileURL": "",
}

def wave(key: float, t: float) -> float:
    """Smooth deterministic noise in [-1, 1]."""
    return 0.6 * math.sin(t * 0.21 + key) + 0.4 * math.sin(t * 1.37 + 2.1 * key)


def arg(params: dict[str, Any], name: str, kind: type) -> Any:
    """Fetch a required parameter with a JSON type check (-32602 otherwise)."""
    if name not in params:
        raise invalid_params(f"missing parameter '{name}'")
    value = params[name]
    ok: bool
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise invalid_params(f"parameter '{name}' must be {kind.__name__}")
    return value


def ret(value: Any) -> dict[str, Any]:
    return {"_ret_": value}


# --- sensors -------------------------------------------------------------------------------------
@dataclass
class NumericSpec:
    type: int
    unit: int
    decdigits: int
    resolution: float
    lower: float
    upper: float
    thresholds: tuple[float | None, float | None, float | None, float | None] = (
        None,
        None,
        None,
        None,
    )  # lowerCritical, lowerWarning, upperWarning, upperCritical (None: no such threshold)
    enabled: bool = True
    """Whether the default thresholds are active (False: settable, but off by default)."""


THRESHOLD_DOUBLES = frozenset(
    {"upperCritical", "upperWarning", "lowerWarning", "lowerCritical", "deassertionHysteresis"}
)

EMPTY_WAVEFORM = {"voltage": [], "current": [], "sampleRate": 0}


class RpcObject:
    """Something with an RID: answers JSON-RPC methods."""

    iface = ""
    only_4x: frozenset[str] = frozenset()
    #: An external sensor (package or slot): configured with the peripheral privilege.
    external_sensor = False

    def __init__(self, unit: Unit, instance: str) -> None:
        self.unit = unit
        self.instance = instance  # opaque-RID instance name (before unit prefix / boot suffix)

    @property
    def emu(self) -> PduEmulator:
        return self.unit.emu

    @property
    def profile(self) -> Profile:
        return self.unit.emu.profile

    @property
    def rid(self) -> str:
        return self.emu.opaque_rid(self)

    @property
    def typecode(self) -> str:
        return self.profile.typecode(self.iface)

    def ref(self) -> dict[str, str]:
        return {"rid": self.rid, "type": self.typecode}

    def call(self, ctx: CallContext, method: str, params: dict[str, Any]) -> Any:
        if method == "getTypeInfo":
            return ret(self._type_info())
        fn: Callable[[CallContext, dict[str, Any]], Any] | None = getattr(
            self, "rpc_" + method, None
        )
        if fn is None or (method in self.only_4x and not self.profile.is_4x):
            raise method_not_found(method)
        if not allows(ctx.privileges, required_privilege(method, peripheral=self.external_sensor)):
            raise privilege_error()
        return fn(ctx, params)

    def _type_info(self) -> dict[str, Any]:
        from .profiles import BASES

        chain = BASES.get(self.iface, [self.iface])
        info: dict[str, Any] | None = None
        for iface in reversed(chain):
            info = {"id": self.profile.typecode(iface), "base": info}
        return info or {}


class Sensor(RpcObject):
    """Numeric, accumulating, state, switch (actuator) or trip sensor."""

    def __init__(
        self,
        unit: Unit,
        name: str,
        iface: str,
        *,
        numeric: NumericSpec | None = None,
        state_type: tuple[int, int, int] | None = None,
        read: Callable[[], float | int | None],
        write: Callable[[int], int] | None = None,
        available: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(unit, name)
        self.iface = iface
        self.numeric = numeric
        self.state_type = state_type
        self._read = read
        self._write = write
        self._available = available or (lambda: True)
        self.thresholds = self._default_thresholds()
        self.alarm = ThresholdState()
        """The threshold comparators (``thresholds.py``), stepped once per sample."""
        now = int(unit.emu.clock.time())
        self.reset_time = now - 86400 * 30
        self.min_max: tuple[float, int, float, int] | None = None
        self.min_max_since = now

    only_4x = frozenset(
        {
            "getMinMax",
            "resetMinMax",
            "isTypeChangeAllowed",
            "getLastResetTime",
            "getTripEventInformation",
            "getTripWaveform",
        }
    )

    @property
    def is_numeric(self) -> bool:
        return self.numeric is not None

    def type_spec(self) -> dict[str, int]:
        if self.numeric is not None:
            return {"readingtype": NUMERIC, "type": self.numeric.type, "unit": self.numeric.unit}
        assert self.state_type is not None
        rt, typ, unit = self.state_type
        return {"readingtype": rt, "type": typ, "unit": unit}

    def value(self) -> float | int | None:
        """Current value (None = invalid), for tests."""
        return self._read() if self._available() else None

    def is_available(self) -> bool:
        return self._available()

    def _default_thresholds(self) -> dict[str, Any]:
        lc, lw, uw, uc = self.numeric.thresholds if self.numeric else (None, None, None, None)
        on = self.numeric is not None and self.numeric.enabled
        return {
            "upperCriticalActive": on and uc is not None,
            "upperCritical": float(uc or 0.0),
            "upperWarningActive": on and uw is not None,
            "upperWarning": float(uw or 0.0),
            "lowerWarningActive": on and lw is not None,
            "lowerWarning": float(lw or 0.0),
            "lowerCriticalActive": on and lc is not None,
            "lowerCritical": float(lc or 0.0),
            "assertionTimeout": 0,
            "deassertionHysteresis": 0.0,
        }

    @property
    def alarm_tracked(self) -> bool:
        """Whether the sampler steps this sensor's comparators (an active threshold, or a flag
        still asserted that the next sample clears)."""
        return self.numeric is not None and (
            any_active(self.thresholds) or any(self.alarm.asserted)
        )

    def sample(self) -> bool:
        """One sample of the comparators (the sampler sets the instant); True: a flag changed."""
        assert self.numeric is not None
        value = self._read() if self._available() else None
        return self.alarm.step(value, self.thresholds, self.numeric.decdigits)

    def set_thresholds(self, thresholds: dict[str, Any]) -> None:
        """New thresholds (checked by the caller), effective from the next sample."""
        self.unit.tick()  # the samples up to now ran with the old ones
        events = self.emu.events
        with events.change(self):
            old, self.thresholds = self.thresholds, dict(thresholds)
            self.alarm.restart_timeouts()
            self.emu.sampler.invalidate()
            events.emit(
                "NumericSensor.ThresholdsChangedEvent",
                self,
                oldThresholds=old,
                newThresholds=dict(thresholds),
            )

    # -- Sensor
    def rpc_getTypeSpec(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.type_spec())

    def rpc_isTypeChangeAllowed(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(False)

    def rpc_setType(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "type", int)
        arg(p, "unit", int)
        return ret(1)  # ERR_NOT_SUPPORTED

    # -- NumericSensor
    def _require_numeric(self, method: str) -> NumericSpec:
        if self.numeric is None:
            raise method_not_found(method)
        return self.numeric

    def reading(self) -> dict[str, Any]:
        ts = self.emu.sample_time()
        available = self._available()
        value = self._read() if available else None
        valid = available and value is not None
        val = float(value) if valid and value is not None else 0.0
        # the flags of the last sample (thresholds.py): hysteresis and assertion timeout
        status = self.alarm.status() if valid else dict.fromkeys(STATUS_FIELDS, False)
        if valid:
            self._track_min_max(val, ts)
        return {
            "timestamp": ts,
            "available": available,
            "status": status,
            "valid": valid,
            "value": val,
        }

    def _track_min_max(self, val: float, ts: int) -> None:
        if self.min_max is None:
            self.min_max = (val, ts, val, ts)
            return
        lo, lo_ts, hi, hi_ts = self.min_max
        if val < lo:
            lo, lo_ts = val, ts
        if val > hi:
            hi, hi_ts = val, ts
        self.min_max = (lo, lo_ts, hi, hi_ts)

    def rpc_getReading(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("getReading")
        return ret(self.reading())

    def metadata(self) -> dict[str, Any]:
        spec = self.numeric
        assert spec is not None
        lc, lw, uw, uc = spec.thresholds
        return {
            "type": self.type_spec(),
            "decdigits": spec.decdigits,
            "accuracy": 0.0,
            "resolution": spec.resolution,
            "tolerance": 0.0,
            "noiseThreshold": 0.0,
            "range": {"lower": spec.lower, "upper": spec.upper},
            "thresholdCaps": {
                "hasUpperCritical": uc is not None,
                "hasUpperWarning": uw is not None,
                "hasLowerWarning": lw is not None,
                "hasLowerCritical": lc is not None,
            },
        }

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("getMetaData")
        return ret(self.metadata())

    def rpc_getThresholds(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("getThresholds")
        return ret(dict(self.thresholds))

    def rpc_getDefaultThresholds(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("getDefaultThresholds")
        return ret(self._default_thresholds())

    def rpc_setThresholds(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("setThresholds")
        thresh = arg(p, "thresh", dict)
        fields = self.profile.fields["NumericSensor.Thresholds"]
        if set(thresh) != set(fields):
            raise invalid_params("thresh must be a complete NumericSensor.Thresholds")
        for key in THRESHOLD_DOUBLES & set(fields):
            arg(thresh, key, float)
        for key in set(fields) - THRESHOLD_DOUBLES:
            arg(thresh, key, int if key == "assertionTimeout" else bool)
        # the device stores doubles: an integer sent for one reads back as a double
        new = {k: float(thresh[k]) if k in THRESHOLD_DOUBLES else thresh[k] for k in fields}
        if err := check_thresholds(new, self.metadata()):
            return ret(err)
        self.set_thresholds(new)
        return ret(0)

    def rpc_getMinMax(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("getMinMax")
        if self.min_max is None:
            return ret(
                {
                    "minReading": 0.0,
                    "minReadingTimestamp": 0,
                    "maxReading": 0.0,
                    "maxReadingTimestamp": 0,
                    "valid": False,
                    "observedSince": self.min_max_since,
                }
            )
        lo, lo_ts, hi, hi_ts = self.min_max
        return ret(
            {
                "minReading": lo,
                "minReadingTimestamp": lo_ts,
                "maxReading": hi,
                "maxReadingTimestamp": hi_ts,
                "valid": True,
                "observedSince": self.min_max_since,
            }
        )

    def rpc_resetMinMax(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self._require_numeric("resetMinMax")
        self.min_max = None
        self.min_max_since = int(self.emu.clock.time())

    # -- AccumulatingNumericSensor
    def rpc_resetValue(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.iface != "AccumulatingNumericSensor":
            raise method_not_found("resetValue")
        old = self.reading()
        self.reset_time = int(self.emu.clock.time())
        self.reset_counter()
        self.emu.events.emit(
            "AccumulatingNumericSensor.ResetEvent", self, oldReading=old, newReading=self.reading()
        )

    def reset_counter(self) -> None:
        """``resetValue`` of an energy counter: the counted energy starts from 0."""
        self.unit.reset_energy(self)

    def rpc_getLastResetTime(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.iface != "AccumulatingNumericSensor":
            raise method_not_found("getLastResetTime")
        return ret(self.reset_time)

    # -- StateSensor / Switch / trip sensor
    def state(self) -> dict[str, Any]:
        available = self._available()
        value = self._read() if available else None
        return {
            "timestamp": self.emu.sample_time(),
            "available": available,
            "value": int(value) if available and value is not None else 0,
        }

    def rpc_getState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.numeric is not None:
            raise method_not_found("getState")
        return ret(self.state())

    def rpc_setState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.iface != "Switch" or self._write is None:
            raise method_not_found("setState")
        new_state = arg(p, "newState", int)
        if not self._available():
            return ret(2)  # ERR_NOT_AVAILABLE
        if new_state not in (0, 1):
            return ret(1)  # ERR_INVALID_PARAMETER
        self.emu.events.emit("Switch.SwitchEvent", self, targetState=new_state)
        return ret(self._write(new_state))

    def rpc_getTripCause(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.iface != "TripSensor":
            raise method_not_found("getTripCause")
        return ret(None)

    def trip_information(self) -> dict[str, Any]:
        """``TripEventInformation`` of a breaker's trip sensor (the cause is not determined)."""
        ocp = self.unit.ocp_of_trip_sensor(self)
        if ocp is not None and ocp.tripped:
            return {"cause": None, "timestamp": ocp.trip_time, "current": ocp.trip_current}
        return {"cause": None, "timestamp": 0, "current": 0.0}

    def rpc_getTripEventInformation(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.iface != "TripSensor":
            raise method_not_found("getTripEventInformation")
        return ret(self.trip_information())

    def rpc_getTripWaveform(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if self.iface != "TripSensor":
            raise method_not_found("getTripWaveform")
        return ret({"voltage": [], "current": [], "sampleRate": 0})


class EDevice(RpcObject):
    """``pdumodel.EDevice`` methods shared by outlets, inlets and breakers (waveforms: 4.x)."""

    def call(self, ctx: CallContext, method: str, params: dict[str, Any]) -> Any:
        if method in ("getWaveform", "getPoleWaveform") and self.profile.is_4x:
            if method == "getPoleWaveform":
                arg(params, "line", int)
            return ret(dict(EMPTY_WAVEFORM))
        return super().call(ctx, method, params)


# --- outlets -------------------------------------------------------------------------------------
class Outlet(EDevice):
    iface = "Outlet"
    only_4x = frozenset(
        {"getInrushWaveform", "setServiceModeEnabled", "getWaveform", "getPoleWaveform"}
    )

    def __init__(self, unit: Unit, index: int, rng: random.Random) -> None:
        super().__init__(unit, f"outlet.{index}")
        self.index = index
        self.label = str(index + 1)
        self.name_setting = ""
        cfg = unit.cfg
        self.is_switchable = not unit.metered_only and index not in cfg.non_switchable
        self.is_metered = cfg.metered_outlets
        self.disabled = False
        self._power_state = 1
        self.last_power_state_change = int(unit.emu.clock.time()) - rng.randint(3600, 90 * 86400)
        self.cycle_in_progress = False
        self.switch_on_in_progress = False
        self.switch_on_at = 0.0
        self._pending_on: Any = None
        self.sequence_due: float | None = None  # monotonic time of a pending switch in a sequence
        self.sequence_cancelable = True  # cancelOutletSequence drops it (cycle ends: no)
        self.last_known_state = 1  # relay state before the last power loss (SS_LASTKNOWN)
        self.is_load_shed = False
        self._state_before_shed = 1
        self.relay_cycles = 0
        self._cycle_handle: Any = None
        self.startup_state = 3  # SS_PDUDEF
        self.use_pdu_cycle_delay = True
        self.cycle_delay = cfg.cycle_delay
        self.non_critical = False
        self.sequence_delay = 0
        self.receptacle = "IEC 60320 C19" if index % 4 == 3 else "IEC 60320 C13"
        self.rating_current = 16 if self.receptacle.endswith("C19") else 10
        # outlet index 0 always carries a load, indexes 3, 8, 13 ... are always idle, others random
        idle = index != 0 and (index % 5 == 3 or rng.random() < 0.2)
        self._base_power = 0.0 if idle else round(rng.uniform(25.0, 420.0), 1)
        self.power_factor = round(rng.uniform(0.85, 0.99), 3)
        self.phase_key = rng.uniform(0, 100)
        self.energy_wh = 0.0 if idle else rng.uniform(1e3, 4e5)
        self.apparent_energy_vah = self.energy_wh / self.power_factor
        # energy through the outlet since the emulator started: never reset (outlet groups)
        self.throughput_wh = 0.0
        self.throughput_vah = 0.0
        self.ocp: Ocp | None = None
        self.line = L1
        self._cache_key: tuple[Any, ...] | None = None
        self._cache = (0.0, 0.0, 1.0, 0.0, 0.0)
        self.sensors: dict[str, Sensor] = {}

    # public model API ------------------------------------------------------------------------
    @property
    def power_state(self) -> int:
        return self._power_state

    @power_state.setter
    def power_state(self, value: int) -> None:
        """Switched at the PDU (test API): a PowerControlEvent, then the state events."""
        with self.emu.events.batch():
            self.power_control(int(value))
            self.set_power(int(value))

    def power_control(self, state: int, *, cycle: bool = False) -> None:
        """``PowerControlEvent``: someone switched (``state``) or cycled the outlet."""
        self.emu.events.emit("Outlet.PowerControlEvent", self, state=state, cycle=cycle)

    @property
    def base_power(self) -> float:
        """W drawn while energized (before noise)."""
        return self._base_power

    @base_power.setter
    def base_power(self, value: float) -> None:
        self.unit.tick()  # energy and samples up to now with the old load
        self._base_power = float(value)

    @property
    def name(self) -> str:
        return self.name_setting

    @name.setter
    def name(self, value: str) -> None:
        """Renamed at the PDU (test API): an Outlet.SettingsChangedEvent."""
        old = self.settings()
        self.name_setting = value
        self.settings_changed(old)

    def settings_changed(self, old: dict[str, Any]) -> None:
        self.emu.events.emit(
            "Outlet.SettingsChangedEvent", self, oldSettings=old, newSettings=self.settings()
        )

    def set_power(self, value: int) -> None:
        with self.emu.events.change(self):
            self.unit.tick()
            self._cancel_cycle()
            self._cancel_pending_on()
            if value != self._power_state:
                self._power_state = value
                self.last_power_state_change = int(self.emu.clock.time())
                self.relay_cycles += 1

    def _cancel_cycle(self) -> None:
        self.emu.events.touch(self)
        if self._cycle_handle is not None:
            self._cycle_handle.cancel()
            self._cycle_handle = None
        self.cycle_in_progress = False
        self.sequence_due = None

    def _cancel_pending_on(self) -> None:
        self.emu.events.touch(self)
        if self._pending_on is not None:
            self._pending_on.cancel()
            self._pending_on = None
        self.switch_on_in_progress = False
        self.switch_on_at = 0.0
        self.sequence_due = None

    def schedule_switch_on(
        self, delay: float, *, sequence: bool = False, cancelable: bool = True
    ) -> None:
        """Switch on after ``delay`` s (outlet sequencing): ``switchOnInProgress`` until then."""
        if delay <= 0:
            self.set_power(1)
            return
        with self.emu.events.change(self):
            self.set_power(self._power_state)  # cancels a cycle / earlier pending switch-on
            self.switch_on_in_progress = True
            self.switch_on_at = self.emu.clock.monotonic() + delay
            if sequence:
                self.sequence_due, self.sequence_cancelable = self.switch_on_at, cancelable
            self._pending_on = self.emu.call_later(delay, self._finish_pending_on)

    def _finish_pending_on(self) -> None:
        self._pending_on = None
        self.set_power(1)

    def effective_cycle_delay(self) -> int:
        return self.unit.cycle_delay if self.use_pdu_cycle_delay else self.cycle_delay

    def start_cycle(self, delay: float | None = None, *, sequence: bool = False) -> None:
        """Relay off, back on after ``delay`` s (default: the effective cycle delay)."""
        with self.emu.events.change(self):
            self.set_power(0)
            self.cycle_in_progress = True
            seconds = self.effective_cycle_delay() if delay is None else delay
            if sequence:  # a cycle end in a sequence cannot be canceled
                self.sequence_due = self.emu.clock.monotonic() + seconds
                self.sequence_cancelable = False
            self._cycle_handle = self.emu.call_later(seconds, self._finish_cycle)

    def _finish_cycle(self) -> None:
        with self.emu.events.change(self):
            self._cycle_handle = None
            self.sequence_due = None
            self.unit.tick()
            self.cycle_in_progress = False
            self._power_state = 1
            self.last_power_state_change = int(self.emu.clock.time())
            self.relay_cycles += 1

    @property
    def powered(self) -> bool:
        """Supply present at the outlet (breaker closed, inlet enabled)."""
        return self.unit.inlet_enabled and (self.ocp is None or not self.ocp.tripped)

    @property
    def energized(self) -> bool:
        return self.powered and self._power_state == 1 and not self.disabled

    # physics ----------------------------------------------------------------------------------
    def electrical(self, t: float) -> tuple[float, float, float, float, float]:
        """(voltage, active power, power factor, current, apparent power) at sample time ``t``.

        Cached per sample time and state, so a bulk reading many sensors stays cheap."""
        powered = self.powered
        energized = powered and self._power_state == 1 and not self.disabled
        key = (
            t,
            powered,
            energized,
            self.base_power,
            self.power_factor,
            self.line,
            self.unit.noise,
        )
        if self._cache_key == key:
            return self._cache
        v = self.unit.v_ln(self.line, t) if powered else 0.0
        p = 0.0
        if energized and self.base_power > 0:
            p = self.base_power * (1 + 0.05 * self.unit.noise * wave(self.phase_key, t))
        if p > 0:
            jitter = 0.005 * self.unit.noise * wave(self.phase_key + 3, t)
            pf = min(0.99, max(0.85, self.power_factor + jitter))
        else:
            pf = 1.0
        i = p / (v * pf) if p > 0 and v > 0 else 0.0
        self._cache_key = key
        self._cache = (v, p, pf, i, v * i)
        return self._cache

    def voltage(self, t: float) -> float:
        return self.electrical(t)[0]

    def active_power(self, t: float | None = None) -> float:
        return self.electrical(self.emu.sample_time() if t is None else t)[1]

    def pf(self, t: float) -> float:
        return self.electrical(t)[2]

    def current(self, t: float) -> float:
        return self.electrical(t)[3]

    def apparent_power(self, t: float) -> float:
        return self.electrical(t)[4]

    def reactive_power(self, t: float) -> float:
        _, p, _, _, s = self.electrical(t)
        return math.sqrt(max(s * s - p * p, 0.0))

    # RPC --------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        full = {
            "label": self.label,
            "receptacleType": self.receptacle,
            "namePlate": EMPTY_NAMEPLATE,
            "rating": {
                "current": self.rating_current,
                "decimalCurrent": float(self.rating_current),
                "minVoltage": 200,
                "maxVoltage": 240,
            },
            "isSwitchable": self.is_switchable,
            "isLatching": False,
            "maxRelayCycleCnt": 100000,
            "hasWaveformSupport": False,
            "hasServiceModeSupport": False,
        }
        return self.profile.pick("Outlet.MetaData", full)

    def state(self) -> dict[str, Any]:
        on = self._power_state == 1
        led = {"red": False, "green": on and not self.profile.is_4x, "blinking": False}
        full = {
            "available": True,
            "powerState": self._power_state,
            "switchOnInProgress": self.switch_on_in_progress,
            "cycleInProgress": self.cycle_in_progress,
            "isLoadShed": self.is_load_shed,
            "isSuspended": False,
            "hasInrushWaveform": False,
            "inServiceMode": False,
            "ledState": led,
            "lastPowerStateChange": self.last_power_state_change,
        }
        return self.profile.pick("Outlet.State", full)

    def settings(self) -> dict[str, Any]:
        return {
            "name": self.name_setting,
            "startupState": self.startup_state,
            "usePduCycleDelay": self.use_pdu_cycle_delay,
            "cycleDelay": self.cycle_delay,
            "nonCritical": self.non_critical,
            "sequenceDelay": self.sequence_delay,
        }

    def sensor_refs(self) -> dict[str, Any]:
        full = dict.fromkeys(self.profile.fields["Outlet.Sensors"])
        for key, sensor in self.sensors.items():
            if key in full:
                full[key] = sensor.ref()
        return full

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.metadata())

    def rpc_getState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.state())

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.settings())

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(power.apply_outlet_settings(self, arg(p, "settings", dict)))

    def rpc_getSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.sensor_refs())

    def switch_error(self) -> int:
        """The code of a switch command that cannot run (load shedding: ``power``)."""
        if not self.is_switchable:
            return 1  # ERR_OUTLET_NOT_SWITCHABLE
        if self.profile.is_4x and self.unit.inhibit_relay_control:
            return 5  # ERR_RELAY_CONTROL_DISABLED
        if self.disabled:
            return 3  # ERR_OUTLET_DISABLED
        return 0

    def rpc_setPowerState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        pstate = arg(p, "pstate", int)
        if pstate not in (0, 1):
            raise invalid_params("pstate must be 0 (PS_OFF) or 1 (PS_ON)")
        return ret(power.set_power_state(self, pstate))

    def rpc_cyclePowerState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(power.cycle_power_state(self))

    def rpc_getIOP(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        inlet = self.unit.inlets[0]
        pole = dict.fromkeys(self.profile.fields["Pole"])
        pole.update({"label": "", "line": self.line, "nodeId": self.line + 1})
        return {"i": inlet.ref(), "o": self.ocp.ref() if self.ocp else None, "p": [pole]}

    def rpc_getController(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)

    def rpc_unstick(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(0)

    def rpc_getInrushWaveform(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"voltage": [], "current": [], "sampleRate": 0})

    def rpc_setServiceModeEnabled(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "enabled", bool)
        return ret(1)  # ERR_OPERATION_UNSUPPORTED

    def rpc_getParents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        parent = self.ocp or self.unit.inlets[0]
        return ret([parent.ref()])

    def rpc_getChildren(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])


# --- breakers ------------------------------------------------------------------------------------
class Ocp(EDevice):
    iface = "OverCurrentProtector"

    def __init__(self, unit: Unit, index: int, line: int) -> None:
        super().__init__(unit, f"ocp.{index}")
        self.index = index
        self.label = f"C{index + 1}"
        self.line = line
        self.name_setting = ""
        self._tripped = False
        self.trip_count = 0
        self.trip_time = 0
        self.trip_current = 0.0
        self.outlets: list[Outlet] = []
        self.rating_current = 16
        self.sensors: dict[str, Sensor] = {}

    @property
    def tripped(self) -> bool:
        return self._tripped

    @tripped.setter
    def tripped(self, value: bool) -> None:
        with self.emu.events.change(self):
            self.unit.tick()
            if value and not self._tripped:
                self.trip_count += 1
                self.trip_time = int(self.emu.clock.time())
                self.trip_current = round(self.rating_current * 1.3, 2)
            self._tripped = bool(value)

    @property
    def name(self) -> str:
        return self.name_setting

    @name.setter
    def name(self, value: str) -> None:
        old = {"name": self.name_setting}
        self.name_setting = value
        self.emu.events.emit(
            "OverCurrentProtector.SettingsChangedEvent",
            self,
            oldSettings=old,
            newSettings={"name": value},
        )

    def current(self, t: float) -> float:
        return sum(o.current(t) for o in self.outlets)

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(
            {
                "label": self.label,
                "namePlate": EMPTY_NAMEPLATE,
                "rating": {
                    "current": self.rating_current,
                    "decimalCurrent": float(self.rating_current),
                    "minVoltage": 200,
                    "maxVoltage": 240,
                },
                "type": 0,
                "maxTripCnt": -1,
            }
        )

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"name": self.name_setting})

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        s = arg(p, "settings", dict)
        if not isinstance(s.get("name"), str):
            raise invalid_params("settings.name must be a string")
        self.name = s["name"]
        return ret(0)

    def rpc_getSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        full = dict.fromkeys(self.profile.fields["OverCurrentProtector.Sensors"])
        for key, sensor in self.sensors.items():
            full[key] = sensor.ref()
        return ret(full)

    def rpc_getPoles(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        pole = dict.fromkeys(self.profile.fields["DoublePole"])
        pole.update(
            {
                "label": "",
                "line": self.line,
                "inNodeId": self.line + 1,
                "outNodeId": 10 + self.index,
                "current": self.sensors["current"].ref(),
            }
        )
        return ret([pole])

    def rpc_getInlet(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.unit.inlets[0].ref())

    def rpc_getOCP(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)

    def rpc_getParents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([self.unit.inlets[0].ref()])

    def rpc_getChildren(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([o.ref() for o in self.outlets])


# --- inlets --------------------------------------------------------------------------------------
class Inlet(EDevice):
    iface = "Inlet"
    only_4x = frozenset({"getLinePairs"})

    def __init__(self, unit: Unit, index: int) -> None:
        super().__init__(unit, f"inlet.{index}")
        self.index = index
        self.label = f"I{index + 1}"
        self.rating_current = 32 if unit.phases == 3 else 16
        self.name_setting = ""
        self.sensors: dict[str, Sensor] = {}
        self.pole_sensors: list[dict[str, Sensor]] = []
        self.pole_lines: list[int] = []

    @property
    def name(self) -> str:
        return self.name_setting

    @name.setter
    def name(self, value: str) -> None:
        old = {"name": self.name_setting}
        self.name_setting = value
        self.emu.events.emit(
            "Inlet.SettingsChangedEvent", self, oldSettings=old, newSettings={"name": value}
        )

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        three = self.unit.phases == 3
        full = {
            "label": self.label,
            "plugType": "IEC 60309 3P+N+E 6h 32A" if three else "IEC 60309 2P+E 6h 16A",
            "namePlate": EMPTY_NAMEPLATE,
            "rating": {
                "current": self.rating_current,
                "decimalCurrent": float(self.rating_current),
                "minVoltage": 380 if three else 200,
                "maxVoltage": 415 if three else 240,
            },
            "hasWaveformSupport": False,
            "isDC": False,
        }
        return ret(self.profile.pick("Inlet.MetaData", full))

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"name": self.name_setting})

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        s = arg(p, "settings", dict)
        if not isinstance(s.get("name"), str):
            raise invalid_params("settings.name must be a string")
        self.name = s["name"]
        return ret(0)

    def rpc_getSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        full = dict.fromkeys(self.profile.fields["Inlet.Sensors"])
        for key, sensor in self.sensors.items():
            if key in full:
                full[key] = sensor.ref()
        return ret(full)

    def poles(self) -> list[dict[str, Any]]:
        out = []
        for idx, (line, sensors) in enumerate(zip(self.pole_lines, self.pole_sensors, strict=True)):
            pole = dict.fromkeys(self.profile.fields["Pole"])
            pole.update({"label": "", "line": line, "nodeId": idx + 1})
            for key, sensor in sensors.items():
                pole[key] = sensor.ref()
            out.append(pole)
        return out

    def rpc_getPoles(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.poles())

    def rpc_getLinePairs(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_isEnabled(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.unit.inlet_enabled)

    def rpc_setEnabled(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        enabled = arg(p, "enabled", bool)
        self.unit.tick()
        self.unit.inlet_enabled = enabled
        self.emu.events.emit("Inlet.EnableStateChangedEvent", self, enabled=enabled)

    def rpc_getParents(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getChildren(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        kids = self.unit.ocps or self.unit.outlets
        return ret([k.ref() for k in kids])


# --- peripherals ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogueEntry:
    kind: str  # "numeric" | "state" | "actuator"
    type: int
    unit: int
    package: int  # devices with the same package number share one serial
    package_class: str
    model: str
    name: str  # DeviceTypeInfo name
    identifier: str
    initial: float
    spec: NumericSpec | None = None


def _temp_spec(unit: int) -> NumericSpec:
    if unit == U_DEG_F:
        return NumericSpec(
            T_TEMPERATURE, U_DEG_F, 1, F32_01, -31.0, 176.0, (41.0, 50.0, 95.0, 104.0)
        )
    return NumericSpec(T_TEMPERATURE, U_DEG_C, 1, F32_01, -35.0, 80.0, (5.0, 10.0, 35.0, 40.0))


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        "numeric",
        T_TEMPERATURE,
        U_DEG_C,
        0,
        "1JX",
        "DPX3-T1H1",
        "Temperature",
        "TEMPERATURE",
        22.5,
        _temp_spec(U_DEG_C),
    ),
    CatalogueEntry(
        "numeric",
        T_HUMIDITY,
        U_PERCENT,
        0,
        "1JX",
        "DPX3-T1H1",
        "Relative Humidity",
        "HUMIDITY",
        45.0,
        NumericSpec(T_HUMIDITY, U_PERCENT, 0, F32_01, 0.0, 100.0, (None, 20.0, 70.0, 80.0)),
    ),
    CatalogueEntry(
        "numeric",
        T_TEMPERATURE,
        U_DEG_F,
        1,
        "1JT",
        "DPX3-T1",
        "Temperature",
        "TEMPERATURE",
        72.5,
        _temp_spec(U_DEG_F),
    ),
    CatalogueEntry(
        "state",
        T_CONTACT_CLOSURE,
        U_NONE,
        2,
        "1CC",
        "DPX-CC2-TR",
        "Contact Closure",
        "CONTACT_CLOSURE",
        0,
    ),
    CatalogueEntry(
        "state", T_DOOR_STATE, U_NONE, 3, "1DS", "DX2-DH2C2", "Door State", "DOOR_STATE", 1
    ),
    CatalogueEntry(
        "state", T_WATER_LEAK, U_NONE, 4, "1WL", "DPX-WSF-KIT", "Water Leak", "WATER_LEAK", 0
    ),
    CatalogueEntry(
        "state", T_SMOKE, U_NONE, 5, "1SM", "DX2-SMK", "Smoke Detector", "SMOKE_DETECTOR", 0
    ),
    CatalogueEntry(
        "actuator", T_DRY_CONTACT, U_NONE, 6, "1DC", "DX2-DH2C2", "Dry Contact", "DRY_CONTACT", 0
    ),
    CatalogueEntry(
        "actuator",
        T_DOOR_LOCK,
        U_NONE,
        7,
        "1DL",
        "DX2-DH2C2",
        "Door Lock State",
        "DOOR_LOCK_STATE",
        1,
    ),
    CatalogueEntry("state", T_VIBRATION, U_NONE, 8, "1VB", "DX2-VBR", "Vibration", "VIBRATION", 0),
    CatalogueEntry(
        "numeric",
        T_ABS_HUMIDITY,
        U_G_PER_M3,
        0,
        "1JX",
        "DPX3-T1H1",
        "Absolute Humidity",
        "ABSOLUTE_HUMIDITY",
        7.6,
        NumericSpec(T_ABS_HUMIDITY, U_G_PER_M3, 1, F32_01, 0.0, 300.0),
    ),
)


class Peripheral:
    """One peripheral device (= one slot's sensor or actuator channel)."""

    def __init__(
        self, unit: Unit, index: int, entry: CatalogueEntry, serial: str, hub_port: int = 0
    ) -> None:
        self.unit = unit
        self.index = index
        self.entry = entry
        self.serial = serial
        self.hub_port = hub_port  # 0: on the sensor port's chain; n: behind port n of a hub
        self._connected = True
        self._value: float = entry.initial
        self.noise_key = index * 5.7 + unit.seed_key
        iface = {"numeric": "NumericSensor", "state": "StateSensor", "actuator": "Switch"}[
            entry.kind
        ]
        sensor_name = f"EXT{index:02d}{'N' if entry.kind == 'numeric' else 'S'}"
        state_rt = (DISCRETE_ON_OFF, entry.type, entry.unit)
        self.sensor = Sensor(
            unit,
            sensor_name,
            iface,
            numeric=entry.spec,
            state_type=None if entry.spec else state_rt,
            read=self._read,
            write=self._write if entry.kind == "actuator" else None,
            available=lambda: self._connected,
        )
        self.sensor.external_sensor = True
        self.slot_name = "Front top" if index == 0 else ""

    @property
    def connected(self) -> bool:
        """False: the device does not answer (readings available=false)."""
        return self._connected

    @connected.setter
    def connected(self, value: bool) -> None:
        with self.unit.emu.events.change(self):
            self.unit.tick()
            self._connected = bool(value)

    @property
    def value(self) -> float:
        """The measured value (numeric, before noise) or the state (state sensors, actuators)."""
        return self._value

    @value.setter
    def value(self, value: float) -> None:
        with self.unit.emu.events.change(self):
            self.unit.tick()
            self._value = value

    @property
    def available(self) -> bool:
        return self.connected

    @available.setter
    def available(self, value: bool) -> None:
        self.connected = bool(value)

    @property
    def is_actuator(self) -> bool:
        return self.entry.kind == "actuator"

    def _read(self) -> float | int:
        if self.entry.kind == "numeric":
            t = self.unit.emu.sample_time()
            spread = 2.0 if self.entry.type == T_TEMPERATURE else 3.0
            if self.entry.type == T_ABS_HUMIDITY:
                spread = 0.4
            return round(self.value + spread * self.unit.noise * wave(self.noise_key, t / 20), 3)
        return int(self.value)

    def _write(self, new_state: int) -> int:
        self.value = new_state
        return 0

    def device(self) -> dict[str, Any]:
        prof = self.unit.emu.profile
        e = self.entry
        value = {
            "deviceID": {
                "serial": self.serial,
                "type": self.sensor.type_spec(),
                "isActuator": self.is_actuator,
                "channel": prof.device_channel,
            },
            "position": self.position(),
            "packageClass": e.package_class,
            "device": self.sensor.ref(),
        }
        return {"type": prof.typecode("Device"), "value": value}

    def position(self) -> list[dict[str, Any]]:
        """Sensor port 1 (DEV_PORT), [hub port (HUB_PORT),] chain position (CHAIN_POS)."""
        hub = [{"portType": 2, "port": str(self.hub_port)}] if self.hub_port else []
        chain = {"portType": 3, "port": str(self.entry.package + 1)}
        return [{"portType": 1, "port": "1"}, *hub, chain]


class DeviceSlot(RpcObject):
    iface = "DeviceSlot"
    external_sensor = True

    def __init__(self, unit: Unit, index: int, device: Peripheral | None) -> None:
        super().__init__(unit, f"pDevSlot.{index}")
        self.index = index
        self._peripheral = device
        self.description = ""
        self.location = {"x": "", "y": "", "z": ""}
        self.use_default_thresholds = True
        self.properties: list[dict[str, str]] = []

    @property
    def peripheral(self) -> Peripheral | None:
        """The device in this slot (None: unassigned)."""
        return self._peripheral

    @peripheral.setter
    def peripheral(self, device: Peripheral | None) -> None:
        """A device plugged in or out: DeviceSlot.DeviceChangedEvent and DeviceManager
        DeviceAddedEvent / DeviceRemovedEvent."""
        old = self._peripheral
        if device is old:
            return
        events = self.emu.events
        with events.change(self.unit):  # the monitored sensors change
            self._peripheral = device
            before = old.device() if old is not None else None
            after = device.device() if device is not None else None
            events.emit("DeviceSlot.DeviceChangedEvent", self, oldDevice=before, newDevice=after)
            manager = self.unit.device_manager
            every = [s.peripheral.device() for s in self.unit.slots if s.peripheral is not None]
            if before is not None:
                events.emit(
                    "DeviceManager.DeviceRemovedEvent", manager, devices=[before], allDevices=every
                )
            if after is not None:
                events.emit(
                    "DeviceManager.DeviceAddedEvent", manager, devices=[after], allDevices=every
                )

    def rpc_getDevice(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.peripheral.device() if self.peripheral else None)

    def settings(self) -> dict[str, Any]:
        name = self.peripheral.slot_name if self.peripheral else ""
        return {
            "name": name,
            "description": self.description,
            "location": dict(self.location),
            "useDefaultThresholds": self.use_default_thresholds,
            "properties": list(self.properties),
        }

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.settings())

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        s = arg(p, "settings", dict)
        if set(s) != set(self.profile.fields["DeviceSlot.Settings"]):
            raise invalid_params("settings must be a complete DeviceSlot.Settings")
        old = self.settings()
        if self.peripheral:
            self.peripheral.slot_name = str(s["name"])
        self.description = str(s["description"])
        self.location = dict(s["location"])
        self.use_default_thresholds = bool(s["useDefaultThresholds"])
        self.properties = list(s["properties"])
        self.emu.events.emit(
            "DeviceSlot.SettingsChangedEvent", self, oldSettings=old, newSettings=self.settings()
        )
        return ret(0)

    def rpc_unassign(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.peripheral = None
        return ret(0)

    def rpc_assign(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "devid", dict)
        return ret(1)  # ERR_INVALID_PARAMS

    def rpc_assignAddress(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(1)


class DeviceManager(RpcObject):
    iface = "DeviceManager"
    external_sensor = True
    only_4x = frozenset({"getSensorHubs", "getGatewaySensorManager"})

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit, "pDevMgr")

    def rpc_getDeviceSlots(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([s.ref() for s in self.unit.slots])

    def rpc_getDeviceSlot(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        idx = arg(p, "idx", int)
        if 0 <= idx < len(self.unit.slots):
            return ret(self.unit.slots[idx].ref())
        return ret(None)

    def rpc_getDiscoveredDevices(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([d.device() for d in self.unit.peripherals if d.connected])

    def rpc_getDiscoveredPackageInfos(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        seen: dict[str, Peripheral] = {}
        for d in self.unit.peripherals:
            if d.connected:
                seen.setdefault(d.serial, d)
        out = []
        for serial, d in seen.items():
            hw = {
                "serial": serial,
                "packageClass": d.entry.package_class,
                "model": d.entry.model,
                "minDowngradeVersion": 0,
                "revision": "3",
                "address": "",
            }
            fw = {
                "compileDate": 1600000000,
                "version": {"majorNumber": 1, "minorNumber": 4, "bootloaderVersion": 1},
                "updateDate": 1600000000,
                "firmwareName": "",
            }
            out.append(
                {
                    "state": 0,
                    "position": d.position()[:1],
                    "hwInfo": self.profile.pick("PackageInfo.HardwareInfo", hw),
                    "fwInfo": self.profile.pick("PackageInfo.FirmwareInfo", fw),
                }
            )
        return ret(out)

    def rpc_getDiscoveredPackages(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        full = {
            "zCoordMode": 0,
            "autoManageNewDevices": True,
            "deviceAltitude": 0.0,
            "presenceDetectionTimeout": 0,
            "defaultThresholdsMap": [],
            "maxActivePoweredDryContacts": 2,
            "muteOtherAccessControlUnit": False,
        }
        return ret(self.profile.pick("DeviceManager.Settings", full))

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "settings", dict)
        return ret(0)

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"oneWirePortCount": 1, "onboardDeviceCount": 0})

    def rpc_getDeviceTypeInfos(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        out = []
        seen: set[tuple[int, int, bool]] = set()
        for e in CATALOGUE:
            key = (e.type, e.unit, e.kind == "actuator")
            if key in seen:
                continue
            seen.add(key)
            spec = e.spec
            out.append(
                {
                    "type": {
                        "readingtype": NUMERIC if spec else DISCRETE_ON_OFF,
                        "type": e.type,
                        "unit": e.unit,
                    },
                    "isActuator": e.kind == "actuator",
                    "identifier": e.identifier,
                    "name": e.name,
                    "defaultRange": {
                        "lower": spec.lower if spec else 0.0,
                        "upper": spec.upper if spec else 1.0,
                    },
                    "defaultDecDigits": spec.decdigits if spec else 0,
                }
            )
        return ret(out)

    def rpc_getFirmwareUpdateState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"active": False, "remaining": 0})

    def rpc_getStatistics(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(
            self.profile.pick("DeviceManager.Statistics", {"cSumErrCnt": 0, "fuseTripCnt": 0})
        )

    def rpc_getPortFuse(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)

    def rpc_getSensorHubs(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getGatewaySensorManager(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)


# --- unit (Pdu) ----------------------------------------------------------------------------------
@dataclass
class UnitConfig:
    outlets: int
    phases: int
    ocps: int
    peripherals: int
    non_switchable: tuple[int, ...]
    metered_only: bool
    metered_outlets: bool
    cycle_delay: int
    name: str
    noise: bool = True


class Pdu(RpcObject):
    """The ``pdumodel.Pdu`` object of a unit (``/model/pdu/<n>``)."""

    iface = "Pdu"
    only_4x = frozenset(
        {
            "getAlertedSensorManager",
            "getSensorPorts",
            "getRemoteHubPorts",
            "getPorts",
            "getPowerShelfManager",
        }
    )

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit, "pdu")

    def metadata(self) -> dict[str, Any]:
        u = self.unit
        full = {
            "nameplate": u.nameplate(),
            "ctrlBoardSerial": u.ctrl_serial,
            "hwRevision": "0x64",
            "fwRevision": self.profile.fw_version,
            "macAddress": u.mac,
            "hasSwitchableOutlets": any(o.is_switchable for o in u.outlets),
            "hasMeteredOutlets": u.cfg.metered_outlets and bool(u.outlets),
            "hasLatchingOutletRelays": False,
            "isInlineMeter": False,
            "isEnergyPulseSupported": False,
            "hasDCInlets": False,
            "pduOrientation": 0,
            "supportedInletWirings": [1] if u.phases == 1 else [2],
        }
        return self.profile.pick("Pdu.MetaData", full)

    def settings(self) -> dict[str, Any]:
        u = self.unit
        full = {
            "name": u.name,
            "startupState": u.startup_state,
            "cycleDelay": u.cycle_delay,
            "inRushGuardDelay": u.inrush_guard_delay,
            "outletPowerStateSequence": list(u.outlet_sequence),
            "powerOnDelay": u.power_on_delay,
            "inhibitRelayControl": u.inhibit_relay_control,
            **u.settings_extra,
        }
        return self.profile.pick("Pdu.Settings", full)

    def rpc_getNameplate(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.unit.nameplate())

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.metadata())

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.settings())

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(power.apply_pdu_settings(self.unit, arg(p, "settings", dict)))

    def rpc_getSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        u = self.unit
        full: dict[str, Any] = dict.fromkeys(self.profile.fields["Pdu.Sensors"])
        full["powerSupplyStatus"] = [s.ref() for s in u.psu_sensors]
        for key, sensor in u.total_sensors.items():
            if key in full:
                full[key] = sensor.ref()
        return ret(full)

    def rpc_getOutlets(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([o.ref() for o in self.unit.outlets])

    def rpc_getInlets(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([i.ref() for i in self.unit.inlets])

    def rpc_getOverCurrentProtectors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([o.ref() for o in self.unit.ocps])

    def rpc_getTransferSwitches(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getPeripheralDeviceManager(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.unit.device_manager.ref())

    def rpc_getControllers(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getSensorLogger(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)

    def rpc_getAlertedSensorManager(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.unit.alerted_sensor_manager.ref())

    def rpc_getBeeper(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)

    def rpc_getFeaturePorts(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getSensorPorts(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getRemoteHubPorts(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([])

    def rpc_getPowerShelfManager(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(None)

    def rpc_getStatistic(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        u = self.unit
        ctrl = {
            "masterCSumErrCnt": 0,
            "slaveCSumErrCnt": 0,
            "mainCSumErrCnt": 0,
            "subCSumErrCnt": 0,
            "timeoutCnt": 0,
            "resetCnt": u.emu.boot_count,
            "emResetCnt": 0,
        }
        peripheral = {"cSumErrCnt": 0, "fuseTripCnt": 0}
        return ret(
            {
                "cbStats": [{"tripCnt": c.trip_count} for c in u.ocps],
                "ctrlStats": [self.profile.pick("CtrlStatistic", ctrl)],
                "outletStats": [
                    {"relayCycleCnt": o.relay_cycles, "relayFailCnt": 0} for o in u.outlets
                ],
                "peripheralStats": self.profile.pick("DeviceManager.Statistics", peripheral),
            }
        )

    def rpc_isLoadSheddingActive(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.unit.load_shedding)

    def rpc_setLoadSheddingActive(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.unit.set_load_shedding(arg(p, "active", bool))

    def rpc_getOutletSequenceState(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(power.sequence_state(self.unit))

    def rpc_cancelOutletSequence(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        power.cancel_sequence(self.unit)

    def _relay_blocked(self) -> int:
        if self.profile.is_4x and self.unit.inhibit_relay_control:
            return 5
        return 0

    def _switchable(self) -> list[Outlet]:
        return [o for o in self.unit.outlets if o.is_switchable and not o.disabled]

    def rpc_setAllOutletPowerStates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        pstate = arg(p, "pstate", int)
        if pstate not in (0, 1):
            raise invalid_params("pstate must be 0 or 1")
        if err := self._relay_blocked():
            return ret(err)
        outlets = self._switchable()
        _power_control(outlets, pstate)
        power.switch(self.unit, outlets, pstate)
        return ret(0)

    def rpc_cycleAllOutletPowerStates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        if err := self._relay_blocked():
            return ret(err)
        outlets = self._switchable()
        _power_control(outlets, 1, cycle=True)
        power.cycle(self.unit, outlets)
        return ret(0)

    def _selected(self, p: dict[str, Any]) -> list[Outlet] | int:
        numbers = arg(p, "outletNumbers", list)
        arg(p, "respectSequence", bool)
        if not all(isinstance(n, int) and 0 <= n < len(self.unit.outlets) for n in numbers):
            raise invalid_params("outletNumbers out of range")
        outlets = [self.unit.outlets[n] for n in numbers]
        if err := self._relay_blocked():
            return err
        if any(o.disabled for o in outlets):
            return 3
        return [o for o in dict.fromkeys(outlets) if o.is_switchable]

    def rpc_setMultipleOutletPowerStates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        state = arg(p, "state", int)
        if state not in (0, 1):
            raise invalid_params("state must be 0 or 1")
        sel = self._selected(p)
        if isinstance(sel, int):
            return ret(sel)
        _power_control(sel, state)
        power.switch(self.unit, sel, state, respect=p["respectSequence"])
        return ret(0)

    def rpc_cycleMultipleOutletPowerStates(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        sel = self._selected(p)
        if isinstance(sel, int):
            return ret(sel)
        _power_control(sel, 1, cycle=True)
        power.cycle(self.unit, sel, respect=p["respectSequence"])
        return ret(0)


def _power_control(outlets: list[Outlet], state: int, *, cycle: bool = False) -> None:
    """A Pdu command switches several outlets: a PowerControlEvent for each."""
    for outlet in outlets:
        outlet.power_control(state, cycle=cycle)


ALERT_UNAVAILABLE, ALERT_NORMAL, ALERT_CRITICAL, ALERT_WARNED = range(4)
# state sensor types whose value 1 is an alarm (NormalAlarmedState, FAULT_STATE) -> CRITICAL
_ALARM_TYPES = {T_CONTACT_CLOSURE, T_VIBRATION, T_WATER_LEAK, T_SMOKE, T_FAULT_STATE}


class AlertedSensorManager(RpcObject):
    """``sensors.AlertedSensorManager`` (``/model/alertedsensormanager``): health summary.

    Monitored [assumed]: the numeric sensors with an active threshold and the state sensors
    that can be in alarm (breaker trip sensors, NormalAlarmedState types such as water leak or
    smoke, FAULT_STATE such as the power supply). UNAVAILABLE: the sensor is unavailable;
    CRITICAL: a critical threshold flag (numeric), trip OPEN, alarmed, fault; WARNED: a warning
    flag; else NORMAL. Numeric flags are those of the last sample (``thresholds.py``)."""

    iface = "AlertedSensorManager"

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit, "alertedSensorMgr")

    def alert_states(self) -> dict[Sensor, tuple[RpcObject, int]]:
        """Every monitored sensor -> (its parent, its alert state)."""
        return {
            sensor: (parent, alert_state(sensor))
            for sensor, parent in self.unit.sensor_parents()
            if monitored(sensor)
        }

    @staticmethod
    def counts(states: dict[Sensor, tuple[RpcObject, int]]) -> dict[str, int]:
        values = [state for _, state in states.values()]
        return {
            "total": len(values),
            "unavailable": values.count(ALERT_UNAVAILABLE),
            "critical": values.count(ALERT_CRITICAL),
            "warned": values.count(ALERT_WARNED),
        }

    def _data(self) -> list[dict[str, Any]]:
        return [
            {"sensor": sensor.ref(), "parent": parent.ref(), "alertState": state}
            for sensor, (parent, state) in self.alert_states().items()
        ]

    def rpc_getSensorCounts(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self.counts(self.alert_states()))

    def rpc_getAlertedSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([d for d in self._data() if d["alertState"] != ALERT_NORMAL])

    def rpc_getAllSensors(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self._data())


def monitored(sensor: Sensor) -> bool:
    """Whether the AlertedSensorManager watches ``sensor``."""
    if sensor.numeric is not None:
        return any_active(sensor.thresholds)
    typ = sensor.type_spec()["type"]
    return typ == T_TRIP or typ in _ALARM_TYPES


def alert_state(sensor: Sensor) -> int:
    if not sensor.is_available():
        return ALERT_UNAVAILABLE
    if sensor.numeric is not None:
        upper_critical, upper_warning, lower_warning, lower_critical = sensor.alarm.asserted
        if upper_critical or lower_critical:
            return ALERT_CRITICAL
        if upper_warning or lower_warning:
            return ALERT_WARNED
        return ALERT_NORMAL
    value = sensor.state()["value"]
    typ = sensor.type_spec()["type"]
    if (typ == T_TRIP and value == 0) or (typ in _ALARM_TYPES and value == 1):
        return ALERT_CRITICAL
    return ALERT_NORMAL


class UnitObject(RpcObject):
    """``pdumodel.Unit`` at ``/model/unit`` (identify, buzzer)."""

    iface = "Unit"

    def __init__(self, unit: Unit) -> None:
        super().__init__(unit, "unit")
        self.buzzer_muted = False

    def rpc_identify(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        seconds = arg(p, "seconds", int)
        self.unit.identify_until = self.emu.clock.time() + max(seconds, 0)
        self.unit.identify_count += 1

    def rpc_muteBuzzer(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        self.buzzer_muted = arg(p, "mute", bool)

    def rpc_getMetaData(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"hasOrientationSensor": False, "supportedDisplayOrientations": [0]})

    def rpc_getSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(
            {
                "buzzerMuted": self.buzzer_muted,
                "autoDisplayOrientation": False,
                "displayOrientation": 0,
            }
        )

    def rpc_setSettings(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        arg(p, "settings", dict)
        return ret(0)

    def rpc_getDisplayOrientation(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(0)


class Unit:
    """One PDU (primary ``pdu_id`` 0, link units 2..8): the state tests inspect and modify."""

    def __init__(self, emu: PduEmulator, pdu_id: int, cfg: UnitConfig, seed: int) -> None:
        self.emu = emu
        self.pdu_id = pdu_id
        self.cfg = cfg
        self.phases = cfg.phases
        self.metered_only = cfg.metered_only
        rng = random.Random(f"{seed}/{pdu_id}")
        self.seed_key = rng.uniform(0, 1000)
        self.serial = f"{'PKE' if pdu_id == 0 else 'PKL'}{rng.randint(1000000, 9999999)}"
        self.serial = self.serial[:-1] + str(pdu_id)  # distinct per unit even for equal draws
        self.ctrl_serial = f"PKI{rng.randint(1000000, 9999999)}"
        octets = (rng.randint(0, 255), rng.randint(0, 255), pdu_id * 16 + rng.randint(0, 15))
        self.mac = "00:0d:5d:" + ":".join(f"{b:02x}" for b in octets)
        if cfg.phases == 3:
            self.model = "PX3-1876V" if cfg.metered_only else "PX3-5876V"
        else:
            self.model = "PX3-1190R" if cfg.metered_only else "PX3-5190R"
        self._name = cfg.name
        self.cycle_delay = cfg.cycle_delay
        self.noise = 1.0 if cfg.noise else 0.0  # 0: exact values (230 V, 50 Hz, base_power)
        self.inrush_guard_delay = 200  # ms, Pdu.Settings.inRushGuardDelay
        self.load_shedding = False
        self.outlet_sequence: list[int] = []  # Pdu.Settings.outletPowerStateSequence
        self.inhibit_relay_control = False
        self.startup_state = power.SS_LASTKNOWN  # Pdu.Settings.startupState
        self.power_on_delay = 0  # s, Pdu.Settings.powerOnDelay
        self.settings_extra: dict[str, Any] = {  # stored Pdu.Settings without behaviour here
            "latchingRelays": False,
            "energyPulseEnabled": False,
            "energyPulsesPerKWh": 1000,
            "demandUpdateInterval": 0,
            "demandAveragingIntervals": 0,
            "suspendTripCauseOutlets": False,
            "inletWiring": 0,
        }
        self.power_lost = False  # emu.faults.power_loss: no supply (emu.power)
        self.inlet_enabled_before_loss = True
        self.inlet_enabled = True
        self.identify_until = 0.0
        self.identify_count = 0
        self._unreachable = False
        self._last_tick = emu.clock.monotonic()

        self.pdu = Pdu(self)
        self.unit_object = UnitObject(self)
        self.device_manager = DeviceManager(self)
        self.alerted_sensor_manager = AlertedSensorManager(self)
        self.outlets = [Outlet(self, i, rng) for i in range(cfg.outlets)]
        self.ocps = [Ocp(self, k, k % cfg.phases) for k in range(cfg.ocps)]
        for i, o in enumerate(self.outlets):
            if self.ocps:
                ocp = self.ocps[i * len(self.ocps) // len(self.outlets)]
                o.ocp = ocp
                o.line = ocp.line
                ocp.outlets.append(o)
            else:
                o.line = i % cfg.phases
        self.inlets = [Inlet(self, 0)]
        self.peripherals: list[Peripheral] = []
        if cfg.peripherals > emu.profile.slot_count:
            raise ValueError(
                f"{cfg.peripherals} peripherals do not fit the {emu.profile.slot_count} slots "
                f"of firmware {emu.profile.name}"
            )
        serials: dict[tuple[int, int], str] = {}
        for idx in range(cfg.peripherals):
            # beyond the catalogue: the same kinds again, as new packages behind hub port 1, 2 ...
            hub_port, pos = divmod(idx, len(CATALOGUE))
            entry = CATALOGUE[pos]
            serial = serials.setdefault(
                (hub_port, entry.package), f"{entry.package_class}{rng.randint(1000000, 9999999)}"
            )
            self.peripherals.append(Peripheral(self, idx, entry, serial, hub_port))
        self.slots = [
            DeviceSlot(self, s, self.peripherals[s] if s < len(self.peripherals) else None)
            for s in range(emu.profile.slot_count)
        ]
        self.psu_sensors: list[Sensor] = []
        self.total_sensors: dict[str, Sensor] = {}
        self._build_sensors()

    # public helpers ---------------------------------------------------------------------------
    def outlet(self, index: int) -> Outlet:
        return self.outlets[index]

    def inlet(self, index: int = 0) -> Inlet:
        return self.inlets[index]

    def ocp(self, index: int) -> Ocp:
        return self.ocps[index]

    def slot(self, index: int) -> DeviceSlot:
        return self.slots[index]

    def peripheral(self, index: int) -> Peripheral:
        return self.peripherals[index]

    @property
    def offline(self) -> bool:
        """Unreachable (the fault) or without power: /cascade UNREACHABLE, routed calls 503."""
        return self.unreachable or self.power_lost

    @property
    def link_status(self) -> int:
        """``CascadeManager.LinkUnitStatus`` of this (link) unit."""
        return LINK_UNREACHABLE if self.offline else LINK_OK

    @property
    def unreachable(self) -> bool:
        """``faults.link_unreachable``: the primary cannot reach this link unit."""
        return self._unreachable

    @unreachable.setter
    def unreachable(self, value: bool) -> None:
        with self.emu.events.link_change():
            self._unreachable = bool(value)

    @property
    def name(self) -> str:
        """``Pdu.Settings.name``; set here (test API): a Pdu.SettingsChangedEvent."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        old = self.pdu.settings()
        self._name = value
        self.emu.events.emit(
            "Pdu.SettingsChangedEvent", self.pdu, oldSettings=old, newSettings=self.pdu.settings()
        )

    @property
    def prefix(self) -> str:
        """Opaque-RID instance-name prefix: "" on the primary, "L<id>." on link units."""
        return "" if self.pdu_id == 0 else f"L{self.pdu_id}."

    def nameplate(self) -> dict[str, Any]:
        three = self.phases == 3
        return {
            "manufacturer": "Raritan",
            "brand": "Raritan",
            "model": self.model,
            "partNumber": "",
            "serialNumber": self.serial,
            "rating": {
                "voltage": "380-415V" if three else "220-240V",
                "current": "32A" if three else "16A",
                "frequency": "50/60Hz",
                "power": "22.2kVA" if three else "3.7kVA",
            },
            "imageFileURL": "",
        }

    def objects(self) -> Iterator[RpcObject]:
        yield self.pdu
        yield self.device_manager
        yield self.alerted_sensor_manager
        yield from self.outlets
        yield from self.inlets
        yield from self.ocps
        yield from self.slots
        yield from self.all_sensors()

    def all_sensors(self) -> Iterator[Sensor]:
        for o in self.outlets:
            yield from o.sensors.values()
        for i in self.inlets:
            yield from i.sensors.values()
            for ps in i.pole_sensors:
                yield from ps.values()
        for c in self.ocps:
            yield from c.sensors.values()
        yield from self.psu_sensors
        yield from self.total_sensors.values()
        for d in self.peripherals:
            yield d.sensor

    def sensor_parents(self) -> Iterator[tuple[Sensor, RpcObject]]:
        """Every sensor with the object it belongs to (AlertedSensorManager.SensorData.parent)."""
        for o in self.outlets:
            for s in o.sensors.values():
                yield s, o
        for i in self.inlets:
            for s in i.sensors.values():
                yield s, i
            for ps in i.pole_sensors:
                for s in ps.values():
                    yield s, i
        for c in self.ocps:
            for s in c.sensors.values():
                yield s, c
        for s in [*self.psu_sensors, *self.total_sensors.values()]:
            yield s, self.pdu
        for slot in self.slots:
            if slot.peripheral is not None:
                yield slot.peripheral.sensor, slot

    def set_load_shedding(self, active: bool) -> None:
        """Load shedding: non-critical outlets switch off (isLoadShed) and come back afterwards."""
        power.set_load_shedding(self, active)

    def ocp_of_trip_sensor(self, sensor: Sensor) -> Ocp | None:
        return next((c for c in self.ocps if c.sensors.get("trip") is sensor), None)

    # physics ----------------------------------------------------------------------------------
    def tick(self) -> None:
        """Integrate energy up to now (called before reads and before every state change)."""
        now = self.emu.clock.monotonic()
        dt = now - self._last_tick
        self._last_tick = now
        if dt <= 0:
            return
        t = self.emu.sample_time()
        for o in self.outlets:
            if o.energized:
                wh, vah = o.active_power(t) * dt / 3600.0, o.apparent_power(t) * dt / 3600.0
                o.energy_wh += wh
                o.apparent_energy_vah += vah
                o.throughput_wh += wh
                o.throughput_vah += vah
        self.emu.sampler.catch_up()  # the seconds that passed, before anything changes

    def reset_energy(self, sensor: Sensor) -> None:
        self.tick()
        for o in self.outlets:
            if sensor in (o.sensors.get("activeEnergy"), o.sensors.get("apparentEnergy")):
                o.energy_wh = 0.0
                o.apparent_energy_vah = 0.0

    def v_ln(self, line: int, t: float) -> float:
        if not self.inlet_enabled:
            return 0.0
        return 230.0 + 1.8 * self.noise * wave(self.seed_key + line * 7.3, t)

    def v_ll(self, a: int, b: int, t: float) -> float:
        va, vb = self.v_ln(a, t), self.v_ln(b, t)
        return math.sqrt(va * va + vb * vb + va * vb)

    def frequency(self, t: float) -> float:
        if not self.inlet_enabled:
            return 0.0
        return 50.0 + 0.03 * self.noise * wave(self.seed_key + 99, t)

    def line_outlets(self, line: int) -> list[Outlet]:
        return [o for o in self.outlets if o.line == line]

    def line_values(self, line: int, t: float) -> dict[str, float]:
        outs = self.line_outlets(line)
        values = [o.electrical(t) for o in outs]
        p = sum(x[1] for x in values)
        s = sum(x[4] for x in values)
        return {
            "p": p,
            "s": s,
            "i": sum(x[3] for x in values),
            "q": math.sqrt(max(s * s - p * p, 0.0)),
            "e": sum(o.energy_wh for o in outs),
            "ae": sum(o.apparent_energy_vah for o in outs),
        }

    def lines(self) -> list[int]:
        return [L1] if self.phases == 1 else [L1, L2, L3]

    def inlet_values(self, t: float) -> dict[str, float]:
        per = [self.line_values(line, t) for line in self.lines()]
        p = sum(x["p"] for x in per)
        s = sum(x["s"] for x in per)
        currents = [x["i"] for x in per]
        if self.phases == 1:
            voltage = self.v_ln(L1, t)
            unbalance = 0.0
        else:
            voltage = min(self.v_ll(L1, L2, t), self.v_ll(L2, L3, t), self.v_ll(L3, L1, t))
            avg = sum(currents) / 3
            unbalance = max(abs(c - avg) for c in currents) / avg * 100 if avg > 0 else 0.0
        return {
            "voltage": voltage,
            "current": max(currents),
            "p": p,
            "s": s,
            "q": math.sqrt(max(s * s - p * p, 0.0)),
            "pf": p / s if s > 0 else 1.0,
            "e": sum(x["e"] for x in per),
            "ae": sum(x["ae"] for x in per),
            "unbalance": unbalance,
        }

    def neutral_current(self, t: float) -> float:
        if self.phases == 1:
            return self.line_values(L1, t)["i"]
        i1, i2, i3 = (self.line_values(line, t)["i"] for line in (L1, L2, L3))
        re = i1 - 0.5 * i2 - 0.5 * i3
        im = math.sqrt(3) / 2 * (i2 - i3)
        return math.hypot(re, im)

    # sensor construction ----------------------------------------------------------------------
    def _numeric(
        self, name: str, spec: NumericSpec, read: Callable[[], float], accumulating: bool = False
    ) -> Sensor:
        return Sensor(
            self,
            name,
            "AccumulatingNumericSensor" if accumulating else "NumericSensor",
            numeric=spec,
            read=read,
        )

    def _build_sensors(self) -> None:
        t = self.emu.sample_time
        vmax = 866.0254037844386 if self.phases == 3 else 300.0
        volt = NumericSpec(T_VOLTAGE, U_VOLT, 0, 1.0, 0.0, vmax, (194.0, 207.0, 247.0, 254.0))
        volt_ll = NumericSpec(T_VOLTAGE, U_VOLT, 0, 1.0, 0.0, vmax, (340.0, 360.0, 430.0, 440.0))

        def amps(upper: float, rating: float) -> NumericSpec:
            """Current: warning at 80 % of the rating, critical at the rating."""
            th = (None, None, round(rating * 0.8, 3), float(rating))
            return NumericSpec(T_CURRENT, U_AMPERE, 3, F32_0001, 0.0, upper, th)

        def watts(rating: float) -> NumericSpec:
            """Active power: upper thresholds at 80 % / 100 % of rating x 230 V, inactive."""
            th = (None, None, round(rating * 230 * 0.8, 1), rating * 230.0)
            return NumericSpec(T_POWER, U_WATT, 0, 1.0, 0.0, 30000.0, th, enabled=False)

        watt = NumericSpec(T_POWER, U_WATT, 0, 1.0, 0.0, 30000.0)
        var = NumericSpec(T_POWER, U_VAR, 0, 1.0, 0.0, 30000.0)
        va = NumericSpec(T_POWER, U_VOLT_AMP, 0, 1.0, 0.0, 30000.0)
        pf = NumericSpec(T_POWER_FACTOR, U_NONE, 2, F32_001, 0.0, 1.0)
        wh = NumericSpec(T_ENERGY, U_WATT_HOUR, 0, 1.0, 0.0, 1099511627776.0)
        vah = NumericSpec(T_ENERGY, U_VOLT_AMP_HOUR, 0, 1.0, 0.0, 1099511627776.0)
        hz = NumericSpec(T_FREQUENCY, U_HZ, 1, F32_01, 45.0, 65.0, (47.0, 48.0, 52.0, 53.0))
        unb = NumericSpec(
            T_UNBALANCE_CURRENT, U_PERCENT, 0, 1.0, 0.0, 100.0, (None, None, 30.0, 50.0)
        )
        unbv = NumericSpec(T_UNBALANCE_VOLTAGE, U_PERCENT, 1, F32_01, 0.0, 100.0)

        for o in self.outlets:
            n = f"O{o.index}"
            o.sensors["outletState"] = Sensor(
                self,
                f"{n}OutletState",
                "StateSensor",
                state_type=(DISCRETE_ON_OFF, T_ON_OFF, U_NONE),
                read=lambda o=o: o.power_state,
            )
            if not self.cfg.metered_outlets:
                continue
            o.sensors.update(
                {
                    "voltage": self._numeric(f"{n}Voltage", volt, lambda o=o: o.voltage(t())),
                    "current": self._numeric(
                        f"{n}Current",
                        amps(o.rating_current * 2.0, o.rating_current),
                        lambda o=o: o.current(t()),
                    ),
                    "activePower": self._numeric(
                        f"{n}ActivePower", watts(o.rating_current), lambda o=o: o.active_power(t())
                    ),
                    "reactivePower": self._numeric(
                        f"{n}ReactivePower", var, lambda o=o: o.reactive_power(t())
                    ),
                    "apparentPower": self._numeric(
                        f"{n}ApparentPower", va, lambda o=o: o.apparent_power(t())
                    ),
                    "powerFactor": self._numeric(f"{n}PowerFactor", pf, lambda o=o: o.pf(t())),
                    "activeEnergy": self._numeric(
                        f"{n}ActiveEnergy", wh, lambda o=o: o.energy_wh, True
                    ),
                    "apparentEnergy": self._numeric(
                        f"{n}ApparentEnergy", vah, lambda o=o: o.apparent_energy_vah, True
                    ),
                    "lineFrequency": self._numeric(
                        f"{n}LineFrequency", hz, lambda: self.frequency(t())
                    ),
                }
            )
            # keep IDL order of Outlet.Sensors in dict (cosmetic)

        inlet = self.inlets[0]
        iv = self.inlet_values
        inlet_max = 40.0 if self.phases == 3 else 20.0
        rating = inlet.rating_current
        inlet.sensors.update(
            {
                "voltage": self._numeric(
                    "I0Voltage", volt_ll if self.phases == 3 else volt, lambda: iv(t())["voltage"]
                ),
                "current": self._numeric(
                    "I0Current", amps(inlet_max, rating), lambda: iv(t())["current"]
                ),
                "activePower": self._numeric(
                    "I0ActivePower", watts(rating * self.phases), lambda: iv(t())["p"]
                ),
                "reactivePower": self._numeric("I0ReactivePower", var, lambda: iv(t())["q"]),
                "apparentPower": self._numeric("I0ApparentPower", va, lambda: iv(t())["s"]),
                "powerFactor": self._numeric("I0PowerFactor", pf, lambda: iv(t())["pf"]),
                "activeEnergy": self._numeric("I0ActiveEnergy", wh, lambda: iv(t())["e"], True),
                "apparentEnergy": self._numeric(
                    "I0ApparentEnergy", vah, lambda: iv(t())["ae"], True
                ),
                "lineFrequency": self._numeric("I0LineFrequency", hz, lambda: self.frequency(t())),
            }
        )
        if self.phases == 3:
            inlet.sensors["unbalancedCurrent"] = self._numeric(
                "I0UnbalancedCurrent", unb, lambda: iv(t())["unbalance"]
            )
            if self.emu.profile.is_4x:
                inlet.sensors["unbalancedVoltage"] = self._numeric(
                    "I0UnbalancedVoltage", unbv, lambda: self._voltage_unbalance(t())
                )
        # poles
        lines = self.lines()
        for idx, line in enumerate([*lines, NEUTRAL]):
            n = f"I0P{idx}"
            sensors: dict[str, Sensor] = {}
            if line == NEUTRAL:
                sensors["current"] = self._numeric(
                    f"{n}Current", amps(inlet_max, rating), lambda: self.neutral_current(t())
                )
            else:
                nxt = lines[(idx + 1) % len(lines)]
                if self.phases == 3:
                    sensors["voltage"] = self._numeric(
                        f"{n}Voltage", volt_ll, lambda a=line, b=nxt: self.v_ll(a, b, t())
                    )
                    sensors["voltageLN"] = self._numeric(
                        f"{n}VoltageLN", volt, lambda a=line: self.v_ln(a, t())
                    )
                else:
                    sensors["voltage"] = self._numeric(
                        f"{n}Voltage", volt, lambda a=line: self.v_ln(a, t())
                    )
                sensors.update(
                    {
                        "current": self._numeric(
                            f"{n}Current",
                            amps(inlet_max, rating),
                            lambda a=line: self.line_values(a, t())["i"],
                        ),
                        "activePower": self._numeric(
                            f"{n}ActivePower", watt, lambda a=line: self.line_values(a, t())["p"]
                        ),
                        "apparentPower": self._numeric(
                            f"{n}ApparentPower", va, lambda a=line: self.line_values(a, t())["s"]
                        ),
                        "powerFactor": self._numeric(
                            f"{n}PowerFactor", pf, lambda a=line: self._line_pf(a, t())
                        ),
                        "activeEnergy": self._numeric(
                            f"{n}ActiveEnergy",
                            wh,
                            lambda a=line: self.line_values(a, t())["e"],
                            True,
                        ),
                    }
                )
            inlet.pole_lines.append(line)
            inlet.pole_sensors.append(sensors)
        # breakers
        for c in self.ocps:
            n = f"OCP{c.index}"
            c.sensors.update(
                {
                    "trip": Sensor(
                        self,
                        f"{n}Trip",
                        "TripSensor",
                        state_type=(DISCRETE_ON_OFF, T_TRIP, U_NONE),
                        read=lambda c=c: 0 if c.tripped else 1,
                    ),
                    "voltage": self._numeric(
                        f"{n}Voltage",
                        volt,
                        lambda c=c: 0.0 if c.tripped else self.v_ln(c.line, t()),
                    ),
                    "current": self._numeric(
                        f"{n}Current", amps(20.0, c.rating_current), lambda c=c: c.current(t())
                    ),
                    "activePower": self._numeric(
                        f"{n}ActivePower",
                        watts(c.rating_current),
                        lambda c=c: sum(o.active_power(t()) for o in c.outlets),
                    ),
                    "activeEnergy": self._numeric(
                        f"{n}ActiveEnergy",
                        wh,
                        lambda c=c: sum(o.energy_wh for o in c.outlets),
                        True,
                    ),
                }
            )
        # unit totals and PSU status
        self.total_sensors = {
            "activePower": self._numeric("PduActivePower", watt, lambda: iv(t())["p"]),
            "apparentPower": self._numeric("PduApparentPower", va, lambda: iv(t())["s"]),
            "activeEnergy": self._numeric("PduActiveEnergy", wh, lambda: iv(t())["e"], True),
            "apparentEnergy": self._numeric("PduApparentEnergy", vah, lambda: iv(t())["ae"], True),
        }
        if not self.emu.profile.is_4x:
            for key in ("apparentPower", "apparentEnergy"):
                del self.total_sensors[key]
        self.psu_sensors = [
            Sensor(
                self,
                "PSU0Status",
                "StateSensor",
                state_type=(DISCRETE_ON_OFF, T_FAULT_STATE, U_NONE),
                read=lambda: 0,
            )
        ]

    def _line_pf(self, line: int, t: float) -> float:
        v = self.line_values(line, t)
        return v["p"] / v["s"] if v["s"] > 0 else 1.0

    def _voltage_unbalance(self, t: float) -> float:
        vs = [self.v_ln(line, t) for line in (L1, L2, L3)]
        avg = sum(vs) / 3
        return max(abs(v - avg) for v in vs) / avg * 100 if avg > 0 else 0.0
