"""The emulator's one source of time: every reading, timestamp, timer and wait goes through a clock.

* :class:`RealClock` (the default; CLI, ``scripts/develop``, the ``emulator_factory`` fixture):
  ``time.monotonic()`` / ``time.time()`` looked up at every call and timers on the event loop. Under
  Home Assistant's ``freezer`` fixture it therefore follows the frozen clock: ``freezer.tick()``
  moves the readings and sessions, and ``async_fire_time_changed`` fires the emulator's due timers
  together with Home Assistant's.
* :class:`ManualClock`: time moves only by :meth:`ManualClock.advance` (``emu.advance(seconds)``)
  and by the device's own work (device time, see ``busy``). Timers due in an advanced span fire in
  order, each at its own instant. It never reads the host clock after construction, so it behaves
  the same with or without ``freezer``.

Either clock can be **frozen** (``emu.freeze()`` / ``emu.unfreeze()``): the physics time
(``monotonic()``/``time()``: readings, noise, energy, sessions) stands still and moves only by
``advance(seconds)``, while device time still costs what it costs (the real clock sleeps, the
manual clock sleeps ``time_scale`` x it) and timers keep their schedule. A client then still sees
a PX3-speed device whose readings do not change between two polls (the benchmark's "unchanged
poll").
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock:
    """What the emulator needs from time (both implementations below)."""

    quantum = 0.0
    """Device time is handed to :meth:`busy` in slices of at least this many seconds."""

    @property
    def frozen(self) -> bool:
        """Whether the physics time stands still (see :meth:`freeze`)."""
        return False

    def freeze(self) -> None:
        """Stop the physics time where it is; only :meth:`advance` moves it until
        :meth:`unfreeze`. Device time still costs time, timers keep their schedule."""
        raise NotImplementedError

    def unfreeze(self) -> None:
        """Let the physics time run again from where it stands (it never goes backwards)."""
        raise NotImplementedError

    def monotonic(self) -> float:
        """Seconds of a monotonic clock (energy integration, sessions, sequences)."""
        raise NotImplementedError

    def time(self) -> float:
        """Unix time in seconds (reading timestamps, lastPowerStateChange, trip times)."""
        raise NotImplementedError

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        """Run ``fn`` once ``delay`` seconds from now (cycle delay, sequence, reboot)."""
        raise NotImplementedError

    async def busy(self, seconds: float) -> None:
        """The device works for ``seconds`` (device time of requests and calls)."""
        raise NotImplementedError

    async def wait(self, seconds: float) -> None:
        """The device does not answer for ``seconds`` (the ``delay_responses`` fault)."""
        raise NotImplementedError

    def advance(self, seconds: float) -> None:
        """Move emulated time (manual clock, or a frozen real clock)."""
        raise RuntimeError(
            "emu.advance() needs the manual clock (emulator_factory(clock='manual') or "
            "EmulatorConfig(clock='manual')) or a frozen one (emu.freeze())"
        )

    def close(self) -> None:
        """Forget pending timers and waits (the emulator stops)."""


class RealClock(Clock):
    """Host time. ``time.monotonic``/``time.time`` are looked up per call (freezer patches them).

    Frozen, it returns the instant of :meth:`freeze` (moved on by :meth:`advance`); after
    :meth:`unfreeze` it runs on from there, i.e. behind the host clock by the time it stood still.
    Timers stay on the event loop (real time) either way."""

    quantum = 0.02

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self._wall_offset = 0.0
        self._mono_offset = 0.0
        self._frozen_at: tuple[float, float] | None = None  # (time, monotonic)

    def monotonic(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at[1]
        return time.monotonic() + self._mono_offset

    def time(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at[0]
        return time.time() + self._wall_offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = (self.time(), self.monotonic())

    def unfreeze(self) -> None:
        if self._frozen_at is not None:
            wall, mono = self._frozen_at
            self._frozen_at = None
            self._wall_offset = wall - time.time()
            self._mono_offset = mono - time.monotonic()

    def advance(self, seconds: float) -> None:
        """Frozen only: move the still physics time ``seconds`` on (loop timers are not fired:
        they run on real time)."""
        if self._frozen_at is None:
            super().advance(seconds)
            return
        if seconds < 0:
            raise ValueError("time only moves forward")
        wall, mono = self._frozen_at
        self._frozen_at = (wall + seconds, mono + seconds)

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        loop = self.loop or asyncio.get_running_loop()
        return loop.call_later(delay, fn)

    async def busy(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _ManualTimer:
    __slots__ = ("cancelled", "due", "fn", "seq")

    def __init__(self, due: int, seq: int, fn: Callable[[], None]) -> None:
        self.due = due
        self.seq = seq
        self.fn = fn
        self.cancelled = False

    def __lt__(self, other: _ManualTimer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock(Clock):
    """Emulated time that moves only when told to.

    ``busy(seconds)`` (device time) advances emulated time by ``seconds`` and, with ``time_scale``
    > 0, also sleeps ``time_scale * seconds`` of real time, so a client measures wall times in
    proportion to the device's work while a long soak runs in emulated time. ``wait(seconds)`` (a
    delayed response) holds the answer until emulated time has moved ``seconds`` on, i.e. until
    the test calls ``advance`` (or other requests' device time passes): the client's own timeout
    still runs on the real clock.

    Time is kept in integer nanoseconds, so ``advance(0.1)`` three times lands exactly where a
    timer set for 0.3 s is due. Unix time starts at the host's current whole second (or ``epoch``).
    """

    def __init__(self, *, epoch: float | None = None, time_scale: float = 0.0) -> None:
        self._now_ns = 0
        self._frozen = False
        # a whole second: sub-second advances never move reading timestamps, run after run
        self._epoch = float(int(time.time()) if epoch is None else epoch)
        self.time_scale = time_scale
        self._timers: list[_ManualTimer] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self._now_ns / 1e9

    def time(self) -> float:
        return self._epoch + self._now_ns / 1e9

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        due = self._now_ns + max(round(delay * 1e9), 0)
        timer = _ManualTimer(due, next(self._seq), fn)
        heapq.heappush(self._timers, timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move time ``seconds`` on; timers due on the way fire in order, each at its instant."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        target = self._now_ns + round(seconds * 1e9)
        while self._timers and self._timers[0].due <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now_ns = max(self._now_ns, timer.due)
            timer.fn()
        self._now_ns = target

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        """Device time no longer moves emulated time (it still sleeps ``time_scale`` x it)."""
        self._frozen = True

    def unfreeze(self) -> None:
        self._frozen = False

    async def busy(self, seconds: float) -> None:
        if not self._frozen:
            self.advance(seconds)
        if self.time_scale > 0:
            await asyncio.sleep(seconds * self.time_scale)

    async def wait(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()

        def release() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_later(seconds, release)
        try:
            await future
        finally:
            timer.cancel()

    @property
    def pending(self) -> int:
        """Timers and held responses not yet due (for tests and debugging)."""
        return sum(1 for t in self._timers if not t.cancelled)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


CLOCKS = ("real", "manual")


def make_clock(kind: str, *, time_scale: float = 0.0) -> Clock:
    if kind == "real":
        return RealClock()
    if kind == "manual":
        return ManualClock(time_scale=time_scale)
    raise ValueError(f"clock must be one of {CLOCKS}")
