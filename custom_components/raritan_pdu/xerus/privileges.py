"""What the account may do: the privileges of its roles, as the device reports them.

``/auth/currentUser`` (``usermgmt.User``, an alias of the logged-in account) answers
``getInfoAndPrivileges`` with ``{"info": UserInfo, "privileges": [{"name", "args"}, ...]}``
(the privileges every role of the account grants; User 1.0.2 in 3.6 and 2.0.0 in 4.4.1). One
sub-request, read along with a discovery and with the first topology check of a client
(``XerusClient.privileges``), never in a request of its own.

Tolerant by design (how firmware spells every privilege, and whether an account may always read
its own, is not documented): a read that fails (no such interface, a refusal, a malformed
answer) gives :meth:`Privileges.unknown`, which allows everything (a refused command then
fails as it always did). ``adminPrivilege`` allows everything. A privilege's arguments (the
role editor can limit *Switch Outlet* to some outlets) are kept, not interpreted: a granted
privilege allows every object.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from .exceptions import XerusError

_LOGGER = logging.getLogger(__name__)

#: ``usermgmt.User`` of the account the request is authenticated as.
RID_CURRENT_USER: Final = "/auth/currentUser"
METHOD_PRIVILEGES: Final = "getInfoAndPrivileges"


class Privilege(StrEnum):
    """Privilege names of the role editor that features need (``usermgmt.Role.Privilege``)."""

    ADMIN = "adminPrivilege"
    SWITCH_OUTLET = "switchOutlet"
    SWITCH_ACTUATOR = "switchActuator"
    CHANGE_PDU_CONFIGURATION = "changePduConfiguration"
    CHANGE_PERIPHERAL_CONFIGURATION = "changeExternalSensorsConfiguration"


@dataclass(frozen=True, slots=True)
class Privileges:
    """The privileges granted to the account; ``granted`` ``None``: unknown (``reason`` says
    why), which allows everything."""

    granted: frozenset[str] | None
    reason: str = ""

    @classmethod
    def unknown(cls, reason: str) -> Privileges:
        return cls(None, reason)

    @property
    def known(self) -> bool:
        return self.granted is not None

    def allows(self, privilege: str) -> bool:
        """Whether the account has ``privilege`` (or everything: admin, or not known)."""
        granted = self.granted
        return granted is None or Privilege.ADMIN in granted or privilege in granted

    def missing(self, wanted: Iterable[str]) -> list[str]:
        """The privileges of ``wanted`` the account lacks, in order, without repeats."""
        return [p for p in dict.fromkeys(wanted) if not self.allows(p)]

    @classmethod
    def from_json(cls, value: Any) -> Privileges:
        """Decode the result of ``getInfoAndPrivileges`` (unknown when it is malformed)."""
        items = value.get("privileges") if isinstance(value, dict) else None
        if not isinstance(items, list):
            return cls.unknown("malformed answer of getInfoAndPrivileges")
        names = {
            item["name"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("name"), str)
        }
        return cls(frozenset(names))

    @classmethod
    def from_result(cls, value: Any) -> Privileges:
        """A sub-request's value, or its ``XerusError`` (then unknown: logged at debug)."""
        if isinstance(value, XerusError):
            _LOGGER.debug("the account's privileges cannot be read (%s): assuming all", value)
            return cls.unknown(str(value) or type(value).__name__)
        privileges = cls.from_json(value)
        if not privileges.known:
            _LOGGER.debug("%s: assuming all privileges", privileges.reason)
        return privileges


__all__ = ["METHOD_PRIVILEGES", "RID_CURRENT_USER", "Privilege", "Privileges"]
