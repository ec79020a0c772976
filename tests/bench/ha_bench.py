"""Performance benchmark of the integration in Home Assistant against the emulated PDU.

``scripts/bench`` runs every installation (topology) at every device speed, each row in a fresh
process (``tests.bench.ha_run``), and prints a Markdown table, the naive client's numbers, the
targets of issue #11 (PASS/FAIL with the measured value) and where a poll's CPU goes. It asserts
nothing: the targets block is for the team to see what is left.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from custom_components.raritan_pdu.const import SLOW_POLL_EVERY

from .report import complete, markdown_table, naive_table, profile_summary, targets_block
from .topologies import DEVICE_SPEEDS, TOPOLOGIES

ROOT = Path(__file__).resolve().parents[2]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=__doc__.split("\n")[0]
        + " (scripts/bench --client ...: the protocol library alone, tests/bench/bench.py).",
    )
    parser.add_argument("--json", metavar="PATH", help="write the rows (a JSON list) here")
    parser.add_argument(
        "--topology",
        action="append",
        choices=list(TOPOLOGIES),
        help="installation to run (repeatable; default: all)",
    )
    parser.add_argument(
        "--device-speed",
        action="append",
        choices=DEVICE_SPEEDS,
        help="device speed (repeatable; default: all)",
    )
    parser.add_argument("--polls", type=int, default=5, help="timed polls per row (default 5)")
    parser.add_argument(
        "--profile-polls",
        type=int,
        default=SLOW_POLL_EVERY,
        help="polls under cProfile per row (default %(default)s: one cycle of the cadence, "
        "the slow values read in one of them)",
    )
    parser.add_argument(
        "--setup-timeout",
        type=float,
        default=120.0,
        help="give up on a setup (and on a restart) after this many seconds (default 120)",
    )
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=200,
        help="the naive client sends at most this many calls of a list and extrapolates "
        "(default 200)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=11.0,
        help="wait after setup before the polls: HA saves its registries 10 s after their last "
        "change (default 11)",
    )
    parser.add_argument(
        "--outlet-groups",
        type=int,
        default=0,
        help="outlet groups on the PDU (members on the primary and the first link unit; default 0)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 poll, 1 profiled poll, small samples"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.polls, args.profile_polls = 1, 1
        args.naive_sample = min(args.naive_sample, 20)
        args.setup_timeout = min(args.setup_timeout, 60.0)
        args.settle = 0.0
    return args


def run_row(topology: str, speed: str, args: argparse.Namespace) -> dict[str, Any]:
    """One row in a fresh Python process (its own peak RSS); a crashed row says so."""
    with tempfile.TemporaryDirectory(prefix="bench-row-") as tmp:
        out = Path(tmp, "row.json")
        command = [
            sys.executable,
            "-m",
            "tests.bench.ha_run",
            f"--topology={topology}",
            f"--device-speed={speed}",
            f"--polls={args.polls}",
            f"--profile-polls={args.profile_polls}",
            f"--setup-timeout={args.setup_timeout}",
            f"--naive-sample={args.naive_sample}",
            f"--settle={args.settle}",
            f"--outlet-groups={args.outlet_groups}",
            f"--out={out}",
        ]
        completed = subprocess.run(command, cwd=ROOT, check=False)
        if completed.returncode != 0 or not out.exists():
            return {
                "topology": topology,
                "device_speed": speed,
                "error": f"tests.bench.ha_run exited with {completed.returncode}",
            }
        row: dict[str, Any] = json.loads(out.read_text())
        return row


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``scripts/bench``."""
    args = parse(argv)
    topologies = args.topology or list(TOPOLOGIES)
    speeds = args.device_speed or list(DEVICE_SPEEDS)
    started = time.perf_counter()
    rows = []
    for topology in topologies:
        for speed in speeds:
            print(f"bench: {topology} at {speed} speed ...", file=sys.stderr, flush=True)
            row_start = time.perf_counter()
            rows.append(complete(run_row(topology, speed, args)))
            took = time.perf_counter() - row_start
            print(f"bench: {topology} at {speed} done in {took:.0f} s", file=sys.stderr, flush=True)
    runtime = time.perf_counter() - started
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    print(markdown_table(rows))
    print()
    notes = [
        "All rows over HTTPS with the PDU's self-signed certificate trusted in the config flow.",
        "HA CPU: this Home Assistant process (the emulated PDU runs in its own); integration "
        "= its code (protocol library + entities), state writes = HA's state machine, event bus "
        "and entity state writes (cProfile split applied to the measured CPU time).",
        "* naive client: extrapolated from an evenly spaced sample of its calls.",
        "push ms: an outlet switched at the PDU until Home Assistant shows it, through the "
        "event channel, no poll; long polls (row): the channel's pollEvents requests during the "
        "row (each answers at once when the PDU has news, else after 30 s: 2 per minute idle), "
        "not counted in HTTP / poll.",
    ]
    for row in rows:
        if problem := row.get("setup_error") or row.get("error"):
            notes.append(f"{row['topology']} at {row['device_speed']}: {problem}")
    print("\n".join(f"* {n}" if not n.startswith("*") else n for n in notes))
    print()
    print(naive_table(rows))
    print()
    print(targets_block(rows))
    print()
    print(profile_summary(rows))
    print()
    print(f"bench runtime: {runtime:.0f} s for {len(rows)} rows")


if __name__ == "__main__":
    main()
