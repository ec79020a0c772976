"""The emulated PDU of the Home Assistant benchmark, in a process of its own.

``python -m tests.bench.emulator_proc '<EmulatorConfig fields as JSON>'``

A real PDU is another computer: the emulator's CPU time, its memory and its one-request-at-a-
time handling must not show up in the numbers of the Home Assistant process. This process serves
the emulator and answers control commands, one JSON object per line on stdin, one JSON answer per
line on stdout (the first line it prints describes the started emulator):

* ``{"cmd": "stats"}``: ``emu.stats()`` plus ``cpu_s`` (CPU time of this process);
* ``{"cmd": "clock", "mode": "freeze" | "run"}``, ``{"cmd": "clock", "mode": "advance",
  "seconds": 30}``: the emulator's physics time (reading timestamps, energy integration, noise)
  stands still (``emu.freeze()``), moves on (``emu.advance``) or runs (``emu.unfreeze()``); a
  still clock makes two polls read identical values, also the energy counters, while the device
  still answers at its speed;
* ``{"cmd": "last_bulk"}``: the sub-requests (``[rid, json]``) of the last ``/bulk`` request
  (``emu.last_bulk()``), i.e. exactly what the integration read in its last poll;
* ``{"cmd": "all_reads"}``: one ``[rid, json]`` read for every sensor and every outlet state of
  the whole topology (what a client reading everything would request);
* ``{"cmd": "outlet", "unit": 0, "index": 0}``: the relay state of an outlet on the device;
  with ``"set": 0 | 1`` it is switched first, as someone at the PDU's display would (the device
  pushes the change to event channels);
* ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from tests.emulator import EmulatorConfig, PduEmulator


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


def handle(emu: PduEmulator, command: dict[str, Any]) -> Any:
    """Answer one control command."""
    cmd = command.get("cmd")
    if cmd == "stats":
        return {**emu.stats(), "cpu_s": time.process_time()}
    if cmd == "clock":
        mode = command["mode"]
        if mode == "freeze":
            emu.freeze()
        elif mode == "run":
            emu.unfreeze()
        else:
            emu.advance(float(command["seconds"]))
        return {"ok": True}
    if cmd == "last_bulk":
        return [[rid, body] for rid, body in emu.last_bulk()]
    if cmd == "all_reads":
        return all_reads(emu)
    if cmd == "outlet":
        outlet = emu.unit(int(command["unit"])).outlet(int(command["index"]))
        if "set" in command:
            outlet.power_state = int(command["set"])
        return outlet.power_state
    return {"error": f"unknown command {cmd!r}"}


async def serve(config: dict[str, Any]) -> None:
    """Start the emulator, then answer commands until ``quit`` or the end of stdin."""
    emu = PduEmulator(EmulatorConfig(**config))
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
            _answer(handle(emu, command))
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
