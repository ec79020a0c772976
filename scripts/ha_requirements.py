"""Print the requirements a Home Assistant installation starts with this repository's config.

Run with the Python of a venv that has ``homeassistant`` installed (scripts/test-ha-latest runs it
in the newest-release venv). Home Assistant pip-installs the requirements of the integrations it
sets up at their first start; installed beforehand, the environment is complete: the end-to-end
tests start ``hass`` in seconds, and it installs nothing while they run. The integrations are
those ``hass`` sets up for ``config/configuration.yaml`` (``default_config``), the ones every start
sets up (``homeassistant.bootstrap``), those onboarding adds and this integration's dependencies,
each with its ``dependencies`` (not ``after_dependencies``: those are set up only when configured),
and the auth modules of the core.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

from homeassistant import bootstrap, components
from homeassistant.auth import mfa_modules, providers

REPO = Path(__file__).resolve().parent.parent
OWN_MANIFEST = REPO / "custom_components" / "raritan_pdu" / "manifest.json"
CONFIGURATION = REPO / "config" / "configuration.yaml"
# What onboarding's core_config step adds (homeassistant/components/onboarding/views.py).
ONBOARDING = {"google_translate", "met", "radio_browser", "shopping_list"}


def started_domains() -> set[str]:
    """What ``hass`` sets up: the core and default integrations (``homeassistant.bootstrap``),
    the top-level keys of the configuration, and what onboarding adds."""
    configured = {
        line.split(":", 1)[0]
        for line in CONFIGURATION.read_text().splitlines()
        if line[:1].isalpha() and ":" in line
    }
    return {*bootstrap.CORE_INTEGRATIONS, *bootstrap.DEFAULT_INTEGRATIONS, *configured, *ONBOARDING}


def auth_requirements() -> set[str]:
    """The REQUIREMENTS of the auth providers and multi-factor modules (the core loads TOTP and
    fails to start without pyotp)."""
    found: set[str] = set()
    for package in (mfa_modules, providers):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found.update(getattr(module, "REQUIREMENTS", []))
    return found


def requirements(domains: set[str], own: dict[str, list[str]]) -> list[str]:
    base = Path(components.__file__).parent
    found: set[str] = set(own.get("requirements", [])) | auth_requirements()
    todo = sorted(domains | set(own.get("dependencies", [])))
    seen: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = base / domain / "manifest.json"
        if not manifest.exists():  # a domain of another release
            continue
        data = json.loads(manifest.read_text())
        found.update(data.get("requirements", []))
        todo.extend(data.get("dependencies", []))
    return sorted(found)


def main() -> int:
    own = json.loads(OWN_MANIFEST.read_text())
    print("\n".join(requirements(started_domains(), own)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
