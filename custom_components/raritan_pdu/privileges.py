"""What the entry's PDU account may do: controls it cannot use are left out, and one repair
issue says so.

A control entity names the privilege it needs in ``required_privilege`` (class attribute or
set per entity; none: any account may use it). A read-only stand-in for a control (the outlet's
on/off binary sensor for its switch) names it in ``only_without_privilege``: it exists only
while the account lacks it. The platforms' topology builds go through
:func:`helpers.async_setup_topology_entities`, which asks :meth:`AccountAccess.permits` per
entity: a control the account cannot use is not added, and its registry entry (from a time the
account could) is removed, so that it does not linger as unavailable. The privileges come from
the library (``XerusClient.privileges``: read with the setup's discovery or its stored-topology
check, again with every rediscovery); unknown privileges allow everything, as before. When a
rediscovery finds a privilege granted again, the next topology pass adds its controls and the
issue goes away; a privilege taken away while the entry runs takes effect at the next reload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.const import CONF_USERNAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity import Entity

from .const import DOMAIN, LOGGER
from .xerus import Privilege, Privileges, XerusClient

if TYPE_CHECKING:
    from .coordinator import RaritanConfigEntry

#: The privileges controls need, in the order the issue names them, with the PDU role
#: editor's names.
PRIVILEGE_LABELS: Final[dict[str, str]] = {
    Privilege.SWITCH_OUTLET: "Switch Outlet",
    Privilege.SWITCH_ACTUATOR: "Switch Actuator",
    Privilege.CHANGE_PDU_CONFIGURATION: (
        "Change PDU, Inlet, Outlet & Overcurrent Protector Configuration"
    ),
    Privilege.CHANGE_PERIPHERAL_CONFIGURATION: "Change Peripheral Device Configuration",
}


class AccountAccess:
    """The account's privileges, and those the controls of the topology need."""

    def __init__(self, client: XerusClient) -> None:
        self._client = client
        #: Privileges some control of the topology needs (granted or not).
        self.wanted: set[str] = set()
        #: Unique ids of the controls left out (by platform domain).
        self.left_out: dict[str, set[str]] = {}

    @property
    def privileges(self) -> Privileges:
        """As the library last read them (unknown: everything is allowed)."""
        return self._client.privileges

    def permits(self, entity: Entity) -> bool:
        """Whether the account may use ``entity`` (every entity without a privilege); a
        stand-in (``only_without_privilege``) only while the account lacks the privilege."""
        instead_of: str | None = getattr(entity, "only_without_privilege", None)
        if instead_of is not None:
            return not self.privileges.allows(instead_of)
        privilege: str | None = getattr(entity, "required_privilege", None)
        if privilege is None:
            return True
        self.wanted.add(privilege)
        return self.privileges.allows(privilege)

    @property
    def missing(self) -> list[str]:
        """The privileges controls need and the account lacks, in the issue's order."""
        order = list(PRIVILEGE_LABELS)
        wanted = sorted(self.wanted, key=lambda p: order.index(p) if p in order else len(order))
        return self.privileges.missing(wanted)


@callback
def async_remove_left_out(
    hass: HomeAssistant, entry: RaritanConfigEntry, domain: str, unique_ids: list[str]
) -> None:
    """Remove the registry entries of controls the account cannot use (left by a time when it
    could): they would stay unavailable forever. They come back, as new, once it can. The same
    for read-only stand-ins once the account has the control they stand in for."""
    entry.runtime_data.access.left_out.setdefault(domain, set()).update(unique_ids)
    registry = er.async_get(hass)
    for unique_id in unique_ids:
        entity_id = registry.async_get_entity_id(domain, DOMAIN, unique_id)
        if entity_id is None:
            continue
        registered = registry.async_get(entity_id)
        if registered is not None and registered.config_entry_id == entry.entry_id:
            LOGGER.debug("Removing %s: the PDU account may not use it", entity_id)
            registry.async_remove(entity_id)


def _issue_id(entry: RaritanConfigEntry) -> str:
    return f"missing_privileges_{entry.entry_id}"


@callback
def async_update_privileges_issue(hass: HomeAssistant, entry: RaritanConfigEntry) -> None:
    """One repair issue while controls are left out for missing privileges; gone when none
    are (after every topology pass, so a rediscovery that finds them granted removes it)."""
    missing = entry.runtime_data.access.missing
    if not missing:
        async_delete_privileges_issue(hass, entry)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="missing_privileges",
        translation_placeholders={
            "username": entry.data[CONF_USERNAME],
            "name": entry.title,
            "privileges": ", ".join(f"*{PRIVILEGE_LABELS.get(p, p)}*" for p in missing),
        },
    )


@callback
def async_delete_privileges_issue(hass: HomeAssistant, entry: RaritanConfigEntry) -> None:
    """The entry is unloaded or removed: its issue goes (the next setup raises it again)."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))


def privileges_diagnostics(access: AccountAccess) -> dict[str, object]:
    """What diagnostics show: the privileges read, what is missing and what was left out
    (controls, and read-only stand-ins the account does not need: it has their control)."""
    privileges = access.privileges
    return {
        "known": privileges.known,
        "granted": None if privileges.granted is None else sorted(privileges.granted),
        "unknown_reason": privileges.reason or None,
        "wanted": sorted(access.wanted),
        "missing": access.missing,
        "left_out": {domain: len(uids) for domain, uids in sorted(access.left_out.items())},
    }
