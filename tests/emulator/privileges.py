"""User accounts, roles and privileges: who may call what (the ``/auth`` objects: ``usermgmt.py``).

Every account has one role; a role grants privileges (``usermgmt.Role.Privilege``: a name and
string arguments). ``adminPrivilege`` grants everything. The privilege a write method needs is
:func:`required_privilege` (the names of the firmware's role editor; how a device spells the
ones not named in the reference is [UNCERTAIN], see the README). A call the account lacks the
privilege for answers JSON-RPC error -32001 "Insufficient privileges to perform request."

Not a privilege (every account has it): reading. Setting up: ``EmulatorConfig.username``
has the Admin role, ``readonly_users`` the Viewer role, ``accounts`` a role of their own;
``emu.accounts.set_privileges(user, [...])`` changes a role at runtime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ADMIN = "adminPrivilege"
SWITCH_OUTLET = "switchOutlet"
SWITCH_ACTUATOR = "switchActuator"
CHANGE_PDU_CONFIG = "changePduConfiguration"
CHANGE_PERIPHERAL_CONFIG = "changeExternalSensorsConfiguration"
PERFORM_RESET = "performReset"
VIEW_EVENT_LOG = "viewLocalEventLog"

#: What the role editor offers (``RoleManager.getAllPrivileges``): name -> description.
PRIVILEGE_DESCRIPTIONS: dict[str, str] = {
    ADMIN: "Administrator Privileges",
    SWITCH_OUTLET: "Switch Outlet",
    SWITCH_ACTUATOR: "Switch Actuator",
    CHANGE_PDU_CONFIG: "Change PDU, Inlet, Outlet & Overcurrent Protector Configuration",
    CHANGE_PERIPHERAL_CONFIG: "Change Peripheral Device Configuration",
    PERFORM_RESET: "Perform Reset",
    VIEW_EVENT_LOG: "View Local Event Log",
}

#: Presets for ``--user NAME:PASSWORD:PRESET`` and ``EmulatorConfig.accounts``.
PRESETS: dict[str, tuple[str, ...]] = {
    "admin": (ADMIN,),
    "ro": (VIEW_EVENT_LOG,),
    "operator": (SWITCH_OUTLET, SWITCH_ACTUATOR, VIEW_EVENT_LOG),
}

_SWITCHING = frozenset(
    {
        "setPowerState",
        "cyclePowerState",
        "setAllOutletPowerStates",
        "cycleAllOutletPowerStates",
        "setMultipleOutletPowerStates",
        "cycleMultipleOutletPowerStates",
        "setLoadSheddingActive",
        "cancelOutletSequence",
    }
)
_CONFIGURING = frozenset(
    {"setSettings", "setThresholds", "setEnabled", "createGroup", "deleteGroup", "setType"}
)


def required_privilege(method: str, *, peripheral: bool = False) -> str | None:
    """The privilege a method needs (``None``: any account may call it).

    ``peripheral``: the object is an external sensor (package or slot), configured with the
    peripheral device configuration privilege instead of the PDU's.
    """
    if method in _SWITCHING:
        return SWITCH_OUTLET
    if method == "setState":
        return SWITCH_ACTUATOR
    if method in _CONFIGURING:
        return CHANGE_PERIPHERAL_CONFIG if peripheral else CHANGE_PDU_CONFIG
    if method == "resetValue":
        return ADMIN
    if method == "reboot":
        return PERFORM_RESET
    return None


def parse_privileges(items: Iterable[str]) -> tuple[dict[str, Any], ...]:
    """``"switchOutlet"`` / ``"switchOutlet:1:3"`` (name and arguments) or a preset name."""
    out: list[dict[str, Any]] = []
    for item in items:
        if item in PRESETS:
            out.extend(parse_privileges(PRESETS[item]))
            continue
        name, *args = item.split(":")
        out.append({"name": name, "args": args})
    return tuple(out)


@dataclass
class Account:
    """One user account; ``role`` names its role in :class:`Accounts`."""

    password: str
    role: str


@dataclass
class Role:
    description: str
    privileges: tuple[dict[str, Any], ...]
    locked: bool = False
    role_id: int = 0


@dataclass
class Accounts:
    """The accounts and roles of the device (test API: :meth:`set_privileges`)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        admin: tuple[str, str],
        readonly: Mapping[str, str],
        custom: Mapping[str, tuple[str, Iterable[str]]],
    ) -> Accounts:
        accounts = cls()
        accounts.add_role("Admin", "System created role with all privileges", (ADMIN,), True)
        accounts.add_role("Viewer", "View only", PRESETS["ro"])
        accounts.accounts[admin[0]] = Account(admin[1], "Admin")
        for user, password in readonly.items():
            accounts.accounts[user] = Account(password, "Viewer")
        for user, (password, privileges) in custom.items():
            accounts.add_role(f"Role of {user}", "", tuple(privileges))
            accounts.accounts[user] = Account(password, f"Role of {user}")
        return accounts

    def add_role(
        self, name: str, description: str, privileges: Iterable[str], locked: bool = False
    ) -> None:
        role_id = max((r.role_id for r in self.roles.values()), default=0) + 1
        self.roles[name] = Role(description, parse_privileges(privileges), locked, role_id)

    def password(self, user: str) -> str | None:
        account = self.accounts.get(user)
        return None if account is None else account.password

    def set_password(self, user: str, password: str) -> None:
        """Change (or create, with the Admin role) ``user``'s password."""
        if user in self.accounts:
            self.accounts[user].password = password
        else:
            self.accounts[user] = Account(password, "Admin")

    def privileges(self, user: str) -> tuple[dict[str, Any], ...]:
        """The privileges ``user``'s role grants (none for an unknown user)."""
        account = self.accounts.get(user)
        return () if account is None else self.roles[account.role].privileges

    def granted(self, user: str) -> frozenset[str]:
        return frozenset(p["name"] for p in self.privileges(user))

    def set_privileges(self, user: str, privileges: Iterable[str]) -> None:
        """Test API: give ``user`` a role of its own with exactly ``privileges``."""
        name = f"Role of {user}"
        if name in self.roles:
            self.roles[name].privileges = parse_privileges(privileges)
        else:
            self.add_role(name, "", privileges)
        self.accounts[user].role = name


def allows(granted: frozenset[str], privilege: str | None) -> bool:
    return privilege is None or ADMIN in granted or privilege in granted
