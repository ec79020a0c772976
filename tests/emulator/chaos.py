"""Random transient faults (``emu.faults.random(...)``) for soak tests, reproducible by seed.

Per HTTP POST the device draws once: with probability ``rate`` it arms one fault of a kind drawn
from ``kinds``, which then hits this request (request-level kinds) or the next matching call:

* ``delay``: the answer is ``delay_s`` late, as device time (manual clock: emulated time moves,
  nobody waits);
* ``timeout``: no answer for ``timeout_s`` (``delay_responses``: the client's own timeout
  decides, in real time);
* ``reset``: the connection is reset (RST), unprocessed;
* ``http_5xx``: HTTP 500, 502 or 503, unprocessed;
* ``html``: HTTP 200 with the HTML login page, unprocessed;
* ``truncate``: the JSON answer cut in half (processed);
* ``unauthorized``: a transient 401 with the right credentials;
* ``bad_reading``: the next ``getReading`` answers NaN, Infinity, -Infinity, 1e400 or a
  310-digit integer;
* ``fail_subrequest``: one of the next 1-32 calls (bulk sub-requests) fails with statcode 500;
* ``link_unreachable``: a random link unit is unreachable for ``unreachable_s`` of emulated time
  (drawn only with link units);
* ``session_expiry``: every session token expires (the next token request gets 401).

``emu.stats()["random_faults"]`` counts the kinds armed, ``faults.describe()["random"]`` shows
the settings and counts; ``faults.clear()`` (or ``random(rate=0)``) stops it.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .malformed import BAD_NUMBERS, CallFault

if TYPE_CHECKING:
    from .server import PduEmulator

RANDOM_KINDS = (
    "delay",
    "timeout",
    "reset",
    "http_5xx",
    "html",
    "truncate",
    "unauthorized",
    "bad_reading",
    "fail_subrequest",
    "link_unreachable",
    "session_expiry",
)


@dataclass
class RandomSettings:
    rate: float
    seed: int
    kinds: tuple[str, ...]
    delay_s: float
    timeout_s: float
    unreachable_s: float
    rng: _random.Random
    requests: int = 0
    injected: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "seed": self.seed,
            "kinds": list(self.kinds),
            "requests": self.requests,
            "injected": dict(self.injected),
        }


class RandomFaults:
    """Mixed into :class:`faults.Faults` (uses its transport, answer and reliability faults)."""

    _emu: PduEmulator

    def _clear_random(self) -> None:
        self._random: RandomSettings | None = None

    def _describe_random(self) -> dict[str, Any]:
        return {"random": self._random.describe() if self._random else None}

    def random(
        self,
        rate: float = 0.05,
        *,
        seed: int = 0,
        kinds: tuple[str, ...] | list[str] | None = None,
        delay_s: float = 2.0,
        timeout_s: float = 60.0,
        unreachable_s: float = 90.0,
    ) -> None:
        """Inject, per HTTP request with probability ``rate``, one transient fault of ``kinds``
        (default all of :data:`RANDOM_KINDS`; see the module docstring), reproducibly: the same
        ``seed`` and the same sequence of requests give the same faults. ``rate=0`` stops.

        For a soak in emulated time (``clock="manual"``, ``device_speed="px3"``), leave out
        ``"timeout"`` unless the client's timeout is short: a held answer costs the client its
        own timeout in real time (``"delay"`` costs emulated time only)."""
        chosen = tuple(RANDOM_KINDS if kinds is None else kinds)
        unknown = sorted(set(chosen) - set(RANDOM_KINDS))
        if unknown or not chosen:
            raise ValueError(f"kinds must be a non-empty selection of {RANDOM_KINDS}: {unknown}")
        if rate <= 0:
            self._random = None
            return
        self._random = RandomSettings(
            rate=rate,
            seed=seed,
            kinds=chosen,
            delay_s=delay_s,
            timeout_s=timeout_s,
            unreachable_s=unreachable_s,
            rng=_random.Random(seed),
        )

    # --- used by the server ----------------------------------------------------------------------
    def on_request(self) -> None:
        """One draw for one HTTP POST (before anything else happens to it)."""
        settings = self._random
        if settings is None:
            return
        settings.requests += 1
        rng = settings.rng
        if rng.random() >= settings.rate:
            return
        kinds = settings.kinds
        if len(self._emu.units) < 2:  # no link unit to make unreachable
            kinds = tuple(k for k in kinds if k != "link_unreachable") or ("http_5xx",)
        kind = rng.choice(kinds)
        self._arm(kind, settings)
        settings.injected[kind] = settings.injected.get(kind, 0) + 1
        self._emu.count_random(kind)

    def _arm(self, kind: str, settings: RandomSettings) -> None:
        rng = settings.rng
        faults: Any = self
        arm: dict[str, Callable[[], None]] = {
            "delay": lambda: faults.slow_responses(settings.delay_s),
            "timeout": lambda: faults.delay_responses(settings.timeout_s),
            "reset": lambda: faults.drop_connection(reset=True),
            "http_5xx": lambda: faults.http_error(rng.choice((500, 502, 503))),
            "html": faults.html_response,
            "truncate": faults.truncate_json,
            "unauthorized": faults.transient_401,
            "bad_reading": lambda: faults.bad_reading(None, rng.choice(list(BAD_NUMBERS))),
            "fail_subrequest": lambda: faults._add_call_fault(
                CallFault("fail_subrequest", remaining=1, skip=rng.randrange(32))
            ),
            "link_unreachable": lambda: self._unreachable_for_a_while(settings),
            "session_expiry": faults.expire_sessions,
        }
        arm[kind]()

    def _unreachable_for_a_while(self, settings: RandomSettings) -> None:
        emu = self._emu
        unit = settings.rng.choice(emu.units[1:])
        if unit.unreachable:
            return
        unit.unreachable = True

        def back() -> None:
            unit.unreachable = False

        emu.call_later(settings.unreachable_s, back)
