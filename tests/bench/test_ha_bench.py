"""The Home Assistant benchmark keeps working: a quick run on the smallest installation.

Not a speed test (nothing here is timed): it proves that ``scripts/bench`` still drives the
integration through setup, polls, switching and a restart, and reports every field, so the
instrument cannot rot silently while the integration changes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bench.report import FIELDS, targets

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_reports_every_field(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.ha_bench",
            "--quick",
            "--topology=1x8",
            "--device-speed=instant",
            f"--json={out}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert [(row["topology"], row["device_speed"]) for row in rows] == [("1x8", "instant")]
    row = rows[0]
    assert [field for field in FIELDS if row.get(field) is None] == []
    # The run did what it reports: entities came up, polls and the switch reached the device.
    assert row["entities"] > 0
    assert row["http_requests_per_poll"] >= 1
    assert row["subrequests_per_poll"] > 0
    assert row["switch_http_requests"] >= 1
    # The naive client sends the same reads, but has no event channel: it reads each outlet
    # state the unit's channel fed (8 outlets) where our poll drained the channel once.
    drains = row["poll_calls_by_interface"].get("event.Channel.pollEventsNb", 0)
    assert drains == 1
    assert row["naive_poll"]["calls"] == row["subrequests_per_poll"] - drains + 8
    assert row["naive_poll"]["errors"] == 0
    # The printed report: the table and one line per target.
    assert "| topology | device | entities |" in completed.stdout
    block = completed.stdout.split("targets\n", 1)[1]
    for target in targets(rows):
        assert target.name in block
