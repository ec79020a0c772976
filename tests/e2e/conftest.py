"""Fixtures of the end-to-end tests: one emulator + one real Home Assistant process per session.

Both come from ``tests/e2e/harness.py`` - the code ``scripts/develop`` runs - with a temporary
config directory that gets the repository's ``config/configuration.yaml``. The session fixture
onboards a user through Home Assistant's onboarding API; ``pdu_entry`` adds the emulated PDU
through the REST config-flow API the way the "Add integration" dialog does, including the
certificate trust step.

Home Assistant's pytest plugin (auto-loaded) disables sockets for every test; these tests talk HTTP
to local processes, so they re-enable them (``socket_enabled``; the session fixtures call
``pytest_socket.enable_socket`` because they are set up before any function-scoped fixture).

``hass`` runs with this interpreter, or with the one ``E2E_HASS_PYTHON`` names:
scripts/test-ha-latest runs these tests with the newest test harness against a real ``hass`` of the
newest Home Assistant release, which no harness pins yet.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_socket

from .harness import (
    REPO,
    EmulatorProcess,
    EmulatorSettings,
    HarnessError,
    HomeAssistantProcess,
    free_port,
    importable,
)

DOMAIN = "raritan_pdu"
USERNAME = "e2e"
PASSWORD = "e2e-secret-password"
NAME = "E2E Tester"

HASS_PYTHON = os.environ.get("E2E_HASS_PYTHON") or sys.executable
# Python hides DeprecationWarnings outside __main__; Home Assistant logs warnings (py.warnings), so
# with this the log shows those the integration triggers (tests/e2e/test_hass_log.py reads it).
HASS_ENV = {"PYTHONWARNINGS": "default::DeprecationWarning"}


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI (env CI set) a missing prerequisite is a failure, not a silent skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The log check (test_hass_log.py) stops Home Assistant: it runs after the other e2e tests."""
    last = [item for item in items if item.path.name == "test_hass_log.py"]
    if not last:
        return
    rest = [item for item in items if item not in last]
    e2e_dir = last[0].path.parent
    after = max((i + 1 for i, item in enumerate(rest) if item.path.parent == e2e_dir), default=0)
    items[:] = rest[:after] + last + rest[after:]


@pytest.fixture(autouse=True)
def _e2e_sockets(socket_enabled: None) -> None:
    """Real sockets for every e2e test (Home Assistant's pytest plugin blocks them)."""


@dataclass
class E2EEnv:
    """What the tests share: the processes, an admin token and where the logs are."""

    tmp: Path
    emulator: EmulatorProcess
    hass: HomeAssistantProcess
    token: str = ""
    version: str = ""
    """Home Assistant's version, as the running ``hass`` reports it."""
    client_id: str = ""
    entry: dict[str, Any] = field(default_factory=dict)
    flow_steps: list[dict[str, Any]] = field(default_factory=list)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Authenticated REST call; fails the test on an HTTP error (with the log tail)."""
        response = self.hass.request(
            method, path, json_body=body, token=self.token, timeout=timeout
        )
        if response.status >= 400:
            raise AssertionError(
                f"{method} {path} -> HTTP {response.status}: {response.body}\n{self.log_tail()}"
            )
        return response.body

    def states(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "/api/states"))

    def state(self, entity_id: str) -> dict[str, Any]:
        return dict(self.api("GET", f"/api/states/{entity_id}"))

    def websocket(self, command: dict[str, Any]) -> dict[str, Any]:
        """One command over the websocket API, as the frontend sends it; its answer."""

        async def call() -> dict[str, Any]:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{self.hass.url}/api/websocket") as ws,
            ):
                await ws.receive_json()  # auth_required
                await ws.send_json({"type": "auth", "access_token": self.token})
                auth = await ws.receive_json()
                assert auth["type"] == "auth_ok", auth
                await ws.send_json({"id": 1, **command})
                return dict(await ws.receive_json(timeout=30))

        return asyncio.run(call())

    def log_tail(self, lines: int = 40) -> str:
        log = self.hass.config_dir / "home-assistant.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def sync_playwright_session() -> Iterator[Any]:
    """Playwright's synchronous API, its executor threads gone when this returns: it closes its
    event loop without waiting for them (``shutdown(wait=False)``), and Home Assistant's test
    plugin fails a test that leaves a thread behind (a race its newer versions lose)."""
    from playwright.sync_api import sync_playwright

    before = set(threading.enumerate())
    with sync_playwright() as pw:
        yield pw
    for thread in set(threading.enumerate()) - before:
        if thread.name.startswith("asyncio_"):
            thread.join(timeout=30)


def onboard(hass: HomeAssistantProcess, username: str, password: str) -> tuple[str, str]:
    """Onboarding as the frontend does it: user (-> auth code -> token), then the other steps."""
    client_id = f"{hass.url}/"
    deadline = time.monotonic() + 300
    while True:  # the onboarding views appear once the onboarding integration is set up
        response = hass.request("GET", "/api/onboarding")
        if response.status == 200:
            break
        if time.monotonic() > deadline:
            raise HarnessError(f"GET /api/onboarding: HTTP {response.status} {response.body}")
        time.sleep(1)
    response = hass.request(
        "POST",
        "/api/onboarding/users",
        timeout=120,
        json_body={
            "client_id": client_id,
            "name": NAME,
            "username": username,
            "password": password,
            "language": "en",
        },
    )
    assert response.status == 200, response.body
    response = hass.request(
        "POST",
        "/auth/token",
        form={
            "grant_type": "authorization_code",
            "code": response.body["auth_code"],
            "client_id": client_id,
        },
    )
    assert response.status == 200, response.body
    token = str(response.body["access_token"])
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": client_id, "redirect_uri": f"{client_id}?auth_callback=1"}),
    ):
        response = hass.request("POST", f"/api/onboarding/{step}", json_body=body, token=token)
        assert response.status == 200, (step, response.status, response.body)
    return token, client_id


def log_in(page: Any, env: E2EEnv) -> None:
    """Log in like a person in the browser (Playwright ``page``): Home Assistant redirects to its
    login page, whose fields are plain inputs, then shows the default dashboard."""
    page.goto(env.hass.url)
    page.wait_for_url("**/auth/authorize**")
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    # /lovelace/0 on HA 2025.4, /home/overview on 2026.11.
    page.wait_for_url(re.compile(r"/(lovelace|home)(/|$)"))


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    """Poll ``predicate()`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def e2e_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EEnv]:
    """The emulator (TLS, self-signed) and an onboarded Home Assistant with this integration."""
    if not importable("homeassistant", HASS_PYTHON):
        skip_or_fail(f"Home Assistant is not importable by {HASS_PYTHON}")
    if not importable("hass_frontend", HASS_PYTHON):
        # An incomplete environment: hass would first pip-install the frontend and
        # default_config's packages, which is not what is tested here.
        skip_or_fail(
            f"Home Assistant's frontend (home-assistant-frontend) is not installed for "
            f"{HASS_PYTHON}; scripts/setup (or scripts/test-ha-latest) installs it"
        )
    if (
        importlib.util.find_spec("tests.emulator") is None
        or not (REPO / "tests" / "emulator" / "__main__.py").exists()
    ):
        skip_or_fail("the emulator CLI (python -m tests.emulator) is not there yet")
    pytest_socket.enable_socket()
    tmp = tmp_path_factory.mktemp("e2e")
    emulator = EmulatorProcess(
        EmulatorSettings(outlets=8, link_units=1, peripherals=2, tls=True),
        log_path=tmp / "emulator.log",
    )
    hass = HomeAssistantProcess(
        tmp / "config",
        http_port=free_port(),
        http_host="127.0.0.1",
        log_path=tmp / "hass-stdout.log",
        python=HASS_PYTHON,
        env=HASS_ENV,
    )
    env = E2EEnv(tmp=tmp, emulator=emulator, hass=hass)
    try:
        emulator.start()
        hass.start()
        env.token, env.client_id = onboard(hass, USERNAME, PASSWORD)
        # Wait for the end of startup (state RUNNING), so that config flows and services are there.
        config = wait_for(
            lambda: (c := env.api("GET", "/api/config")).get("state") == "RUNNING" and c,
            600,
            "Home Assistant to finish starting",
        )
        env.version = str(config["version"])
        # HA 2026.11 moves the `http:` YAML (packages/devenv.yaml: the port) into its storage as a
        # "pending" config that the user confirms in a dialog; unconfirmed, Home Assistant
        # restarts with its defaults after 5 minutes. Confirm it as the user would. Older releases
        # answer "unknown_command".
        answer = env.websocket({"type": "http/config/promote"})
        assert answer["success"] or answer["error"]["code"] == "unknown_command", answer
        print(
            f"\ne2e: Home Assistant {env.version} at {hass.url} (config {hass.config_dir}), "
            f"emulator {emulator.url}"
        )
        yield env
    finally:
        pytest_socket.enable_socket()
        code = hass.stop()
        emulator.stop()
        print(f"e2e: Home Assistant stopped with exit code {code}")


def run_config_flow(
    env: E2EEnv,
    *,
    host: str | None = None,
    stop_at: str | None = None,
    emulator: EmulatorProcess | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Add the emulated PDU like a user in the "Add integration" dialog; return the final result
    and the forms shown on the way.

    The user form gets host (the emulator's address unless ``host`` is given), port, HTTPS and
    certificate verification on (the defaults) and the credentials; the emulator's self-signed
    certificate then fails verification, so the flow shows its fingerprint and asks whether to
    trust it - the test checks it is the emulator's certificate (as a careful user would) and
    accepts. With ``stop_at``, the flow is aborted at that step and its form returned.
    ``emulator``: another emulated PDU than the session's.
    """
    emulator = emulator or env.emulator
    values: dict[str, Any] = {
        "host": host or emulator.settings.host,
        "port": emulator.settings.port,
        "ssl": True,
        "verify_ssl": True,
        "username": emulator.settings.username,
        "password": emulator.settings.password,
    }
    steps: list[dict[str, Any]] = []
    result = env.api("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    flow_id = result["flow_id"]
    try:
        for _ in range(5):
            if result["type"] != "form":
                return dict(result), steps
            steps.append(result)
            assert not result.get("errors"), result
            step = result["step_id"]
            if step == "trust_certificate":
                shown = result["description_placeholders"]["fingerprint"]
                assert _norm_fp(shown) == _norm_fp(emulator.fingerprint or ""), (shown, emulator)
                user_input: dict[str, Any] = {"trust": True}
            else:
                user_input = {
                    field["name"]: values[field["name"]]
                    for field in result["data_schema"]
                    if field["name"] in values
                }
            if step == stop_at:
                return dict(result), steps
            result = env.api("POST", f"/api/config/config_entries/flow/{flow_id}", user_input)
        raise AssertionError(f"config flow did not finish: {steps}")
    finally:
        if result.get("type") == "form":  # not finished: abort it, as closing the dialog does
            path = f"/api/config/config_entries/flow/{flow_id}"
            env.hass.request("DELETE", path, token=env.token)


def _norm_fp(value: str) -> str:
    return value.replace(":", "").strip().lower()


@pytest.fixture(scope="session")
def pdu_entry(e2e_env: E2EEnv) -> E2EEnv:
    """``e2e_env`` with the emulated PDU added through the config flow and its switches loaded."""
    pytest_socket.enable_socket()
    if not e2e_env.entry:
        result, e2e_env.flow_steps = run_config_flow(e2e_env)
        assert result["type"] == "create_entry", result
        e2e_env.entry = result
        wait_for(
            lambda: [s for s in e2e_env.states() if s["entity_id"].startswith("switch.")],
            120,
            "switch entities",
        )
    return e2e_env


# Finding the entities of an outlet (by the identifiers of the outlet's device)

ENTITIES_TEMPLATE = (
    """
{%- set ns = namespace(rows=[]) -%}
{%- for e in integration_entities('"""
    + DOMAIN
    + """') -%}
  {%- set ids = device_attr(e, 'identifiers') -%}
  {%- set ns.rows = ns.rows + [{
      'entity_id': e,
      'device_id': device_id(e),
      'identifiers': (ids | map('list') | list) if ids else [],
      'device_class': state_attr(e, 'device_class'),
      'unit': state_attr(e, 'unit_of_measurement'),
      'state': states(e)}] -%}
{%- endfor -%}
{{ ns.rows | tojson }}
"""
)


def integration_entities(env: E2EEnv) -> list[dict[str, Any]]:
    """Every entity of the integration with its device's identifiers (via the template API)."""
    rendered = env.api("POST", "/api/template", {"template": ENTITIES_TEMPLATE})
    # The template API answers text/plain; the harness already decoded it when it is JSON.
    return list(json.loads(rendered) if isinstance(rendered, str) else rendered)


def primary_serial(env: E2EEnv) -> str:
    meta = env.emulator.rpc("/model/pdu/0", "getMetaData")
    nameplate = meta.get("nameplate") or meta.get("namePlate")
    return str(nameplate["serialNumber"])


def outlet_entity(env: E2EEnv, number: int, platform: str, device_class: str | None = None) -> str:
    """The entity of ``platform`` on the device of outlet ``number`` (1-based) of the primary."""
    device = [DOMAIN, f"{primary_serial(env)}_outlet_{number}"]

    def find() -> str | None:
        for row in integration_entities(env):
            if (
                device in row["identifiers"]
                and row["entity_id"].startswith(f"{platform}.")
                and (device_class is None or row["device_class"] == device_class)
            ):
                return str(row["entity_id"])
        return None

    found = wait_for(find, 60, f"a {platform} ({device_class}) entity of outlet {number}")
    return str(found)
