"""The account's privileges: read along with a discovery and a client's first topology check
(no request of their own), tolerant of firmware that does not tell them."""

from __future__ import annotations

from typing import Any

from custom_components.raritan_pdu.xerus import Privilege, Privileges, ReadingPlan
from custom_components.raritan_pdu.xerus.exceptions import XerusNotFoundError
from tests.xerus.conftest import ClientFactory


async def test_discovery_reads_what_each_account_may_do(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """Admin may do everything; a view-only account may switch nothing; a role of its own
    allows exactly what it grants. No request is added to the discovery."""
    emu = await emulator_factory(
        outlets=2,
        peripherals=0,
        readonly_users={"viewer": "view-pw"},
        accounts={"switcher": ("switch-pw", ("switchOutlet:all",))},
        event_service=False,
    )
    admin = client_factory(emu, use_session_token=False)
    assert not admin.privileges.known  # nothing read yet: everything allowed
    assert admin.privileges.allows(Privilege.SWITCH_OUTLET)
    emu.reset_stats()
    await admin.discover()
    assert emu.stats()["http_requests"] == 2  # as without the privileges (module docstring)
    assert admin.privileges.granted == {"adminPrivilege"}
    assert admin.privileges.missing(list(Privilege)) == []

    viewer = client_factory(emu, username="viewer", password="view-pw")
    await viewer.discover()
    assert viewer.privileges.known
    assert viewer.privileges.missing([Privilege.SWITCH_OUTLET, Privilege.SWITCH_OUTLET]) == [
        "switchOutlet"
    ]

    switcher = client_factory(emu, username="switcher", password="switch-pw")
    await switcher.discover()
    assert switcher.privileges.allows(Privilege.SWITCH_OUTLET)
    assert not switcher.privileges.allows(Privilege.CHANGE_PDU_CONFIGURATION)


async def test_the_first_check_reads_them_and_later_ones_do_not(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, readonly_users={"viewer": "view-pw"})
    topology = await client_factory(emu).discover()
    client = client_factory(emu, username="viewer", password="view-pw", use_session_token=False)
    plan = ReadingPlan.for_topology(topology)
    emu.reset_stats()
    await client.poll(plan, check=topology)
    assert emu.stats()["http_requests"] == 1
    assert emu.stats()["methods"].get("usermgmt.User.getInfoAndPrivileges") == 1
    assert not client.privileges.allows(Privilege.SWITCH_OUTLET)
    emu.accounts.set_privileges("viewer", ["switchOutlet"])
    await client.poll(plan, check=topology)
    assert emu.stats()["methods"].get("usermgmt.User.getInfoAndPrivileges") == 1  # read once
    await client.discover()  # a discovery reads them again
    assert client.privileges.allows(Privilege.SWITCH_OUTLET)


async def test_firmware_that_does_not_tell_allows_everything(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """No /auth/currentUser (404): unknown privileges allow everything, as before."""
    emu = await emulator_factory(outlets=2, auth_interface=False)
    client = client_factory(emu)
    topology = await client.discover()
    assert topology.primary.outlets
    assert not client.privileges.known
    assert "not found" in client.privileges.reason
    assert client.privileges.allows(Privilege.SWITCH_OUTLET)


def test_a_failed_or_malformed_read_is_unknown() -> None:
    assert not Privileges.from_result(XerusNotFoundError()).known
    for value in (None, [], {"privileges": "all"}, {"info": {}}):
        assert not Privileges.from_result(value).known
    odd = Privileges.from_json({"privileges": [{"name": "switchOutlet"}, {"args": []}, 7]})
    assert odd.granted == {"switchOutlet"}
    assert Privileges(frozenset({"adminPrivilege"})).allows("anything")
