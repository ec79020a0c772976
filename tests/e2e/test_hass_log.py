"""What a user finds in ``home-assistant.log`` after using the integration: nothing from it.

Runs after the other e2e tests (``tests/e2e/conftest.py`` orders it last): it stops Home Assistant,
so that unloading at shutdown is in the log too, and reads the whole log and what the process
printed outside logging. It fails on

* any WARNING, ERROR or CRITICAL record about the integration: from its loggers, or mentioning its
  domain or files (Home Assistant's "Detected that custom integration 'raritan_pdu' ..." reports,
  blocking calls in the event loop, slow setup or updates, tracebacks through its code, Python's
  DeprecationWarnings - hass runs with ``PYTHONWARNINGS=default::DeprecationWarning``), its entity
  IDs or its config entry; the one exception is the notice every custom integration gets;
* any other ERROR or CRITICAL record that the container this runs in does not explain
  (``CONTAINER_CAUSED``: no go2rtc or ffmpeg binary, no libpcap, no Internet): an error nobody can
  attribute is one a user would report.

The rest (other integrations' warnings, the container's errors) is printed, not failed on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import DOMAIN, E2EEnv, integration_entities

pytestmark = pytest.mark.e2e

RECORD = re.compile(
    # "2025-04-01 12:00:00.123 ERROR (MainThread) [logger] ..."; 2026.11 adds "+00:00".
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d)? (?P<level>[A-Z]+) \([^)]*\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
WARNING_LEVELS = {"WARNING", "ERROR", "CRITICAL"}
ERROR_LEVELS = {"ERROR", "CRITICAL"}
CONSOLE = "CONSOLE"
"""The level of lines the process printed outside logging."""

# The loader's warning for every custom integration: Home Assistant's notice, not a problem.
CUSTOM_INTEGRATION_NOTICE = re.compile(
    rf"We found a custom integration {DOMAIN} which has not been tested by Home Assistant\. "
    r"This component might cause stability problems, be sure to disable it if you experience "
    r"issues with Home Assistant$"
)

# Errors the container causes whatever is installed: (logger, regex on the message and its
# traceback, cause). Only records that do not mention the integration are matched against these.
CONTAINER_CAUSED: list[tuple[str, str, str]] = [
    ("homeassistant.components.go2rtc", r"^Could not find go2rtc docker binary$", "no go2rtc"),
    ("homeassistant.setup", r"^Setup failed for 'go2rtc': Integration failed", "no go2rtc"),
    (
        "homeassistant.setup",
        r"^Unable to set up dependencies of 'default_config'\. "
        r"Setup failed for dependencies: \['go2rtc'\]$",
        "no go2rtc",
    ),
    (
        "homeassistant.setup",
        r"^Setup failed for 'default_config': Could not setup dependencies: go2rtc$",
        "no go2rtc",
    ),
    ("haffmpeg.core", r"^FFmpeg fails .*No such file or directory: 'ffmpeg'", "no ffmpeg"),
    ("homeassistant.components.camera.img_util", r"^Error loading libturbojpeg", "no turbojpeg"),
    (
        "aiodhcpwatcher",
        r"^Cannot watch for dhcp packets without a functional packet filter",
        "no libpcap",
    ),
    (
        "homeassistant.components.homeassistant_alerts.coordinator",
        r"^Error requesting homeassistant_alerts data: Cannot connect to host "
        r"alerts\.home-assistant\.io:443",
        "no Internet",
    ),
    # Onboarding's radio browser still retrying its lookups when the test stops Home Assistant.
    (
        "homeassistant.components.radio_browser",
        r"^Setup of config entry 'Radio Browser' for radio_browser integration cancelled\n"
        r"[\s\S]*/radios/radio_browser\.py[\s\S]*CancelledError: Home Assistant is stopping$",
        "no Internet",
    ),
    # aiodns 3.2 (HA 2025.4): lookups of Internet names (alerts, radio browser, weather) that
    # were still waiting for a DNS server when Home Assistant stopped.
    (
        "homeassistant",
        r"^Error doing job: Future exception was never retrieved.*\n"
        r"aiodns\.error\.DNSError: \(\d+, '(Could not contact|Timeout while contacting) "
        r"DNS servers'\)$",
        "no Internet",
    ),
]


@dataclass
class Record:
    """One log record: its first line and the lines that follow it (a traceback)."""

    level: str
    logger: str
    lines: list[str]

    @property
    def body(self) -> str:
        """The message and the lines that follow it."""
        match = RECORD.match(self.lines[0])
        return "\n".join([match["message"] if match else self.lines[0], *self.lines[1:]])

    def show(self) -> str:
        shown = self.lines if len(self.lines) <= 12 else [*self.lines[:4], "...", *self.lines[-6:]]
        return "\n    ".join(shown)


def parse(lines: list[str], other: str = CONSOLE) -> list[Record]:
    """Records of a Home Assistant log: a line with a timestamp, level and logger starts one;
    the lines after it up to the next such line belong to it. Lines before the first record
    form a record of level ``other``."""
    records: list[Record] = []
    for line in lines:
        match = RECORD.match(line)
        if match:
            records.append(Record(match["level"], match["logger"], [line]))
        elif records:
            records[-1].lines.append(line)
        elif line.strip():
            records.append(Record(other, "", [line]))
    return records


def read_records(log: Path, console: Path | None) -> list[Record]:
    """The records of ``home-assistant.log`` and, as level ``CONSOLE``, what the console shows
    besides them (Python's output outside logging: early warnings, "Exception ignored in")."""
    log_lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    records = parse(log_lines)
    if console is not None and console.exists():
        known = set(log_lines)
        extra = [line for line in console.read_text(errors="replace").splitlines()
                 if line not in known]  # fmt: skip
        records += [Record(CONSOLE, "", [line]) for line in extra if line.strip()]
    return records


def container_cause(record: Record) -> str | None:
    for logger, pattern, cause in CONTAINER_CAUSED:
        if record.logger == logger and re.search(pattern, record.body, re.MULTILINE):
            return cause
    return None


def test_home_assistant_log_has_nothing_from_the_integration(pdu_entry: E2EEnv) -> None:
    env = pdu_entry
    # What names the integration's objects, asked before Home Assistant stops.
    needles = {DOMAIN, env.entry["result"]["entry_id"]}
    needles |= {row["entity_id"] for row in integration_entities(env)}
    code = env.hass.stop()
    assert code == 0, f"Home Assistant exited with {code} when stopped\n{env.log_tail()}"
    records = read_records(env.hass.config_dir / "home-assistant.log", env.hass.log_path)

    def ours(record: Record) -> bool:
        if record.logger == "homeassistant.loader" and CUSTOM_INTEGRATION_NOTICE.match(record.body):
            return False
        text = "\n".join(record.lines)
        return any(needle in text for needle in needles)

    from_us = [r for r in records if r.level in WARNING_LEVELS | {CONSOLE} and ours(r)]
    unexplained = [
        r for r in records if r.level in ERROR_LEVELS and not ours(r) and not container_cause(r)
    ]
    rest = [
        r
        for r in records
        if r.level in WARNING_LEVELS | {CONSOLE} and r not in from_us and r not in unexplained
    ]
    print(f"\ne2e: home-assistant.log of Home Assistant {env.version}, not the integration's:")
    for record in rest:
        cause = container_cause(record)
        print(f"  {record.level} [{record.logger}] {record.body.splitlines()[0][:150]}"
              + (f"  (container: {cause})" if cause else ""))  # fmt: skip
    problems = [
        *(f"from the integration: {r.show()}" for r in from_us),
        *(f"an error the container does not explain: {r.show()}" for r in unexplained),
    ]
    assert not problems, (
        f"home-assistant.log of Home Assistant {env.version}: {len(problems)} problem(s)\n"
        + "\n".join(problems)
    )
