"""The emulated PDU of the Home Assistant benchmark, in a process of its own.

``python -m tests.bench.emulator_proc '<EmulatorConfig fields as JSON>'``

A real PDU is another computer: the emulator's CPU time, its memory and its one-request-at-a-
time handling must not show up in the numbers of the Home Assistant process. This process serves
the emulator and answers control commands, one JSON object per line on stdin, one JSON answer per
line on stdout (the first line it prints describes the started emulator):

* ``{"cmd": "stats"}``: ``emu.stats()`` plus ``cpu_s`` (CPU time of this process);
* ``{"cmd": "clock", "mode": "freeze" | "run"}``, ``{"cmd": "clock", "mode": "advance",
  "seconds": 30}``: the emulator's clock (reading timestamps, energy integration, noise) stands
  still or runs; a still clock makes two polls read identical values, also the energy counters;
* ``{"cmd": "last_bulk"}``: the sub-requests (``[rid, json]``) of the last ``/bulk`` request,
  i.e. exactly what the integration read in its last poll;
* ``{"cmd": "all_reads"}``: one ``[rid, json]`` read for every sensor and every outlet state of
  the whole topology (what a client reading everything would request);
* ``{"cmd": "outlet", "unit": 0, "index": 0}``: the relay state of an outlet on the device;
* ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time as _time
from typing import Any

import tests.emulator.clock as emulator_clock
from tests.emulator import EmulatorConfig, PduEmulator


class BenchClock:
    """Stands in for the ``time`` module inside the emulator: runs with the real clock, or stands
    still (and can be moved forward) so that readings do not change between two polls."""

    def __init__(self) -> None:
        self._wall_offset = 0.0
        self._mono_offset = 0.0
        self._frozen: tuple[float, float] | None = None

    def time(self) -> float:
        """Wall clock (reading timestamps, sample time of the noise)."""
        return self._frozen[0] if self._frozen else _time.time() + self._wall_offset

    def monotonic(self) -> float:
        """Monotonic clock (energy integration, sessions)."""
        return self._frozen[1] if self._frozen else _time.monotonic() + self._mono_offset

    def freeze(self) -> None:
        """Stop the clock where it is."""
        self._frozen = (self.time(), self.monotonic())

    def run(self) -> None:
        """Let the clock run again from where it stands (it never goes backwards)."""
        if self._frozen is not None:
            wall, mono = self._frozen
            self._frozen = None
            self._wall_offset = wall - _time.time()
            self._mono_offset = mono - _time.monotonic()

    def advance(self, seconds: float) -> None:
        """Move the clock forward (a still clock stays still at the new time)."""
        if self._frozen is not None:
            wall, mono = self._frozen
            self._frozen = (wall + seconds, mono + seconds)
        else:
            self._wall_offset += seconds
            self._mono_offset += seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


class RecordingEmulator(PduEmulator):
    """The emulator, keeping the body of the last ``/bulk`` request (the last poll)."""

    last_bulk_body: bytes = b""

    async def _dispatch(self, path: str, body: bytes, *args: Any) -> Any:
        if path.rstrip("/") == "/bulk":
            self.last_bulk_body = body
        return await super()._dispatch(path, body, *args)


def _rpc(method: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": {}, "id": 1}


def all_reads(emu: PduEmulator) -> list[list[Any]]:
    """A read of every sensor (``getReading``/``getState``) and every outlet state."""
    reads: list[list[Any]] = []
    for unit in emu.units:
        reads.extend([outlet.rid, _rpc("getState")] for outlet in unit.outlets)
        reads.extend(
            [sensor.rid, _rpc("getReading" if sensor.is_numeric else "getState")]
            for sensor, _parent in unit.sensor_parents()
            if sensor is not None
        )
    return reads


def last_bulk(emu: RecordingEmulator) -> list[list[Any]]:
    """The sub-requests of the last ``/bulk`` request as ``[rid, json]``."""
    if not emu.last_bulk_body:
        return []
    request = json.loads(emu.last_bulk_body)
    items = request.get("params", {}).get("requests", [])
    return [
        [item["rid"], item["json"] if isinstance(item["json"], dict) else json.loads(item["json"])]
        for item in items
    ]


def handle(emu: RecordingEmulator, clock: BenchClock, command: dict[str, Any]) -> Any:
    """Answer one control command."""
    cmd = command.get("cmd")
    if cmd == "stats":
        return {**emu.stats(), "cpu_s": _time.process_time()}
    if cmd == "clock":
        mode = command["mode"]
        if mode == "freeze":
            clock.freeze()
        elif mode == "run":
            clock.run()
        else:
            clock.advance(float(command["seconds"]))
        return {"ok": True}
    if cmd == "last_bulk":
        return last_bulk(emu)
    if cmd == "all_reads":
        return all_reads(emu)
    if cmd == "outlet":
        return emu.unit(int(command["unit"])).outlet(int(command["index"])).power_state
    return {"error": f"unknown command {cmd!r}"}


async def serve(config: dict[str, Any]) -> None:
    """Start the emulator, then answer commands until ``quit`` or the end of stdin."""
    clock = BenchClock()
    # The emulator's real clock reads the host time through its module-level name ``time``.
    emulator_clock.time = clock  # type: ignore[assignment]
    emu = RecordingEmulator(EmulatorConfig(**config))
    await emu.start(host="127.0.0.1", port=0)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    info = {
        "url": emu.url,
        "host": emu.host,
        "port": emu.port,
        "fingerprint": emu.tls_fingerprint,
        "serials": [unit.serial for unit in emu.units],
    }
    _answer(info)
    try:
        while line := await reader.readline():
            command = json.loads(line)
            if command.get("cmd") == "quit":
                _answer({"ok": True})
                break
            _answer(handle(emu, clock, command))
    finally:
        await emu.stop()


def _answer(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Entry point: ``python -m tests.bench.emulator_proc CONFIG_JSON``."""
    asyncio.run(serve(json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
