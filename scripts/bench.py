"""Benchmark discovery and polling of the protocol library against the emulator.

For a few topologies (outlets per unit x link units) it reports what a Home Assistant poll costs:
HTTP requests, JSON-RPC calls and bytes per poll (from the emulator's own counters) and the
wall-clock time of discovery and of a poll (median and worst of ``--polls``), with the emulator
answering like a slow embedded CPU (``--per-call-ms`` per JSON-RPC call, ``--latency-ms`` per
HTTP request).

    scripts/bench                         # default matrix
    scripts/bench --outlets 48 --link-units 7 --per-call-ms 2 --polls 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.raritan_pdu.xerus import ReadingPlan, XerusClient
from tests.emulator import EmulatorConfig, PduEmulator


async def bench_one(
    outlets: int, link_units: int, *, polls: int, per_call_ms: float, latency_ms: float, tls: bool
) -> dict[str, float | int | str]:
    emu = PduEmulator(
        EmulatorConfig(
            outlets=outlets,
            link_units=link_units,
            peripherals=3,
            tls=tls,
            per_call_ms=per_call_ms,
            latency_ms=latency_ms,
        )
    )
    await emu.start(host="127.0.0.1", port=0)
    try:
        async with XerusClient(
            "127.0.0.1",
            port=emu.port,
            use_tls=tls,
            fingerprint=emu.tls_fingerprint,
            username=emu.config.username,
            password=emu.config.password,
        ) as client:
            emu.reset_stats()
            start = time.perf_counter()
            topology = await client.discover()
            discover_s = time.perf_counter() - start
            discover_requests = emu.stats()["http_requests"]
            plan = ReadingPlan.for_topology(topology)
            emu.reset_stats()
            times = []
            for _ in range(polls):
                start = time.perf_counter()
                await client.poll(plan)
                times.append(time.perf_counter() - start)
            stats = emu.stats()
    finally:
        await emu.stop()
    return {
        "topology": f"{link_units + 1} x {outlets}",
        "discover_s": discover_s,
        "discover_req": discover_requests,
        "req_per_poll": stats["http_requests"] / polls,
        "calls_per_poll": stats["rpc_calls"] / polls,
        "kb_per_poll": (stats["bytes_in"] + stats["bytes_out"]) / polls / 1024,
        "poll_median_s": statistics.median(times),
        "poll_max_s": max(times),
    }


def main() -> int:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--outlets", type=int, nargs="*", default=[8, 24, 48])
    p.add_argument("--link-units", type=int, nargs="*", default=[0, 2, 7])
    p.add_argument("--polls", type=int, default=10)
    p.add_argument("--per-call-ms", type=float, default=0.5)
    p.add_argument("--latency-ms", type=float, default=5)
    p.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True)
    args = p.parse_args()

    header = (
        f"{'units x outlets':>15} {'discover s':>10} {'disc. req':>9} {'req/poll':>8} "
        f"{'calls/poll':>10} {'KiB/poll':>8} {'poll med s':>10} {'poll max s':>10}"
    )
    print(
        f"emulator: {args.per_call_ms} ms per JSON-RPC call, {args.latency_ms} ms per request, "
        f"{'HTTPS' if args.tls else 'HTTP'}, all sensors of all objects polled"
    )
    print(header)
    print("-" * len(header))
    for link_units in args.link_units:
        for outlets in args.outlets:
            r = asyncio.run(
                bench_one(
                    outlets,
                    link_units,
                    polls=args.polls,
                    per_call_ms=args.per_call_ms,
                    latency_ms=args.latency_ms,
                    tls=args.tls,
                )
            )
            print(
                f"{r['topology']:>15} {r['discover_s']:>10.2f} {r['discover_req']:>9} "
                f"{r['req_per_poll']:>8.1f} {r['calls_per_poll']:>10.0f} "
                f"{r['kb_per_poll']:>8.1f} {r['poll_median_s']:>10.3f} {r['poll_max_s']:>10.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
