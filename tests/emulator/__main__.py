"""``python -m tests.emulator``: run the PDU emulator until Ctrl-C / SIGTERM (see README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from . import state
from .config import DEVICE_SPEEDS, EmulatorConfig
from .server import PduEmulator

#: Seconds between two writes of the state file (and at every stop).
STATE_SAVE_INTERVAL = 30.0


def _unit_index(text: str) -> tuple[int, int]:
    """ "IDX" or "UNIT:IDX" -> (unit, idx)."""
    unit, _, idx = text.rpartition(":")
    return (int(unit) if unit else 0, int(idx))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tests.emulator", description="Raritan Xerus JSON-RPC PDU emulator"
    )
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help="listen port (default 8443 with --tls, else 8080; 0 = any free port)",
    )
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default="raritan")
    p.add_argument("--outlets", type=int, default=8, help="outlets per unit (default 8)")
    p.add_argument("--link-units", type=int, default=0, help="link units 0-7 (ids 2..K+1)")
    p.add_argument("--link-unit-outlets", type=int, default=None)
    p.add_argument("--peripherals", type=int, default=3, help="first N catalogue peripherals")
    p.add_argument("--firmware", choices=["3.6", "4.4"], default="4.4")
    p.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="HTTPS with a generated self-signed certificate (default: --no-tls)",
    )
    p.add_argument(
        "--cert-dir",
        default=None,
        help="with --tls: keep the certificate in this folder and reuse it on the next start",
    )
    p.add_argument(
        "--redirect-http",
        action="store_true",
        help="with --tls: also a plain HTTP port answering 302 -> https",
    )
    p.add_argument(
        "--device-speed",
        choices=sorted(DEVICE_SPEEDS),
        default="instant",
        help="device-time preset: instant (default) or px3 (40 ms per HTTP request, 8 ms per "
        "call / sub-request, one request at a time); the *-ms options override it",
    )
    p.add_argument("--latency-ms", type=float, default=None, help="device time per HTTP request")
    p.add_argument(
        "--per-call-ms",
        type=float,
        default=None,
        help="device time per JSON-RPC call / bulk sub-request (slow embedded CPU)",
    )
    p.add_argument(
        "--link-call-ms",
        type=float,
        default=None,
        help="device time per call routed to a link unit (default: as --per-call-ms)",
    )
    p.add_argument("--inlet-phases", type=int, choices=[1, 3], default=1)
    p.add_argument("--ocps", type=int, default=None, help="breakers per unit (default: auto)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cycle-delay", type=int, default=10, help="power-cycle off time, seconds")
    p.add_argument("--session-timeout", type=int, default=1800, help="session idle timeout, s")
    p.add_argument("--single-login", action="store_true")
    p.add_argument("--max-bulk", type=int, default=None, help="bulks above this answer HTTP 413")
    p.add_argument("--metered-only", action="store_true", help="no switchable outlets")
    p.add_argument("--no-metered-outlets", action="store_true", help="outlets without meters")
    p.add_argument(
        "--non-switchable",
        type=int,
        nargs="*",
        default=[],
        help="0-based outlets that are not switchable",
    )
    p.add_argument(
        "--readonly-user",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="view-only user (role Viewer: no write method; repeatable)",
    )
    p.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="USER:PASSWORD:PRIVILEGES",
        help="user with a role of its own: privileges comma-separated (switchOutlet,"
        "switchActuator,...) or a preset (admin, ro, operator); repeatable",
    )
    p.add_argument("--pdu-name", default="", help="Pdu.Settings.name of the primary")
    p.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help="keep energy counters, relay states and names across restarts in this JSON file",
    )
    p.add_argument(
        "--outlet-groups",
        type=int,
        default=0,
        metavar="N",
        help='N outlet groups at start ("Group 1" ...; members on the primary and the first '
        "link unit)",
    )
    p.add_argument("--no-noise", action="store_true", help="exact readings (230 V, 50 Hz, ...)")
    p.add_argument(
        "--no-event-service",
        action="store_true",
        help="no /eventservice (HTTP 404, like firmware without pushed events)",
    )
    p.add_argument(
        "--keep-alive",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force keep-alive / Connection: close on every response (default: like the "
        "firmware; 3.6 closes after every response to clients that do not ask for keep-alive)",
    )
    p.add_argument(
        "--gzip",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="gzip JSON answers to requests accepting it (default: 4.4 yes, 3.6 no)",
    )
    # faults
    p.add_argument(
        "--fault-link-unreachable",
        type=int,
        action="append",
        default=[],
        metavar="LINK_ID",
        help="link unit unreachable (repeatable)",
    )
    p.add_argument(
        "--fault-session-expiry",
        type=float,
        default=None,
        metavar="SECONDS",
        help="session tokens die SECONDS after creation",
    )
    p.add_argument(
        "--fault-http-error",
        type=int,
        default=0,
        metavar="COUNT",
        help="answer the first COUNT requests with HTTP 500",
    )
    p.add_argument(
        "--fault-delay",
        default=None,
        metavar="SECONDS[:COUNT]",
        help="delay the first COUNT (default 1) responses by SECONDS",
    )
    p.add_argument(
        "--fault-trip-breaker",
        action="append",
        default=[],
        metavar="[UNIT:]IDX",
        help="trip a breaker (repeatable)",
    )
    p.add_argument(
        "--fault-disconnect-peripheral",
        action="append",
        default=[],
        metavar="[UNIT:]IDX",
        help="peripheral unavailable (repeatable)",
    )
    p.add_argument(
        "--fault-fail-method",
        action="append",
        default=[],
        metavar="METHOD",
        help="every call of METHOD answers HTTP 500 / statcode 500 (repeatable)",
    )
    p.add_argument(
        "--fault-random",
        default=None,
        metavar="RATE[:SEED]",
        help="per request, with probability RATE, one random transient fault (faults.random)",
    )
    p.add_argument(
        "--fault-redirect",
        type=int,
        default=0,
        metavar="COUNT",
        help="the first COUNT requests answer 307 to plain http:// on the same host",
    )
    p.add_argument(
        "--fault-transient-401",
        type=int,
        default=0,
        metavar="COUNT",
        help="the first COUNT requests answer 401 although the credentials are right",
    )
    p.add_argument(
        "--fault-new-session-503",
        type=int,
        default=0,
        metavar="COUNT",
        help="the first COUNT newSession calls answer HTTP 503",
    )
    p.add_argument(
        "--fault-tls-reset",
        type=int,
        default=0,
        metavar="COUNT",
        help="the first COUNT TLS handshakes are reset (certificate unchanged)",
    )
    p.add_argument(
        "--fault-link-failing",
        type=int,
        action="append",
        default=[],
        metavar="LINK_ID",
        help="every call to the link unit fails (503) while /cascade reports it OK (repeatable)",
    )
    p.add_argument(
        "--fault-slow",
        default=None,
        metavar="SECONDS[:COUNT]",
        help="the first COUNT (default 1) requests cost SECONDS more device time",
    )
    return p


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    readonly = {}
    for item in args.readonly_user:
        user, _, password = item.partition(":")
        readonly[user] = password
    accounts: dict[str, tuple[str, tuple[str, ...]]] = {}
    for item in args.user:
        user, _, rest = item.partition(":")
        password, _, privileges = rest.rpartition(":")
        accounts[user] = (password, tuple(p for p in privileges.split(",") if p))
    return EmulatorConfig(
        outlets=args.outlets,
        link_units=args.link_units,
        peripherals=args.peripherals,
        firmware=args.firmware,
        tls=args.tls,
        cert_dir=args.cert_dir,
        username=args.username,
        password=args.password,
        device_speed=args.device_speed,
        latency_ms=args.latency_ms,
        per_call_ms=args.per_call_ms,
        link_call_ms=args.link_call_ms,
        seed=args.seed,
        inlet_phases=args.inlet_phases,
        ocps=args.ocps,
        cycle_delay=args.cycle_delay,
        session_timeout=args.session_timeout,
        single_login=args.single_login,
        max_bulk=args.max_bulk,
        redirect_http=args.redirect_http,
        metered_only=args.metered_only,
        metered_outlets=not args.no_metered_outlets,
        non_switchable_outlets=tuple(args.non_switchable),
        readonly_users=readonly,
        accounts=accounts,
        link_unit_outlets=args.link_unit_outlets,
        pdu_name=args.pdu_name,
        outlet_groups=args.outlet_groups,
        noise=not args.no_noise,
        event_service=not args.no_event_service,
        keep_alive=args.keep_alive,
        gzip=args.gzip,
    )


def apply_faults(emu: PduEmulator, args: argparse.Namespace) -> None:
    for link_id in args.fault_link_unreachable:
        emu.faults.link_unreachable(link_id)
    if args.fault_session_expiry is not None:
        emu.faults.session_expiry(args.fault_session_expiry)
    if args.fault_http_error:
        emu.faults.http_error(500, args.fault_http_error)
    if args.fault_delay:
        seconds, _, count = args.fault_delay.partition(":")
        emu.faults.delay_responses(float(seconds), int(count or 1))
    for item in args.fault_trip_breaker:
        unit, idx = _unit_index(item)
        emu.faults.trip_breaker(idx, unit=unit)
    for item in args.fault_disconnect_peripheral:
        unit, idx = _unit_index(item)
        emu.faults.disconnect_peripheral(idx, unit=unit)
    for method in args.fault_fail_method:
        emu.faults.fail_call(method=method)
    apply_reliability_faults(emu, args)


def apply_reliability_faults(emu: PduEmulator, args: argparse.Namespace) -> None:
    faults = emu.faults
    if args.fault_random:
        rate, _, seed = args.fault_random.partition(":")
        faults.random(float(rate), seed=int(seed or 0))
    if args.fault_redirect:
        faults.redirect(args.fault_redirect)
    faults.transient_401(args.fault_transient_401)
    if args.fault_new_session_503:
        faults.fail_new_session(args.fault_new_session_503)
    faults.tls_handshake_failure(args.fault_tls_reset)
    for link_id in args.fault_link_failing:
        faults.link_unit_failing(link_id)
    if args.fault_slow:
        seconds, _, count = args.fault_slow.partition(":")
        faults.slow_responses(float(seconds), int(count or 1))


async def run(args: argparse.Namespace) -> None:
    emu = PduEmulator(config_from_args(args))
    apply_faults(emu, args)
    port = args.port if args.port is not None else (8443 if args.tls else 8080)
    if args.state_file is not None:
        try:
            restored = state.load(emu, args.state_file)
        except ValueError as err:
            print(f"state file {args.state_file} not used: {err}", flush=True)
        else:
            print(f"state: {args.state_file} ({restored} outlets restored)", flush=True)
    await emu.start(host=args.host, port=port)
    facts = [
        ("url", emu.url),
        ("username", args.username),
        ("password", args.password),
        ("firmware", emu.profile.fw_version),
        ("serial", emu.unit(0).serial),
    ]
    if emu.tls_fingerprint:
        facts.append(("fingerprint", emu.tls_fingerprint))
    if emu.http_redirect_port:
        facts.append(("redirect", f"http://{args.host}:{emu.http_redirect_port}"))
    if args.fault_redirect:
        facts.append(("cleartext", emu.cleartext_url))
    facts.append(("link_units", ",".join(str(u.pdu_id) for u in emu.units[1:]) or "-"))
    facts.append(("stats", f"{emu.url}/_emulator/stats"))
    for key, value in facts:
        print(f"{key}: {value}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), STATE_SAVE_INTERVAL)
            if args.state_file is not None:
                state.save(emu, args.state_file)
            if stop.is_set():
                break
    finally:
        await emu.stop()
        print("stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
