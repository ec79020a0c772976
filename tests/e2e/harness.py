"""Development environment orchestration: the emulator and a real Home Assistant process.

One code path for two users:

* ``scripts/develop`` runs ``python -m tests.e2e.harness`` (``main`` below): emulator + ``hass``
  with the repository's ``config/`` directory, prints what to type into the "Add integration"
  dialog, lets the emulated PDU be stopped and started while Home Assistant keeps running
  (``stop`` / ``start`` / ``restart`` typed in the terminal, SIGUSR1 / SIGUSR2; its state file
  keeps energy counters, relay states and names) and stops both on Ctrl-C.
* the end-to-end tests (``tests/e2e/conftest.py``) use the same ``EmulatorProcess`` and
  ``HomeAssistantProcess`` with a temporary config directory that gets the same
  ``configuration.yaml``.

Standard library only (plus Home Assistant itself in the subprocess), so it runs from any venv that
has ``homeassistant`` installed: the interpreter is ``sys.executable`` and Home Assistant is
started as ``sys.executable -m homeassistant``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import importlib.util
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
COMPONENT = REPO / "custom_components" / "raritan_pdu"
DEV_CONFIG = REPO / "config"
CONFIG_TEMPLATE = DEV_CONFIG / "configuration.yaml"

# The first start installs Home Assistant's frontend and the runtime requirements of default_config
# with pip (a few minutes at most on a slow link; seconds when pip's cache has them).
FIRST_START_TIMEOUT = 900.0
EMULATOR_START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


class HarnessError(RuntimeError):
    """A process did not start or answer in time (the message includes the tail of its log)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def importable(module: str, python: str = sys.executable) -> bool:
    """True when ``python`` (this interpreter or another venv's) can import ``module``."""
    if python == sys.executable:
        return importlib.util.find_spec(module) is not None
    probe = subprocess.run(
        [python, "-c", f"import {module}"], capture_output=True, check=False, timeout=120
    )
    return probe.returncode == 0


def child_env() -> dict[str, str]:
    """The environment for the child processes, without pytest-cov's subprocess hooks: a
    ``hass`` process measured as well would write coverage data of the integration's files
    under the config dir's ``custom_components`` symlink (other paths, same code) into the
    suite's report."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE_")}


def _tail(path: Path | None, lines: int = 60) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> int | None:
    """SIGTERM the process group of ``proc`` (started with ``start_new_session``), then SIGKILL."""
    if proc.poll() is not None:
        return proc.returncode
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(10)


# --------------------------------------------------------------------------------------------
# Emulator


@dataclass
class EmulatorSettings:
    """Command line of ``python -m tests.emulator`` (see tests/emulator)."""

    host: str = "127.0.0.1"
    port: int = 0
    """0: pick a free port."""
    username: str = "admin"
    password: str = "raritan"
    outlets: int = 24
    link_units: int = 1
    peripherals: int = 3
    firmware: str = "4.4"
    tls: bool = True
    device_speed: str = "instant"
    """Device-time preset of the emulator: "instant" or "px3" (a real PX3's speed)."""
    latency_ms: float | None = None
    per_call_ms: float | None = None
    """None: the ``device_speed`` preset's."""
    cert_dir: Path | None = None
    """Keep the TLS certificate here across restarts (no "certificate changed" repair)."""
    seed: int | None = None
    """Serial numbers and MACs (None: the emulator's default); two PDUs need two seeds."""
    state_file: Path | None = None
    """Keep energy counters, relay states and names here across restarts (``--state-file``)."""
    extra_args: tuple[str, ...] = ()
    """More options of ``python -m tests.emulator`` (``--help``), e.g. fault injection."""

    def cli_args(self) -> list[str]:
        extra = ["--cert-dir", str(self.cert_dir)] if self.cert_dir else []
        if self.state_file is not None:
            extra += ["--state-file", str(self.state_file)]
        if self.seed is not None:
            extra += ["--seed", str(self.seed)]
        extra += self.extra_args
        if self.latency_ms is not None:
            extra += ["--latency-ms", str(self.latency_ms)]
        if self.per_call_ms is not None:
            extra += ["--per-call-ms", str(self.per_call_ms)]
        return [*extra,
            "--host", self.host,
            "--port", str(self.port),
            "--username", self.username,
            "--password", self.password,
            "--outlets", str(self.outlets),
            "--link-units", str(self.link_units),
            "--peripherals", str(self.peripherals),
            "--firmware", self.firmware,
            "--tls" if self.tls else "--no-tls",
            "--device-speed", self.device_speed,
        ]  # fmt: skip


def certificate_fingerprint(host: str, port: int, timeout: float = 10.0) -> str:
    """SHA-256 of the certificate the server presents, "AB:CD:..." (what the config flow shows)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


class EmulatorProcess:
    """``python -m tests.emulator`` in its own process group, with a JSON-RPC client for
    assertions."""

    def __init__(
        self,
        settings: EmulatorSettings,
        *,
        log_path: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        if settings.port == 0:
            settings.port = free_port(settings.host)
        self.settings = settings
        self.log_path = log_path
        self.python = python
        self.proc: subprocess.Popen[bytes] | None = None
        self.fingerprint: str | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.settings.tls else "http"
        return f"{scheme}://{self.settings.host}:{self.settings.port}"

    def start(self, timeout: float = EMULATOR_START_TIMEOUT) -> None:
        out: IO[bytes] | None = None
        if self.log_path is not None:
            self._log = out = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [self.python, "-m", "tests.emulator", *self.settings.cli_args()],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=child_env(),
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"emulator exited with {self.proc.returncode}\n{_tail(self.log_path)}"
                )
            try:
                self.rpc("/model/pdu/0", "getMetaData")
                break
            except (OSError, HarnessError) as err:
                if time.monotonic() > deadline:
                    self.stop()
                    raise HarnessError(
                        f"emulator did not answer on {self.url} within {timeout:.0f} s ({err})\n"
                        f"{_tail(self.log_path)}"
                    ) from err
                time.sleep(0.2)
        if self.settings.tls:
            self.fingerprint = certificate_fingerprint(self.settings.host, self.settings.port)

    def stop(self) -> None:
        if self.proc is not None:
            _stop_group(self.proc, timeout=15)
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- JSON-RPC, as the device's own clients speak it (HTTP Basic auth, one call per request)

    def rpc(self, rid: str, method: str, params: dict[str, Any] | None = None) -> Any:
        """Call ``method`` on ``rid``; return ``result._ret_`` (or the whole result)."""
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params or {}, "id": 1})
        token = base64.b64encode(
            f"{self.settings.username}:{self.settings.password}".encode()
        ).decode()
        request = urllib.request.Request(
            self.url + rid,
            data=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
            method="POST",
        )
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(request, timeout=10, context=ctx) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise HarnessError(f"{rid} {method}: HTTP {err.code}") from err
        if "error" in answer:
            raise HarnessError(f"{rid} {method}: {answer['error']}")
        result = answer.get("result")
        if isinstance(result, dict) and set(result) == {"_ret_"}:
            return result["_ret_"]
        return result

    def outlet_rid(self, outlet: int, pdu_id: int = 0) -> str:
        """RID of 0-based ``outlet`` of unit ``pdu_id`` (0 = primary, 2.. = link units)."""
        outlets = self.rpc(f"/model/pdu/{pdu_id}", "getOutlets")
        return str(outlets[outlet]["rid"])

    def outlet_is_on(self, outlet: int, pdu_id: int = 0) -> bool:
        """The emulator's own view of the relay (``Outlet.getState().powerState == PS_ON``)."""
        state = self.rpc(self.outlet_rid(outlet, pdu_id), "getState")
        return int(state["powerState"]) == 1

    def set_outlet(self, outlet: int, on: bool, pdu_id: int = 0) -> None:
        ret = self.rpc(self.outlet_rid(outlet, pdu_id), "setPowerState", {"pstate": int(on)})
        if ret != 0:
            raise HarnessError(f"setPowerState returned {ret}")

    def outlet_reading(self, outlet: int, sensor: str = "activePower", pdu_id: int = 0) -> float:
        """A fresh ``getReading().value`` of an outlet sensor (IDL name, e.g. ``activePower``)."""
        sensors = self.rpc(self.outlet_rid(outlet, pdu_id), "getSensors")
        reading = self.rpc(sensors[sensor]["rid"], "getReading")
        return float(reading["value"])


# --------------------------------------------------------------------------------------------
# Home Assistant


def prepare_config_dir(
    config_dir: Path,
    *,
    http_port: int = 8123,
    http_host: str | None = None,
    template: Path = CONFIG_TEMPLATE,
) -> None:
    """Make ``config_dir`` a Home Assistant config dir that loads this repository's integration.

    * ``configuration.yaml``: the repository's ``config/configuration.yaml`` (copied unless it is
      that file);
    * ``custom_components/raritan_pdu`` -> the repository's package (a symlink: edits are live
      after a restart of Home Assistant);
    * ``packages/devenv.yaml``: what differs per run (HTTP port and address), merged by the
      ``homeassistant: packages:`` include of ``configuration.yaml``.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    target = config_dir / "configuration.yaml"
    if target.resolve() != template.resolve():
        target.write_text(template.read_text())
    link = config_dir / "custom_components" / "raritan_pdu"
    link.parent.mkdir(exist_ok=True)
    wanted = Path(os.path.relpath(COMPONENT, link.parent))
    if link.is_symlink() and Path(os.readlink(link)) != wanted:
        link.unlink()
    if not link.is_symlink():
        if link.exists():
            raise HarnessError(f"{link} exists and is not a symlink; remove it")
        link.symlink_to(wanted, target_is_directory=True)
    http: dict[str, Any] = {"server_port": http_port}
    if http_host:
        http["server_host"] = [http_host]
    packages = config_dir / "packages"
    packages.mkdir(exist_ok=True)
    # JSON is YAML: no YAML writer needed.
    (packages / "devenv.yaml").write_text(
        "# Written by tests/e2e/harness.py on every start; do not edit.\n"
        + json.dumps({"http": http}, indent=2)
        + "\n"
    )


@dataclass
class HttpResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class HomeAssistantProcess:
    """``python -m homeassistant -c <config_dir>`` in its own process group."""

    def __init__(
        self,
        config_dir: Path,
        *,
        http_port: int = 8123,
        http_host: str | None = None,
        log_path: Path | None = None,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.config_dir = config_dir
        self.http_port = http_port
        self.http_host = http_host
        self.log_path = log_path
        self.python = python
        self.env = dict(env or {})
        """Added to (or replacing) the inherited environment of ``hass``."""
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.http_host or '127.0.0.1'}:{self.http_port}"

    def start(self, timeout: float = FIRST_START_TIMEOUT) -> None:
        """Start Home Assistant and wait until its HTTP API answers."""
        prepare_config_dir(self.config_dir, http_port=self.http_port, http_host=self.http_host)
        out: IO[bytes] | None = None
        if self.log_path is not None:
            self._log = out = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [self.python, "-m", "homeassistant", "--config", str(self.config_dir)],
            cwd=self.config_dir,
            stdout=out,
            stderr=subprocess.STDOUT if out is not None else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**child_env(), **self.env},
        )
        self.wait_until_answering(timeout)

    def wait_until_answering(self, timeout: float) -> None:
        """Until the HTTP server answers at all (a 404 while the frontend loads is an answer).

        Not ``/api/``: without a token that is a failed login, which Home Assistant logs as a
        warning (``http.ban``: "Login attempt or request with invalid authentication").
        """
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"Home Assistant exited with {self.proc.returncode}\n"
                    f"{_tail(self.log_path) or _tail(self.config_dir / 'home-assistant.log')}"
                )
            try:
                self.request("GET", "/manifest.json", timeout=5)
                return
            except OSError as err:
                if time.monotonic() > deadline:
                    self.stop()
                    raise HarnessError(
                        f"Home Assistant did not answer on {self.url} within {timeout:.0f} s "
                        f"({err})\n{_tail(self.config_dir / 'home-assistant.log')}"
                    ) from err
                time.sleep(1)

    def stop(self) -> int | None:
        code = None
        if self.proc is not None:
            code = _stop_group(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        token: str | None = None,
        timeout: float = 30,
    ) -> HttpResponse:
        """One HTTP request to Home Assistant; HTTP errors are returned, not raised."""
        headers: dict[str, str] = {}
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, hdrs = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as err:
            status, raw, hdrs = err.code, err.read(), dict(err.headers)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        return HttpResponse(status, body, hdrs)


# --------------------------------------------------------------------------------------------
# scripts/develop


def _banner(emulator: EmulatorProcess, hass: HomeAssistantProcess, public_url: str) -> str:
    s = emulator.settings
    lines = [
        "",
        "=" * 72,
        f"  Home Assistant:  {public_url}",
        "  (first visit: create a user; then Settings > Devices & services >",
        '   Add integration > "Raritan PDU")',
        "",
        "  Emulated PDU to add:",
        f"    Host:      {s.host}",
        f"    Port:      {s.port}",
        f"    HTTPS:     {'yes (self-signed certificate)' if s.tls else 'no (plain HTTP)'}",
        f"    Username:  {s.username}",
        f"    Password:  {s.password}",
    ]
    if emulator.fingerprint:
        lines += [
            "    Certificate SHA-256 fingerprint (the flow asks you to trust it):",
            f"      {emulator.fingerprint}",
        ]
    lines += [
        f"    Topology:  primary + {s.link_units} link unit(s), {s.outlets} outlets each, "
        f"{s.peripherals} external sensor(s), firmware {s.firmware}",
        "",
        f"  Logs: {hass.config_dir / 'home-assistant.log'} (this terminal shows the",
        f"        integration's lines), emulator {emulator.log_path}",
        "",
        "  The emulated PDU keeps its energy counters, relay states and names in",
        f"  {s.state_file}. To see what Home Assistant does when the PDU goes away,",
        "  type  stop  and Enter (start / restart likewise), or send the harness",
        f"  (pid {os.getpid()}) SIGUSR1 to stop and SIGUSR2 to start the PDU; Home",
        "  Assistant keeps running. Ctrl-C stops both.",
        "=" * 72,
        "",
    ]
    return "\n".join(lines)


class _LogFollower:
    """Prints the new lines of a Home Assistant log that belong to records mentioning ``needle``
    (a record is a line starting with a timestamp plus its traceback lines)."""

    def __init__(self, path: Path, needle: str) -> None:
        self.path = path
        self.needle = needle
        self.pos = path.stat().st_size if path.exists() else 0
        self.partial = ""
        self.showing = False

    def poll(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("r", errors="replace") as log:
            log.seek(self.pos)
            chunk = log.read()
            self.pos = log.tell()
        *lines, self.partial = (self.partial + chunk).split("\n")
        for line in lines:
            if line[:4].isdigit() and line[4:5] == "-":  # "2026-..." starts a new record
                self.showing = self.needle in line
            if self.showing:
                print(line, flush=True)


class _PduControl:
    """Stops and starts the emulated PDU while Home Assistant keeps running: commands typed in
    the terminal (``stop``, ``start``, ``restart``) or SIGUSR1 (stop) / SIGUSR2 (start)."""

    COMMANDS = ("stop", "start", "restart")

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.pending: list[str] = []
        self.running = True
        self._stdin = sys.stdin if sys.stdin is not None and not sys.stdin.closed else None

    def signal(self, signum: int, _frame: object) -> None:
        self.pending.append("stop" if signum == signal.SIGUSR1 else "start")

    def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for a command typed in the terminal."""
        if self._stdin is None:
            time.sleep(timeout)
            return
        try:
            ready, _, _ = select.select([self._stdin], [], [], timeout)
        except (OSError, ValueError):
            ready = []
            time.sleep(timeout)
        if ready:
            line = self._stdin.readline()
            if not line:  # end of input (no terminal): only signals from now on
                self._stdin = None
            elif (command := line.strip().lower()) in self.COMMANDS:
                self.pending.append(command)
            elif command:
                print(f"develop: commands: {', '.join(self.COMMANDS)} (Ctrl-C stops both)")

    def check(self) -> None:
        """Run the pending commands; tell when the PDU stopped by itself."""
        proc = self.emulator.proc
        if self.running and proc is not None and proc.poll() is not None:
            self.running = False
            print(
                f"develop: the emulated PDU exited with {proc.returncode}; Home Assistant keeps "
                "running (type start to start the PDU again)",
                flush=True,
            )
        while self.pending:
            command = self.pending.pop(0)
            if command in ("stop", "restart") and self.running:
                print("develop: stopping the emulated PDU (its state is saved)", flush=True)
                self.emulator.stop()
                self.running = False
            if command in ("start", "restart") and not self.running:
                print(f"develop: starting the emulated PDU on {self.emulator.url}", flush=True)
                try:
                    self.emulator.start()
                except HarnessError as err:
                    print(f"develop: {err}", file=sys.stderr, flush=True)
                else:
                    self.running = True


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run the PDU emulator and Home Assistant (config/) with this integration.",
    )
    p.add_argument("--outlets", type=int, default=24, help="outlets per unit (default 24)")
    p.add_argument("--link-units", type=int, default=1, help="link units, 0-7 (default 1)")
    p.add_argument("--peripherals", type=int, default=3, help="external sensors (default 3)")
    p.add_argument("--firmware", choices=("3.6", "4.4"), default="4.4")
    p.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True,
                   help="HTTPS with a self-signed certificate (default) or plain HTTP")  # fmt: skip
    p.add_argument("--device-speed", choices=("instant", "px3"), default="instant",
                   help="emulated device time: instant (default) or px3 (a real PX3: 40 ms per "
                        "HTTP request, 8 ms per call, one request at a time)")  # fmt: skip
    p.add_argument("--latency-ms", type=float, default=None,
                   help="device time per HTTP request (overrides --device-speed)")  # fmt: skip
    p.add_argument("--per-call-ms", type=float, default=None,
                   help="device time per JSON-RPC call (overrides --device-speed)")  # fmt: skip
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default="raritan")
    p.add_argument("--emulator-host", default="127.0.0.1", help="address the emulator listens on")
    p.add_argument("--emulator-port", type=int, default=None,
                   help="default 8443 (HTTPS) / 8080 (HTTP): fixed, so that the config entry "
                        "still points at it after a restart; 0 = any free port")  # fmt: skip
    p.add_argument("--http-port", type=int, default=8123, help="Home Assistant port (8123)")
    p.add_argument("--http-host", default=None,
                   help="address Home Assistant listens on (default: all)")  # fmt: skip
    p.add_argument("--config", type=Path, default=DEV_CONFIG, help="config dir (config/)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show all of Home Assistant's console output")  # fmt: skip
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    settings = EmulatorSettings(
        host=args.emulator_host,
        port=args.emulator_port if args.emulator_port is not None else (8443 if args.tls else 8080),
        username=args.username,
        password=args.password,
        outlets=args.outlets,
        link_units=args.link_units,
        peripherals=args.peripherals,
        firmware=args.firmware,
        tls=args.tls,
        device_speed=args.device_speed,
        latency_ms=args.latency_ms,
        per_call_ms=args.per_call_ms,
    )
    config_dir: Path = args.config.resolve()
    config_dir.mkdir(parents=True, exist_ok=True)
    settings.cert_dir = config_dir / "emulator-certificate"
    settings.state_file = settings.cert_dir / "state.json"
    emulator = EmulatorProcess(settings, log_path=config_dir / "emulator.log")
    console_log = None if args.verbose else config_dir / "hass-console.log"
    hass = HomeAssistantProcess(
        config_dir, http_port=args.http_port, http_host=args.http_host, log_path=console_log
    )
    # Without --verbose the terminal shows only the integration's records of the console output.
    follower = None if console_log is None else _LogFollower(console_log, "raritan_pdu")

    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    control = _PduControl(emulator)
    for sig in (signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, control.signal)

    try:
        print(f"develop: starting the emulator on {emulator.url} (log: {emulator.log_path})")
        emulator.start()
        print(f"develop: starting Home Assistant on port {args.http_port} with {config_dir}")
        if follower is not None:
            print(f"develop: Home Assistant's console output goes to {hass.log_path}")
        hass.start()
        public = f"http://localhost:{args.http_port}"
        print(_banner(emulator, hass, public), flush=True)
        while True:
            if hass.proc is not None and hass.proc.poll() is not None:
                print(f"develop: Home Assistant exited with {hass.proc.returncode}; stopping")
                return hass.proc.returncode or 1
            # The PDU may go away (and come back) while Home Assistant keeps running.
            control.check()
            if follower is not None:
                follower.poll()
            control.wait(1.0)
    except KeyboardInterrupt:
        print("\ndevelop: stopping Home Assistant and the emulator")
        return 0
    except HarnessError as err:
        print(f"develop: {err}", file=sys.stderr)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_IGN)
        hass.stop()
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
