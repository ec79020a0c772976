"""``scripts/develop``'s PDU control: the emulated PDU stops and starts again (typed commands or
signals) with its state file (here: a relay switched off stays off; the energy counters are
proven in tests/emulator_selftest/test_state.py), while the harness keeps running."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from .harness import EmulatorProcess, EmulatorSettings, _PduControl


def test_pdu_stops_and_starts_with_its_state(tmp_path: Path) -> None:
    settings = EmulatorSettings(
        outlets=2, link_units=0, peripherals=0, tls=False, state_file=tmp_path / "state.json"
    )
    emulator = EmulatorProcess(settings, log_path=tmp_path / "emulator.log")
    emulator.start()
    control = _PduControl(emulator)
    try:
        emulator.set_outlet(1, on=False)  # 0-based: the second outlet

        control.pending.append("stop")
        control.check()
        assert emulator.proc is not None and emulator.proc.poll() is not None
        assert not control.running
        assert settings.state_file is not None and settings.state_file.exists()

        # SIGUSR2, as `kill -USR2 <harness pid>` sends it, starts the PDU again.
        previous = signal.signal(signal.SIGUSR2, control.signal)
        try:
            os.kill(os.getpid(), signal.SIGUSR2)
            control.check()
        finally:
            signal.signal(signal.SIGUSR2, previous)
        assert control.running
        assert not emulator.outlet_is_on(1)
        assert emulator.outlet_is_on(0)

        # A PDU that exits by itself is noticed; the harness goes on.
        assert emulator.proc is not None
        emulator.proc.terminate()
        emulator.proc.wait(30)
        control.check()
        assert not control.running
    finally:
        emulator.stop()
