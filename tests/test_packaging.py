"""Packaging and conformance: the rules hassfest and the HACS action apply, checked locally.

Neither hassfest (it lives in Home Assistant's repository, not in the wheel) nor the HACS action run
here, so this file re-states their rules for our files: manifest.json, hacs.json, strings.json and
translations/en.json, icons.json, services.yaml, quality_scale.yaml and the brand images.

Entity names are checked against the platforms' description tables (every translation key a
description can produce, on the object kinds that have its field in the bindings, and nothing
else); exception and issue keys and the config flow's steps, errors, abort reasons and form
fields are collected from the Python sources with ``ast``, in both directions. One test sets the
integration up against a richly equipped emulator and checks every entity it registers has a
translated name. The quality scale's claims are checked by using the flow and the setup, and by
the tests that show each claimed rule.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import string
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from PIL import Image

# Import our package before a ``hass`` fixture puts Home Assistant's test config dir (with its own
# ``custom_components``) first on sys.path; the loader then finds raritan_pdu where it really is.
import custom_components.raritan_pdu  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
COMPONENT = REPO / "custom_components" / "raritan_pdu"
DOMAIN = "raritan_pdu"

PLATFORMS = (
    "binary_sensor",
    "button",
    "event",
    "lock",
    "number",
    "select",
    "sensor",
    "switch",
    "update",
)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(load_json(COMPONENT / "manifest.json"))


@pytest.fixture(scope="module")
def strings() -> dict[str, Any]:
    return dict(load_json(COMPONENT / "strings.json"))


def python_sources() -> dict[str, ast.Module]:
    """Every module of the integration (not the HA-free protocol library), parsed."""
    return {
        path.stem: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(COMPONENT.glob("*.py"))
    }


# ------------------------------------------------------------------------------------------------
# Resolving the value of a key expression in the sources


def module_assignments() -> Iterator[tuple[str, ast.expr]]:
    """``NAME = value`` (and ``NAME: Final = value``) at module level anywhere in the package."""
    for tree in python_sources().values():
        for node in tree.body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if isinstance(target, ast.Name) and value is not None:
                yield target.id, value


def module_constants() -> dict[str, str]:
    """Module-level string constants of the package, plus the ``CONF_*``-style constants the
    code imports from ``homeassistant.const``."""
    import homeassistant.const as ha_const

    found: dict[str, str] = {
        name: value
        for name, value in vars(ha_const).items()
        if name.isupper() and isinstance(value, str)
    }
    for name, value in module_assignments():
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found[name] = value.value
    return found


def module_dicts() -> dict[str, ast.Dict]:
    """Module-level dict literals of the package."""
    return {name: value for name, value in module_assignments() if isinstance(value, ast.Dict)}


class KeyResolver:
    """The possible string values of an expression: literals, module constants, local variables
    assigned in the same function, lookups with ``.get(x, default)`` in dict literals or
    module-level dicts (also dicts of dicts), ``a or b`` and conditionals.

    f-strings become regular expressions (the literal parts, ``.+`` for each substitution); an
    expression that cannot be resolved (an attribute of another object, say) is reported as
    ``None`` so the caller can decide.
    """

    def __init__(self) -> None:
        self.constants = module_constants()
        self.dicts = module_dicts()

    def containers(self, node: ast.expr) -> list[ast.Dict] | None:
        """The dict literals an expression can be: a literal, a module-level dict, the dict
        values of a ``.get`` on such (with a dict default)."""
        if isinstance(node, ast.Dict):
            return [node]
        if isinstance(node, ast.Name) and node.id in self.dicts:
            return [self.dicts[node.id]]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
        ):
            outer = self.containers(node.func.value)
            if outer is None:
                return None
            result: list[ast.Dict] = []
            for value in [v for d in outer for v in d.values] + node.args[1:]:
                inner = self.containers(value)
                if inner is None:
                    return None
                result += inner
            return result
        return None

    def values(self, node: ast.expr, scope: ast.AST | None) -> list[str | re.Pattern[str]] | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    parts.append(re.escape(str(value.value)))
                else:
                    parts.append(".+")
            return [re.compile("".join(parts))]
        if isinstance(node, ast.Name):
            if node.id in self.constants:
                return [self.constants[node.id]]
            if scope is None:
                return None
            result: list[str | re.Pattern[str]] = []
            for assigned in self._assignments(scope, node.id):
                values = self.values(assigned, None)
                if values is None:
                    return None
                result += values
            return result or None
        if isinstance(node, ast.IfExp):
            body, orelse = self.values(node.body, scope), self.values(node.orelse, scope)
            return None if body is None or orelse is None else body + orelse
        if isinstance(node, ast.BoolOp | ast.Dict):
            # ``a or b``: either; a dict: any of its values.
            result = []
            for operand in node.values:
                values = self.values(operand, scope) if operand is not None else None
                if values is None:
                    return None
                result += values
            return result
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and (dicts := self.containers(node.func.value)) is not None
        ):
            result = []
            for container in dicts:
                result += self.values(container, scope) or []
            if len(node.args) > 1:
                default = self.values(node.args[1], scope)
                if default is None:
                    return None
                result += default
            return result
        return None

    @staticmethod
    def _assignments(scope: ast.AST, name: str) -> Iterator[ast.expr]:
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        yield node.value
            elif (
                isinstance(node, ast.AnnAssign | ast.NamedExpr)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
                and node.value is not None
            ):
                yield node.value


def functions_and_nodes(tree: ast.Module) -> Iterator[tuple[ast.AST | None, ast.AST]]:
    """(innermost enclosing function or None, node) for every node of a module."""

    def visit(node: ast.AST, scope: ast.AST | None) -> Iterator[tuple[ast.AST | None, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else scope
            yield inner, child
            yield from visit(child, inner)

    return visit(tree, None)


def keyword_values(
    keyword_name: str, *, call_names: set[str] | None = None, modules: list[str] | None = None
) -> list[tuple[str, int, list[str | re.Pattern[str]] | None]]:
    """(module, line, possible values) of every ``keyword_name=`` argument in calls, optionally
    only in calls of the functions/classes named ``call_names``."""
    resolver = KeyResolver()
    found = []
    for module, tree in python_sources().items():
        if modules is not None and module not in modules:
            continue
        # helpers of the module taking the key positionally, e.g. ``def _d(key, translation_key)``
        positional = {
            fn.name: [a.arg for a in fn.args.posonlyargs + fn.args.args].index(keyword_name)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            and keyword_name in [a.arg for a in fn.args.posonlyargs + fn.args.args]
        }
        for scope, node in functions_and_nodes(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if call_names is not None and name not in call_names:
                continue
            for kw in node.keywords:
                if kw.arg == keyword_name:
                    found.append((module, node.lineno, resolver.values(kw.value, scope)))
            index = positional.get(name or "")
            if index is not None and index < len(node.args):
                found.append((module, node.lineno, resolver.values(node.args[index], scope)))
    return found


def matches(value: str | re.Pattern[str], keys: set[str]) -> bool:
    if isinstance(value, str):
        return value in keys
    return any(value.fullmatch(key) for key in keys)


# ------------------------------------------------------------------------------------------------
# manifest.json (hassfest: script/hassfest/manifest.py; HACS: manifest checks)

IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
MANIFEST_KEYS = {
    "domain",
    "name",
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "disabled",
    "documentation",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}


def test_manifest_required_keys_and_values(manifest: dict[str, Any]) -> None:
    for key in (
        "domain",
        "name",
        "codeowners",
        "documentation",
        "issue_tracker",
        "integration_type",
        "iot_class",
        "requirements",
        "version",
        "config_flow",
    ):
        assert key in manifest, f"manifest.json lacks {key!r}"
    assert not set(manifest) - MANIFEST_KEYS, f"unknown keys {set(manifest) - MANIFEST_KEYS}"
    assert manifest["domain"] == DOMAIN == COMPONENT.name
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES
    for url_key in ("documentation", "issue_tracker"):
        assert re.fullmatch(r"https://[^\s/]+\.[^\s/]+/\S*", manifest[url_key]), url_key
    assert not manifest["documentation"].startswith("https://www.home-assistant.io/integrations")
    assert isinstance(manifest["codeowners"], list)
    for owner in manifest["codeowners"]:
        assert re.fullmatch(r"@[A-Za-z0-9-]+(/[A-Za-z0-9-]+)?", owner), owner
    assert isinstance(manifest["requirements"], list)
    for requirement in manifest["requirements"]:
        assert "==" in requirement, f"pin requirements exactly: {requirement}"
    import homeassistant.components

    core = Path(homeassistant.components.__path__[0])
    for dep in manifest.get("dependencies", []) + manifest.get("after_dependencies", []):
        assert (core / dep).is_dir(), f"dependency {dep} is no Home Assistant integration"
    for logger in manifest.get("loggers", []):
        assert isinstance(logger, str) and logger


def test_manifest_key_order(manifest: dict[str, Any]) -> None:
    """hassfest: "Manifest keys are not sorted correctly: domain, name, then alphabetical"."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_version_is_valid(manifest: dict[str, Any]) -> None:
    """Home Assistant's loader refuses a custom integration whose version fits none of these."""
    AwesomeVersion(
        manifest["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )


def test_manifest_discovery_matchers(manifest: dict[str, Any]) -> None:
    for matcher in manifest.get("dhcp", []):
        assert set(matcher) <= {"macaddress", "hostname", "registered_devices"}, matcher
        if "macaddress" in matcher:
            mac = matcher["macaddress"]
            assert mac == mac.upper() and "*" in mac, mac
            assert re.fullmatch(r"[0-9A-F]{1,12}\*?", mac), mac
        if "hostname" in matcher:
            assert matcher["hostname"] == matcher["hostname"].lower()
    for matcher in manifest.get("zeroconf", []):
        if isinstance(matcher, str):
            assert re.fullmatch(r"_[a-z0-9-]+\._(tcp|udp)\.local\.", matcher), matcher
        else:
            assert "type" in matcher, matcher
            assert re.fullmatch(r"_[a-z0-9-]+\._(tcp|udp)\.local\.", matcher["type"]), matcher
            assert set(matcher) <= {"type", "name", "properties"}, matcher


DISCOVERY_SOURCES = ("dhcp", "zeroconf", "ssdp", "usb", "bluetooth", "homekit", "mqtt")


def flow_handler() -> Any:
    """The config flow class Home Assistant uses for the domain."""
    from homeassistant.config_entries import HANDLERS

    importlib.import_module("custom_components.raritan_pdu.config_flow")
    return HANDLERS[DOMAIN]


def overrides_step(handler: Any, step: str) -> bool:
    """Whether the flow implements the step itself (ConfigFlow has defaults for discovery)."""
    from homeassistant.config_entries import ConfigFlow

    own = getattr(handler, f"async_step_{step}", None)
    return own is not None and own is not getattr(ConfigFlow, f"async_step_{step}", None)


def test_manifest_matches_the_code(manifest: dict[str, Any]) -> None:
    """A discovery matcher needs its flow step, and a step needs its matcher."""
    handler = flow_handler()
    for source in DISCOVERY_SOURCES:
        has_step = overrides_step(handler, source)
        assert has_step == (source in manifest), f"{source}: step {has_step}, manifest no"


async def test_home_assistant_loads_the_manifest(
    hass: Any, enable_custom_integrations: None, manifest: dict[str, Any]
) -> None:
    """Home Assistant's own loader accepts the package as a custom integration."""
    from homeassistant.loader import async_get_integration

    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert str(integration.version) == manifest["version"]
    assert integration.config_flow is True
    assert integration.iot_class == manifest["iot_class"]


# ------------------------------------------------------------------------------------------------
# hacs.json (HACS action: hacs.json schema)

HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def test_hacs_json() -> None:
    hacs = load_json(REPO / "hacs.json")
    assert set(hacs) <= HACS_KEYS, f"unknown hacs.json keys: {set(hacs) - HACS_KEYS}"
    assert isinstance(hacs["name"], str) and hacs["name"]
    assert hacs["homeassistant"] == "2025.4.0"
    assert AwesomeVersion(hacs["homeassistant"]).strategy == AwesomeVersionStrategy.CALVER
    for key in ("content_in_root", "zip_release", "hide_default_branch", "render_readme"):
        if key in hacs:
            assert isinstance(hacs[key], bool), key
    if hacs.get("zip_release"):
        assert hacs.get("filename", "").endswith(".zip")
    # one integration under custom_components/, the layout HACS expects without content_in_root
    assert not hacs.get("content_in_root")
    assert [p.name for p in (REPO / "custom_components").iterdir() if p.is_dir()] == [DOMAIN]


def test_readme_exists_for_hacs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# ")


# ------------------------------------------------------------------------------------------------
# strings.json and translations (hassfest: script/hassfest/translations.py)

RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_HTML = re.compile(r"<[a-z/][^>]*>", re.IGNORECASE)
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from leaves(value, path)
        else:
            yield path, value


def test_json_files_have_no_duplicate_keys() -> None:
    """A key twice in one object is valid JSON, and the later one silently hides the earlier
    (two merged "number" sections lose one's translations)."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})
        return dict(pairs)

    for path in [*COMPONENT.glob("*.json"), *COMPONENT.glob("translations/*.json")]:
        json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


def test_en_json_equals_strings_json(strings: dict[str, Any]) -> None:
    """translations/en.json is what Home Assistant loads; strings.json is the source."""
    assert load_json(COMPONENT / "translations" / "en.json") == strings


def test_strings_values_follow_hassfest_rules(strings: dict[str, Any]) -> None:
    assert set(strings) <= {
        "title",
        "config",
        "options",
        "issues",
        "exceptions",
        "entity",
        "services",
        "selector",
        "device",
        "entity_component",
        "device_automation",
        "system_health",
    }
    for path, value in leaves(strings):
        assert isinstance(value, str), path
        assert value == value.strip(), f"{path}: leading/trailing spaces"
        assert not RE_HTML.search(value), f"{path}: HTML"
        assert not RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value), f"{path}: '{{placeholder}}'"
        assert not RE_URL.search(value), f"{path}: URL (use a description placeholder)"
        if RE_REFERENCE.search(value):
            assert not RE_COMBINED_REFERENCE.search(value), f"{path}: combined reference"
        for _, field, _, _ in string.Formatter().parse(value):
            if field:
                assert field.isidentifier(), f"{path}: placeholder {field!r}"


def test_translation_keys_are_valid(strings: dict[str, Any]) -> None:
    keys: list[str] = []
    for platform, entities in strings.get("entity", {}).items():
        assert platform in PLATFORMS, platform
        keys += list(entities)
        for key, entity in entities.items():
            assert set(entity) <= {"name", "state", "state_attributes", "unit_of_measurement"}, key
            keys += list(entity.get("state", {}))
    keys += list(strings.get("exceptions", {})) + list(strings.get("issues", {}))
    for key in keys:
        assert RE_TRANSLATION_KEY.match(key), f"invalid translation key {key!r}"
    for key, exc in strings.get("exceptions", {}).items():
        assert set(exc) == {"message"}, key
    for key, issue in strings.get("issues", {}).items():
        assert "title" in issue and ("description" in issue) != ("fix_flow" in issue), key


def test_config_flow_strings(strings: dict[str, Any]) -> None:
    config = strings["config"]
    assert "title" not in config, "config.title was removed from strings.json in HA 0.109"
    for step_id, step in config["step"].items():
        assert set(step) <= {
            "title",
            "description",
            "data",
            "data_description",
            "menu_options",
            "menu_option_descriptions",
            "submit",
            "sections",
        }, step_id
        for key in step.get("data_description", {}):
            assert key in step.get("data", {}), f"{step_id}: data_description {key} not in data"


def test_config_flow_keys_used_in_code_exist(strings: dict[str, Any]) -> None:
    """Every step_id, error and abort reason of config_flow.py has its string."""
    tree = python_sources()["config_flow"]
    resolver = KeyResolver()
    config = strings["config"]
    steps, errors, aborts = set(config["step"]), set(config["error"]), set(config["abort"])

    used_steps = {
        value
        for _, _, values in keyword_values("step_id", modules=["config_flow"])
        for value in values or []
    }
    defined = {
        n.name.removeprefix("async_step_")
        for n in ast.walk(tree)
        if isinstance(n, ast.AsyncFunctionDef) and n.name.startswith("async_step_")
    }
    assert used_steps, "no step_id found: the parser is broken"
    for step in used_steps:
        assert isinstance(step, str) and step in steps, f"step {step} has no strings"
        assert step in defined, f"step {step} shown but no async_step_{step}"

    used_reasons: set[str] = set()
    for _, line, values in keyword_values("reason", modules=["config_flow"]):
        assert values is not None, f"config_flow.py:{line}: unresolvable abort reason"
        used_reasons |= {v for v in values if isinstance(v, str)}
    calls = {
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    if calls & {"_abort_if_unique_id_configured", "_async_abort_entries_match"}:
        used_reasons.add("already_configured")
    if "async_update_reload_and_abort" in calls:
        used_reasons |= {f"{s}_successful" for s in ("reauth", "reconfigure") if s in defined}
    for reason in used_reasons:
        assert reason in aborts, f"abort reason {reason} has no string"

    # errors: values of dicts assigned to (or items set on) names containing "errors"
    used_errors: set[str] = set()
    for scope, node in functions_and_nodes(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            name = target.value if isinstance(target, ast.Subscript) else target
            text = ast.unparse(name)
            if "error" not in text.lower() or not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            assert node.value is not None
            values = resolver.values(node.value, scope)
            if values is not None:
                used_errors |= {v for v in values if isinstance(v, str)}
    assert used_errors, "no config flow error found: the parser is broken"
    for error in used_errors:
        assert error in errors, f"config flow error {error} has no string"


def test_config_flow_form_fields_have_labels(strings: dict[str, Any]) -> None:
    """Every ``vol.Required``/``vol.Optional`` key of config_flow.py has a label in some step."""
    tree = python_sources()["config_flow"]
    resolver = KeyResolver()
    labels = {key for step in strings["config"]["step"].values() for key in step.get("data", {})}
    fields = set()
    for scope, node in functions_and_nodes(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("Required", "Optional")
            and node.args
        ):
            values = resolver.values(node.args[0], scope)
            assert values is not None, f"config_flow.py:{node.lineno}: unresolvable field"
            fields |= {v for v in values if isinstance(v, str)}
    assert fields
    for field in fields:
        assert field in labels, f"form field {field} has no label"


#: Platforms whose descriptions live in more modules than the platform's own (one per feature).
PLATFORM_SECTIONS: dict[str, tuple[str, ...]] = {"number": ("number", "thresholds")}


def entity_descriptions(module: str) -> Iterator[Any]:
    """Every entity description a platform module (and its section modules) defines
    (module-level, or in a dict/tuple)."""
    for name in PLATFORM_SECTIONS.get(module, (module,)):
        section = importlib.import_module(f"custom_components.raritan_pdu.{name}")
        for value in vars(section).values():
            items = value.values() if isinstance(value, dict) else value
            for item in items if isinstance(items, Iterable) and not isinstance(items, str) else []:
                if _is_description(item):
                    yield item
            if _is_description(value):
                yield value


def _is_description(value: Any) -> bool:
    # Home Assistant's FrozenOrThawed descriptions are no instances of EntityDescription.
    return any(cls.__name__ == "EntityDescription" for cls in type(value).__mro__)


def description_translation_keys(module: str) -> dict[str, set[str]]:
    """Translation key -> the states its entities can have, from the description tables."""
    keys: dict[str, set[str]] = {}
    for description in entity_descriptions(module):
        names = getattr(description, "name_keys", None)
        for key in names() if names else {description.translation_key} - {None}:
            keys.setdefault(key, set()).update(getattr(description, "options", None) or ())
    return keys


@pytest.mark.parametrize("module", PLATFORMS)
def test_entity_translations_match_the_descriptions(strings: dict[str, Any], module: str) -> None:
    """strings.json names exactly the entities the description tables can create: no key
    missing, none that no description (on any object kind that has the field) produces, and
    the states of enum entities."""
    if not (COMPONENT / f"{module}.py").exists():
        assert module not in strings.get("entity", {})
        return
    expected = description_translation_keys(module)
    assert expected, f"{module}.py: no entity description found"
    names = strings.get("entity", {}).get(module, {})
    assert sorted(set(expected) - set(names)) == [], f"entity.{module}: missing names"
    assert sorted(set(names) - set(expected)) == [], f"entity.{module}: unused names"
    for key, states in expected.items():
        translated = set(names[key].get("state", {}))
        if module == "binary_sensor":
            assert translated <= {"on", "off"}, key
        else:
            assert translated == states, f"entity.{module}.{key}: states"


def test_field_descriptions_cover_exactly_the_fields_of_the_bindings() -> None:
    """The object kinds of every field description are those whose ``Sensors`` structure has
    the field in the 3.6.0 or the 4.4.1 bindings: the translations need no other."""
    from custom_components.raritan_pdu.binary_sensor import BINARY_SENSOR_DESCRIPTIONS
    from custom_components.raritan_pdu.objects import ObjectKind
    from custom_components.raritan_pdu.sensor import SENSOR_DESCRIPTIONS

    structures = {
        ObjectKind.OUTLET: "Outlet.Sensors",
        ObjectKind.INLET: "Inlet.Sensors",
        ObjectKind.POLE: "Pole",
        ObjectKind.OCP: "OverCurrentProtector.Sensors",
        ObjectKind.UNIT: "Pdu.Sensors",
        ObjectKind.GROUP: "OutletGroup.Sensors",
    }
    fields: dict[ObjectKind, set[str]] = {kind: set() for kind in structures}
    for bindings in BINDINGS:
        found = binding_structures(bindings / "pdumodel" / "__init__.py")
        for kind, name in structures.items():
            fields[kind] |= set(found[name]) - {"label", "line", "nodeId"}
    described = {**SENSOR_DESCRIPTIONS, **BINARY_SENSOR_DESCRIPTIONS}
    for field, description in described.items():
        kinds = {kind for kind, names in fields.items() if field in names}
        assert description.kinds == kinds, field
    # Every field of the bindings has an entity, except the outlet's relay state (the switch).
    every = set().union(*fields.values())
    assert sorted(every - set(described)) == ["outletState"]


BINDINGS = (
    Path(__import__("raritan.rpc", fromlist=["rpc"]).__file__).parent,
    REPO / ".sdk" / "raritan-3.6" / "raritan" / "rpc",
)


def binding_structures(path: Path) -> dict[str, list[str]]:
    """``Class.Inner`` -> ``elements`` of every structure of a generated bindings module."""
    found: dict[str, list[str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                for item in child.body:
                    if (
                        isinstance(item, ast.Assign)
                        and [getattr(t, "id", None) for t in item.targets] == ["elements"]
                    ):
                        found[prefix + child.name] = ast.literal_eval(item.value)
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_exception_and_issue_translations_match_the_code(strings: dict[str, Any]) -> None:
    """``translation_key=`` of raised exceptions and repair issues of every module: each has its
    string in ``exceptions`` / ``issues``, and each string there is used."""
    exceptions = set(strings.get("exceptions", {}))
    issues = set(strings.get("issues", {}))
    exception_classes = {
        "HomeAssistantError",
        "ServiceValidationError",
        "UpdateFailed",
        "ConfigEntryNotReady",
        "ConfigEntryAuthFailed",
        "ConfigEntryError",
        "IntegrationError",
        "Unauthorized",
    }
    for keys, calls in ((exceptions, exception_classes), (issues, {"async_create_issue"})):
        used = keyword_values("translation_key", call_names=calls)
        # The integration raises translated exceptions; it may create no repair issue at all.
        assert used or calls != exception_classes, "no translation key found: the parser is broken"
        found: list[str | re.Pattern[str]] = []
        for module, line, values in used:
            assert values is not None, f"{module}.py:{line}: unresolvable translation key"
            for value in values:
                assert matches(value, keys), f"{module}.py:{line}: key {value!r} has no string"
            found += values
        unused = [key for key in keys if not any(matches(value, {key}) for value in found)]
        assert unused == [], f"strings.json keys no code raises: {unused}"


def test_icons_json_refers_to_existing_keys(strings: dict[str, Any]) -> None:
    path = COMPONENT / "icons.json"
    if not path.exists():
        pytest.skip("no icons.json")
    icons = load_json(path)
    assert set(icons) <= {"entity", "services"}, set(icons)
    for platform, entities in icons.get("entity", {}).items():
        known = set(strings.get("entity", {}).get(platform, {}))
        for key, icon in entities.items():
            assert key in known, f"icons.json entity.{platform}.{key} has no translation key"
            assert set(icon) <= {"default", "state", "range"}, key
            assert "default" in icon, f"{platform}.{key}: a default icon is required"
            for _, mdi in leaves(icon):
                assert re.fullmatch(r"mdi:[a-z0-9-]+", mdi), f"{platform}.{key}: {mdi}"
            states = set(strings["entity"][platform][key].get("state", {}))
            if platform not in ("binary_sensor", "switch", "lock") and states:
                assert set(icon.get("state", {})) <= states, f"{platform}.{key}: unknown state"
    services_yaml = COMPONENT / "services.yaml"
    services = yaml.safe_load(services_yaml.read_text()) if services_yaml.exists() else {}
    assert set(icons.get("services", {})) == set(services or {})


def test_services_yaml_has_strings(strings: dict[str, Any]) -> None:
    path = COMPONENT / "services.yaml"
    if not path.exists():
        assert "services" not in strings
        return
    services = yaml.safe_load(path.read_text()) or {}
    for service, spec in services.items():
        assert service in strings.get("services", {}), service
        for field in (spec or {}).get("fields", {}):
            assert field in strings["services"][service].get("fields", {}), (service, field)


def test_services_strings_match_services_yaml_exactly(strings: dict[str, Any]) -> None:
    """Every action and field of services.yaml is translated and nothing else is; the options
    of a select with a ``translation_key`` are translated under ``selector``, exactly."""
    services = yaml.safe_load((COMPONENT / "services.yaml").read_text()) or {}
    translated = strings.get("services", {})
    assert set(translated) == set(services)
    selectors = strings.get("selector", {})
    used: set[str] = set()
    for service, spec in services.items():
        fields = (spec or {}).get("fields", {})
        assert set(translated[service].get("fields", {})) == set(fields), service
        assert translated[service].get("name") and translated[service].get("description")
        for field, field_spec in fields.items():
            select = (field_spec.get("selector") or {}).get("select") or {}
            key = select.get("translation_key")
            if key is not None:
                used.add(key)
                options = set(selectors.get(key, {}).get("options", {}))
                assert options == {str(o) for o in select["options"]}, (service, field)
        # Target selectors are filtered to this integration.
        for target in (spec.get("target") or {}).values():
            assert target.get("integration") == DOMAIN, service
    assert set(selectors) == used


def test_config_schema_with_async_setup() -> None:
    """hassfest: an integration with ``async_setup`` must define ``CONFIG_SCHEMA``."""
    tree = python_sources()["__init__"]
    names = {n.name for n in tree.body if isinstance(n, ast.AsyncFunctionDef | ast.FunctionDef)}
    assigned = {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    if "async_setup" in names or "setup" in names:
        assert "CONFIG_SCHEMA" in assigned


# ------------------------------------------------------------------------------------------------
# Every entity the integration creates has a translated name (catches computed keys)


def pdu_entry(emu: Any) -> Any:
    """A config entry of the emulator (plain HTTP), as the config flow creates it."""
    from homeassistant.helpers.device_registry import format_mac
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=emu.unit(0).serial,
        data={
            "host": emu.host,
            "port": emu.port,
            "ssl": False,
            "verify_ssl": True,
            "fingerprint": None,
            "username": emu.config.username,
            "password": emu.config.password,
            "mac": format_mac(emu.unit(0).mac),
        },
    )


async def test_every_registered_entity_has_a_translation(
    hass: Any, enable_custom_integrations: None, emulator_factory: Any, strings: dict[str, Any]
) -> None:
    from homeassistant.helpers import entity_registry as er

    emu = await emulator_factory(outlets=4, link_units=1, peripherals=11, inlet_phases=3, tls=False)
    entry = pdu_entry(emu)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert len(entries) > 50
    entity_strings = strings["entity"]
    missing = sorted(
        f"{e.domain}.{e.translation_key} ({e.entity_id})"
        for e in entries
        if e.translation_key is None or e.translation_key not in entity_strings.get(e.domain, {})
    )
    assert not missing, f"entities without a translation: {missing}"
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


# ------------------------------------------------------------------------------------------------
# Brand images (shown for custom integrations by Home Assistant >= 2026.3)


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("icon.png", lambda w, h: (w, h) == (256, 256)),
        ("icon@2x.png", lambda w, h: (w, h) == (512, 512)),
        ("logo.png", lambda w, h: 128 <= min(w, h) <= 256 and h <= 512),
        ("logo@2x.png", lambda w, h: 256 <= min(w, h) <= 512 and h <= 512),
    ],
)
def test_brand_images(name: str, check: Any) -> None:
    path = COMPONENT / "brand" / name
    assert path.exists(), f"{path} missing (scripts/make_brand.py draws it)"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert check(*image.size), f"{name}: {image.size}"
        assert image.mode == "RGBA", "brand images need a transparent background"
        assert image.getpixel((0, 0))[3] == 0, "the corner should be transparent"
        assert image.getbbox() is not None


# ------------------------------------------------------------------------------------------------
# quality_scale.yaml (hassfest: script/hassfest/quality_scale.py)

#: The rules of the Integration Quality Scale, as listed in Home Assistant's
#: script/hassfest/quality_scale.py (ALL_RULES) - the newest list, including docs-conditions and
#: docs-triggers.
QUALITY_SCALE_RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}


@pytest.fixture(scope="module")
def quality_scale() -> dict[str, Any]:
    return dict(yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text()))


def test_quality_scale_lists_every_rule(quality_scale: dict[str, Any]) -> None:
    assert set(quality_scale) == {"rules"}
    rules = quality_scale["rules"]
    every = [rule for tier in QUALITY_SCALE_RULES.values() for rule in tier]
    assert len(every) == len(set(every)) == 54
    assert sorted(set(every) - set(rules)) == [], "rules missing from quality_scale.yaml"
    assert sorted(set(rules) - set(every)) == [], "unknown rules in quality_scale.yaml"


def test_quality_scale_statuses(quality_scale: dict[str, Any]) -> None:
    """hassfest's schema: ``done``/``todo`` or {status, comment}; ``exempt`` needs a comment.
    We ask for more: every rule has a comment saying why it is met (or not)."""
    for rule, value in quality_scale["rules"].items():
        assert isinstance(value, dict), f"{rule}: give status and comment"
        assert set(value) == {"status", "comment"}, rule
        assert value["status"] in ("done", "exempt", "todo"), rule
        assert isinstance(value["comment"], str) and len(value["comment"].strip()) > 10, rule


#: Where the test suite shows that a rule claimed ``done`` holds (checked to exist below).
CLAIM_TESTS: dict[str, tuple[str, ...]] = {
    "action-exceptions": (
        "integration/test_switch.py::test_device_error_codes",
        "integration/test_switch.py::test_missing_privilege",
        "integration/test_switch.py::test_connection_error",
        "integration/test_switch.py::test_rejected_credentials_during_a_command_start_reauth",
        "integration/test_lock.py::test_door_lock_not_available",
    ),
    "appropriate-polling": ("integration/test_coordinator.py::test_one_request_per_poll",),
    "config-entry-unloading": ("integration/test_init.py::test_setup_and_unload",),
    "devices": ("integration/test_devices.py::test_devices",),
    "diagnostics": ("integration/test_diagnostics.py::test_diagnostics_redacted",),
    "dynamic-devices": (
        "integration/test_entities_topology.py::test_new_link_unit_gets_entities",
        "integration/test_devices.py::test_unplugged_package_is_removed",
    ),
    "entity-disabled-by-default": (
        "integration/test_sensor.py::test_disabled_by_default_and_enabling_costs_one_sub_request",
    ),
    "entity-translations": (
        "test_packaging.py::test_entity_translations_match_the_descriptions",
        "test_packaging.py::test_every_registered_entity_has_a_translation",
    ),
    "entity-unavailable": (
        "integration/test_coordinator.py::test_poll_failure_makes_entities_unavailable",
        "integration/test_coordinator.py::test_link_unit_failure_only_affects_its_entities",
    ),
    "entity-unique-id": (
        "integration/test_entities_topology.py::test_unique_ids_and_entity_ids_are_pinned",
    ),
    "exception-translations": (
        "test_packaging.py::test_exception_and_issue_translations_match_the_code",
    ),
    "icon-translations": ("test_packaging.py::test_icons_json_refers_to_existing_keys",),
    "reauthentication-flow": (
        "integration/test_init.py::test_setup_invalid_auth_starts_reauth",
        "integration/test_coordinator.py::test_authentication_failure_while_polling_starts_reauth",
        "integration/test_switch.py::test_rejected_credentials_during_a_command_start_reauth",
    ),
    "stale-devices": (
        "integration/test_devices.py::test_unplugged_package_is_removed",
        "integration/test_devices.py::test_released_link_unit_is_removed",
        "integration/test_devices.py::test_stale_devices_removed_at_setup",
        "integration/test_devices.py::test_remove_devices_by_hand",
    ),
    "test-before-setup": (
        "integration/test_init.py::test_setup_not_ready_until_reachable",
        "integration/test_init.py::test_setup_invalid_auth_starts_reauth",
    ),
}


def test_quality_scale_claims_have_tests(quality_scale: dict[str, Any]) -> None:
    """Every rule claimed ``done`` that a test can show is shown by the tests named above."""
    rules = quality_scale["rules"]
    for rule, tests in CLAIM_TESTS.items():
        assert rule in rules, rule
        if rules[rule]["status"] != "done":
            continue
        for test in tests:
            path, name = test.split("::")
            tree = ast.parse((REPO / "tests" / path).read_text(encoding="utf-8"))
            defined = {
                node.name
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            assert name in defined, f"{rule}: {test} does not exist"


def test_quality_scale_file_claims(
    quality_scale: dict[str, Any], manifest: dict[str, Any]
) -> None:
    """The claims that are about files."""
    rules = {k: v["status"] for k, v in quality_scale["rules"].items()}
    if rules["integration-owner"] == "done":
        assert manifest["codeowners"], "integration-owner needs a code owner in manifest.json"
    if rules["icon-translations"] == "done":
        assert (COMPONENT / "icons.json").exists()
    if rules["brands"] == "done":
        assert (COMPONENT / "brand" / "icon.png").exists()
    if rules["strict-typing"] == "done":
        assert (COMPONENT / "xerus" / "py.typed").exists()
        assert "strict = true" in (REPO / "pyproject.toml").read_text()
    if rules["parallel-updates"] == "done":
        for platform in PLATFORMS:
            if (COMPONENT / f"{platform}.py").exists():
                module = importlib.import_module(f"custom_components.raritan_pdu.{platform}")
                assert isinstance(getattr(module, "PARALLEL_UPDATES", None), int), platform


async def test_quality_scale_claims_hold(
    hass: Any,
    enable_custom_integrations: None,
    emulator_factory: Any,
    quality_scale: dict[str, Any],
    manifest: dict[str, Any],
    strings: dict[str, Any],
) -> None:
    """The claims about the config flow and the setup, seen by using them on an emulator."""
    from homeassistant.components.diagnostics import REDACTED
    from homeassistant.config_entries import ConfigEntryState
    from homeassistant.data_entry_flow import FlowResultType
    from homeassistant.helpers.aiohttp_client import async_get_clientsession
    from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

    from custom_components.raritan_pdu.coordinator import RaritanCoordinator
    from custom_components.raritan_pdu.diagnostics import async_get_config_entry_diagnostics

    rules = {k: v["status"] for k, v in quality_scale["rules"].items()}
    emu = await emulator_factory(link_units=0, peripherals=0, tls=False)
    entry = pdu_entry(emu)
    entry.add_to_hass(hass)
    handler = flow_handler()
    flows = hass.config_entries.flow

    if rules["discovery"] == "done":
        sources = [source for source in DISCOVERY_SOURCES if source in manifest]
        assert sources, "discovery needs a matcher in manifest.json"
        assert all(overrides_step(handler, source) for source in sources)
    if rules["discovery-update-info"] == "done":
        mac = emu.unit(0).mac.replace(":", "").lower()
        info = DhcpServiceInfo(ip="127.0.0.9", hostname="pdu", macaddress=mac)
        result = await flows.async_init(DOMAIN, context={"source": "dhcp"}, data=info)
        assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "already_configured")
        assert entry.data["host"] == "127.0.0.9"
        hass.config_entries.async_update_entry(entry, data={**entry.data, "host": emu.host})

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    if rules["config-flow"] == "done":
        assert manifest["config_flow"] is True
        result = await flows.async_init(DOMAIN, context={"source": "user"})
        assert result["type"] is FlowResultType.FORM
        step = strings["config"]["step"][result["step_id"]]
        fields = {str(key) for key in result["data_schema"].schema}
        assert fields and fields <= set(step.get("data_description", {})), fields
        if rules["unique-config-entry"] == "done":
            # The same PDU again.
            answers = {
                "host": emu.host,
                "port": emu.port,
                "ssl": False,
                "verify_ssl": False,
                "username": emu.config.username,
                "password": emu.config.password,
            }
            user_input = {key: value for key, value in answers.items() if key in fields}
            result = await flows.async_configure(result["flow_id"], user_input)
            assert (result["type"], result["reason"]) == (
                FlowResultType.ABORT,
                "already_configured",
            )
    for rule, start in (
        ("reauthentication-flow", entry.start_reauth_flow),
        ("reconfiguration-flow", entry.start_reconfigure_flow),
    ):
        if rules[rule] == "done":
            result = await start(hass)
            assert result["type"] is FlowResultType.FORM, rule
            assert not result.get("errors"), rule
            flows.async_abort(result["flow_id"])
    if rules["runtime-data"] == "done":
        assert isinstance(entry.runtime_data, RaritanCoordinator)
    if rules["inject-websession"] == "done":
        session = entry.runtime_data.client.session
        assert session is async_get_clientsession(hass, verify_ssl=False)
    if rules["diagnostics"] == "done":
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        assert diagnostics["entry"]["data"]["password"] == REDACTED
    if rules["config-entry-unloading"] == "done":
        assert await hass.config_entries.async_unload(entry.entry_id)
        assert entry.state is ConfigEntryState.NOT_LOADED
        assert emu.stats()["sessions_active"] == 0
