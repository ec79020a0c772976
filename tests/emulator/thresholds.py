"""Numeric sensor thresholds: validation of ``setThresholds``, the per-threshold state machine
(deassertion hysteresis, assertion timeout) and the sampler that runs it once per second of
emulated time.

What the firmware documents (``NumericSensor`` IDL, PX3 user guide "Assertion Timeout" and
"Deassertion Hysteresis"):

* the device measures every sensor once per second (one *sample*); ``Reading.status`` is decided
  on the value **rounded to** ``MetaData.decdigits``;
* a threshold is *asserted* only when the reading stays beyond it for ``assertionTimeout``
  samples after the sample that crossed it (0: at once); a reading that comes back within that
  time asserts nothing;
* an asserted upper threshold is *deasserted* when the reading falls to ``threshold -
  deassertionHysteresis`` (a lower one: rises to ``threshold + hysteresis``); deassertion has no
  timeout;
* "the difference between upper warning and lower warning must be at least two times the
  deassertion hysteresis".

The emulator's choices where the documents say nothing [assumed]:

* the four flags are independent comparators: a reading above upper critical is also above upper
  warning (both flags true, each with its own timeout and hysteresis);
* ``setThresholds`` return codes, checked in this order: 3 ``THRESHOLD_NOT_SUPPORTED`` (an
  ``*Active`` flag for a threshold ``thresholdCaps`` does not have), 1 ``THRESHOLD_OUT_OF_RANGE``
  (an active threshold outside ``MetaData.range``), 2 ``THRESHOLD_INVALID`` (active thresholds
  not strictly ordered lowerCritical < lowerWarning < upperWarning < upperCritical, a negative
  hysteresis, the lowest active upper minus the highest active lower below twice the hysteresis,
  ``assertionTimeout`` outside 0..100). Inactive thresholds are stored as sent, unchecked;
* new thresholds take effect at the next sample; pending assertion timeouts start again;
* an unavailable sensor has every flag false (and starts from scratch when it comes back).

Sampling is lazy: whenever the device model is about to change, and at every request, the
sampler evaluates the sample instants (whole seconds of ``emu.clock.time()``) that have passed
since it last ran, with the device state of that span (``Unit.tick`` runs it before every state
change). While an event channel exists it also runs on a 1 s timer, so threshold events reach a
waiting ``pollEvents`` when they happen. After a gap of more than ``MAX_CATCH_UP`` samples that
nothing observed, only the last ``MAX_CATCH_UP`` are evaluated (the device state did not change in
the gap; only noise could have crossed a threshold in the skipped part).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Sensor
    from .server import PduEmulator

THRESHOLD_OUT_OF_RANGE, THRESHOLD_INVALID, THRESHOLD_NOT_SUPPORTED = 1, 2, 3
MAX_ASSERTION_TIMEOUT = 100
"""[assumed] the largest ``assertionTimeout`` (samples) ``setThresholds`` accepts."""
MAX_CATCH_UP = 120
"""Samples evaluated at most when the sampler catches up after a long unobserved gap."""
SAMPLE_EPSILON = 1e-6
"""A clock reading this close below a whole second counts as that second (float rounding)."""

# (Reading.Status flag, threshold, its *Active flag, ThresholdCapabilities flag, upper?)
COMPARATORS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("aboveUpperCritical", "upperCritical", "upperCriticalActive", "hasUpperCritical", True),
    ("aboveUpperWarning", "upperWarning", "upperWarningActive", "hasUpperWarning", True),
    ("belowLowerWarning", "lowerWarning", "lowerWarningActive", "hasLowerWarning", False),
    ("belowLowerCritical", "lowerCritical", "lowerCriticalActive", "hasLowerCritical", False),
)
STATUS_FIELDS = tuple(c[0] for c in COMPARATORS)
ACTIVE_FIELDS = tuple(c[2] for c in COMPARATORS)
# the order active thresholds must keep (lowest first)
ORDER = ("lowerCritical", "lowerWarning", "upperWarning", "upperCritical")


def sample_second(now: float) -> int:
    """The sample instant (whole second) at or before ``now``."""
    return math.floor(now + SAMPLE_EPSILON)


def any_active(thresholds: dict[str, Any]) -> bool:
    return any(thresholds.get(key) for key in ACTIVE_FIELDS)


def check(thresholds: dict[str, Any], metadata: dict[str, Any]) -> int:
    """The ``setThresholds`` return code for ``thresholds`` of a sensor with ``metadata``."""
    caps = metadata["thresholdCaps"]
    if any(thresholds[active] and not caps[cap] for _, _, active, cap, _ in COMPARATORS):
        return THRESHOLD_NOT_SUPPORTED
    lower, upper = metadata["range"]["lower"], metadata["range"]["upper"]
    active = {name: thresholds[name] for _, name, flag, _, _ in COMPARATORS if thresholds[flag]}
    if any(not lower <= value <= upper for value in active.values()):
        return THRESHOLD_OUT_OF_RANGE
    ordered = [active[name] for name in ORDER if name in active]
    hysteresis = thresholds["deassertionHysteresis"]
    if any(a >= b for a, b in itertools.pairwise(ordered)) or hysteresis < 0:
        return THRESHOLD_INVALID
    uppers = [active[n] for n in ("upperWarning", "upperCritical") if n in active]
    lowers = [active[n] for n in ("lowerWarning", "lowerCritical") if n in active]
    if uppers and lowers and min(uppers) - max(lowers) < 2 * hysteresis:
        return THRESHOLD_INVALID
    if not 0 <= thresholds["assertionTimeout"] <= MAX_ASSERTION_TIMEOUT:
        return THRESHOLD_INVALID
    return 0


class ThresholdState:
    """The four comparators of one numeric sensor (asserted flags, pending sample counts)."""

    __slots__ = ("asserted", "counts")

    def __init__(self) -> None:
        self.asserted = [False, False, False, False]
        self.counts = [0, 0, 0, 0]

    def status(self) -> dict[str, bool]:
        return dict(zip(STATUS_FIELDS, self.asserted, strict=True))

    def restart_timeouts(self) -> None:
        self.counts = [0, 0, 0, 0]

    def step(self, value: float | None, thresholds: dict[str, Any], decdigits: int) -> bool:
        """One sample (``value`` None: unavailable / invalid); True when a flag changed."""
        before = list(self.asserted)
        if value is None:
            self.asserted = [False, False, False, False]
            self.counts = [0, 0, 0, 0]
            return before != self.asserted
        shown = round(value, decdigits)
        timeout = int(thresholds["assertionTimeout"])
        hysteresis = float(thresholds["deassertionHysteresis"])
        for i, (_, name, active, _, upper) in enumerate(COMPARATORS):
            limit = float(thresholds[name])
            if not thresholds[active]:
                self.asserted[i], self.counts[i] = False, 0
            elif self.asserted[i]:
                back = shown <= limit - hysteresis if upper else shown >= limit + hysteresis
                if back:
                    self.asserted[i], self.counts[i] = False, 0
            elif shown > limit if upper else shown < limit:
                self.counts[i] += 1
                if self.counts[i] > timeout:
                    self.asserted[i], self.counts[i] = True, 0
            else:
                self.counts[i] = 0
        return before != self.asserted


class Sampler:
    """Runs the threshold comparators of every numeric sensor with an active threshold once per
    second of emulated time (``emu.sampler``), and hands each sample to the event hub."""

    def __init__(self, emu: PduEmulator) -> None:
        self._emu = emu
        self.last = sample_second(emu.clock.time())
        self._running = False
        self._timer: Any = None
        self._tracked: list[Sensor] | None = None
        self.samples = 0
        """Sample instants evaluated so far (stats)."""

    def invalidate(self) -> None:
        """Thresholds or the topology changed: rebuild the list of tracked sensors."""
        self._tracked = None

    def tracked(self) -> list[Sensor]:
        """Numeric sensors with at least one active threshold."""
        if self._tracked is None:
            self._tracked = [s for s in self.numeric_sensors() if s.alarm_tracked]
        return self._tracked

    def numeric_sensors(self) -> Iterator[Sensor]:
        emu = self._emu
        for unit in emu.units:
            for sensor in unit.all_sensors():
                if sensor.numeric is not None:
                    yield sensor
        groups = getattr(emu, "groups", None)  # None while the emulator is being built
        for group in groups.all() if groups is not None else []:
            yield from group.sensors.values()

    def catch_up(self) -> None:
        """Evaluate every sample instant up to now that has not been evaluated yet."""
        emu = self._emu
        now = sample_second(emu.clock.time())
        if now <= self.last or self._running:
            return
        first = max(self.last + 1, now - MAX_CATCH_UP + 1)
        self.last = now
        self._running = True
        saved = emu._sample
        try:
            tracked = self.tracked()
            observe: Callable[[list[Sensor]], None] | None = emu.events.sample_observer()
            for second in range(first, now + 1):
                emu._sample = second  # every reading of this sample: value and timestamp at it
                changed = [sensor for sensor in tracked if sensor.sample()]
                if observe is not None:
                    observe(changed)
                self.samples += 1
        finally:
            emu._sample = saved
            self._running = False

    # --- the 1 s timer while event channels exist ------------------------------------------
    def start_timer(self) -> None:
        if self._timer is None:
            self._schedule()

    def _schedule(self) -> None:
        now = self._emu.clock.time()
        delay = sample_second(now) + 1 - now
        self._timer = self._emu.call_later(max(delay, 0.0), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        emu = self._emu
        for unit in emu.units:
            unit.tick()  # integrates energy, then catches up the samples
        emu.events.prune()
        if emu.events.active:
            self._schedule()
