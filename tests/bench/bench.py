"""Discovery and poll benchmark of the xerus client against the emulator.

Prints numbers only: a benchmark, not a test. Defaults model the largest installation the
integration supports: a primary with 7 link units, 48 outlets each, and external sensors.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import tracemalloc

import aiohttp

from custom_components.raritan_pdu.xerus import ReadingPlan, XerusClient
from tests.emulator import EmulatorConfig, PduEmulator


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--link-units", type=int, default=7)
    parser.add_argument("--outlets", type=int, default=48)
    parser.add_argument("--peripherals", type=int, default=8)
    parser.add_argument("--firmware", choices=("3.6", "4.4"), default="4.4")
    parser.add_argument("--polls", type=int, default=10)
    parser.add_argument(
        "--device-speed",
        choices=("instant", "px3"),
        default="instant",
        help="device-time preset of the emulator: px3 = a real PX3 (40 ms per HTTP request, 8 ms "
        "per sub-request, one request at a time); --per-call-ms / --latency-ms override it",
    )
    parser.add_argument(
        "--per-call-ms", type=float, default=None, help="emulated device time per sub-request"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=None, help="emulated device time per HTTP request"
    )
    return parser.parse_args()


def _delta(after: dict[str, object], before: dict[str, object], key: str) -> int:
    return int(after[key]) - int(before[key])  # type: ignore[call-overload]


def _busy(after: dict[str, object], before: dict[str, object]) -> float:
    """Seconds of device time the emulator charged in between."""
    return float(after["device_busy_s"]) - float(before["device_busy_s"])  # type: ignore[arg-type]


async def _run(args: argparse.Namespace) -> None:
    emu = PduEmulator(
        EmulatorConfig(
            outlets=args.outlets,
            link_units=args.link_units,
            peripherals=args.peripherals,
            firmware=args.firmware,
            device_speed=args.device_speed,
            latency_ms=args.latency_ms,
            per_call_ms=args.per_call_ms,
        )
    )
    await emu.start(host="127.0.0.1", port=0)
    try:
        async with aiohttp.ClientSession() as session:
            client = XerusClient(
                emu.host,
                emu.port,
                use_tls=False,
                username="admin",
                password="raritan",
                session=session,
            )
            print(
                f"installation: 1 primary + {args.link_units} link units, {args.outlets} outlets "
                f"each, {args.peripherals} peripherals, firmware {args.firmware}, device speed "
                f"{args.device_speed} ({emu.device_time})"
            )

            before = emu.stats()
            start = time.perf_counter()
            topology = await client.discover()
            elapsed = time.perf_counter() - start
            after = emu.stats()
            sensors = sum(len(list(unit.iter_sensors())) for unit in topology.units)
            outlets = sum(len(unit.outlets) for unit in topology.units)
            print(
                f"discovery: {elapsed * 1000:8.1f} ms, "
                f"{_delta(after, before, 'http_requests')} HTTP requests, "
                f"{_delta(after, before, 'bulk_subrequests')} sub-requests, "
                f"{_delta(after, before, 'bytes_out') / 1e6:.2f} MB received; "
                f"{len(topology.units)} units, {outlets} outlets, {sensors} sensors; "
                f"device busy {_busy(after, before) * 1000:.0f} ms"
            )

            plan = ReadingPlan.for_topology(topology)
            walls: list[float] = []
            decodes: list[float] = []
            busy: list[float] = []
            requests = subrequests = received = 0
            for _ in range(args.polls):
                before = emu.stats()
                start = time.perf_counter()
                raw = await client.bulk_raw(plan.fragments)
                fetched = time.perf_counter()
                readings = plan.decode(raw)
                done = time.perf_counter()
                after = emu.stats()
                walls.append(done - start)
                decodes.append(done - fetched)
                busy.append(_busy(after, before))
                requests += _delta(after, before, "http_requests")
                subrequests += _delta(after, before, "bulk_subrequests")
                received += _delta(after, before, "bytes_out")
            print(
                f"poll ({len(plan)} reads, {args.polls} polls): "
                f"median {statistics.median(walls) * 1000:.1f} ms wall, "
                f"median {statistics.median(decodes) * 1000:.1f} ms client decode, "
                f"median {statistics.median(busy) * 1000:.1f} ms device busy, "
                f"{requests / args.polls:.1f} HTTP requests/poll, "
                f"{subrequests / args.polls:.0f} sub-requests/poll, "
                f"{received / args.polls / 1e6:.2f} MB/poll; "
                f"{len(readings.errors)} errors in the last poll"
            )

            tracemalloc.start()
            snapshot_start = tracemalloc.take_snapshot()
            topology2 = await client.discover()
            plan2 = ReadingPlan.for_topology(topology2)
            readings2 = await client.poll(plan2)
            snapshot_end = tracemalloc.take_snapshot()
            tracemalloc.stop()
            only_client = [tracemalloc.Filter(True, "*custom_components*")]
            kept = sum(
                stat.size_diff
                for stat in snapshot_end.filter_traces(only_client).compare_to(
                    snapshot_start.filter_traces(only_client), "filename"
                )
            )
            count = len(readings2.numeric) + len(readings2.states)
            print(
                f"memory: {kept / 1e6:.2f} MB allocated by the client library for a topology, "
                f"its plan and one set of readings ({count} readings)"
            )
            await client.close()
    finally:
        await emu.stop()


def main() -> None:
    """Entry point."""
    asyncio.run(_run(_parse()))


if __name__ == "__main__":
    main()
