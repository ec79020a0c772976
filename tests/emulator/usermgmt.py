"""``usermgmt`` objects: ``/auth/currentUser`` (``usermgmt.User`` of the caller) and ``/auth/role``
(``usermgmt.RoleManager``), answering from the accounts of ``privileges.Accounts``.

``/auth/currentUser``: ``getInfo``, ``getInfoAndPrivileges`` (``{info, privileges}``: the
privileges of the caller's roles), ``getCapabilities``. ``/auth/role``: ``getAllRoleNames``,
``getAllRoles``, ``getAllPrivileges``, ``getInfo``. Only on the primary; with
``EmulatorConfig.auth_interface`` false both answer HTTP 404 (firmware without them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import RpcObject, ret
from .privileges import PRIVILEGE_DESCRIPTIONS, Accounts

if TYPE_CHECKING:
    from .server import CallContext


class CurrentUser(RpcObject):
    """``/auth/currentUser``: the ``usermgmt.User`` of whoever calls."""

    iface = "User"

    def _accounts(self) -> Accounts:
        accounts: Accounts = self.emu.accounts
        return accounts

    def _info(self, user: str) -> dict[str, Any]:
        accounts = self._accounts()
        account = accounts.accounts.get(user)
        role_ids = [] if account is None else [accounts.roles[account.role].role_id]
        return {
            "enabled": True,
            "locked": False,
            "blocked": False,
            "needPasswordChange": False,
            "auxInfo": {"fullname": "", "telephone": "", "eMail": ""},
            "snmpV3Settings": {
                "enabled": False,
                "secLevel": 1,
                "authProtocol": 0,
                "usePasswordAsAuthPassphrase": True,
                "haveAuthPassphrase": False,
                "authPassphrase": "",
                "privProtocol": 0,
                "useAuthPassphraseAsPrivPassphrase": True,
                "havePrivPassphrase": False,
                "privPassphrase": "",
            },
            "sshPublicKey": "",
            "preferences": {"temperatureUnit": 0, "lengthUnit": 0, "pressureUnit": 0},
            "roleIds": role_ids,
        }

    def rpc_getInfo(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self._info(ctx.username))

    def rpc_getInfoAndPrivileges(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        privileges = self._accounts().privileges(ctx.username)
        return {
            "info": self._info(ctx.username),
            "privileges": [{"name": q["name"], "args": list(q["args"])} for q in privileges],
        }

    def rpc_getCapabilities(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"canSetPassword": True, "canSetPreferences": True})


class RoleManagerObject(RpcObject):
    """``/auth/role``: the roles and the privileges a role can grant."""

    iface = "RoleManager"

    def _roles(self) -> list[dict[str, Any]]:
        accounts: Accounts = self.emu.accounts
        return [
            {
                "id": role.role_id,
                "name": name,
                "info": {
                    "description": role.description,
                    "locked": role.locked,
                    "privileges": [
                        {"name": q["name"], "args": list(q["args"])} for q in role.privileges
                    ],
                },
            }
            for name, role in accounts.roles.items()
        ]

    @staticmethod
    def _privileges() -> list[dict[str, Any]]:
        return [
            {"name": name, "desc": desc, "args": []}
            for name, desc in PRIVILEGE_DESCRIPTIONS.items()
        ]

    def rpc_getAllRoleNames(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret([role["name"] for role in self._roles()])

    def rpc_getAllRoles(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self._roles())

    def rpc_getAllPrivileges(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret(self._privileges())

    def rpc_getInfo(self, ctx: CallContext, p: dict[str, Any]) -> Any:
        return ret({"privileges": self._privileges(), "roles": self._roles()})
