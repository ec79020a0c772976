"""XerusClient against the PDU emulator: identity, discovery, polling, commands and faults."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from custom_components.raritan_pdu.xerus import (
    BulkCall,
    CascadeRole,
    CascadeStatus,
    LinkUnitStatus,
    OpenClosedState,
    PollResult,
    PowerState,
    ReadingPlan,
    ReadKind,
    ReadTarget,
    SensorKind,
    SensorType,
    Topology,
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusClient,
    XerusConnectionError,
    XerusDeviceError,
    XerusHttpError,
    XerusNotFoundError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
    XerusTimeoutError,
    XerusTlsError,
    fetch_certificate_fingerprint,
)
from custom_components.raritan_pdu.xerus.const import OutletError

from .conftest import ClientFactory

FIRMWARES = ["3.6", "4.4"]
WRONG_FP = ":".join(["00"] * 32)


def _requests(emu: Any) -> int:
    return int(emu.stats()["http_requests"])


# --- identity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_identity(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(firmware=firmware, link_units=1, pdu_name="Rack 7")
    client = client_factory(emu)
    identity = await client.get_identity()
    unit = emu.unit(0)
    assert identity.serial == unit.serial
    assert identity.mac == unit.mac
    assert identity.model == unit.model
    assert identity.name == "Rack 7"
    assert identity.firmware.startswith(firmware)
    assert identity.role is CascadeRole.PRIMARY_UNIT
    assert identity.primary_host is None
    assert identity.pdu_id == 0 and identity.rid == "/model/pdu/0"
    assert identity.has_switchable_outlets
    assert identity.cycle_delay == 10
    assert emu.stats()["bulk_requests"] == 1  # one bulk (+ newSession)


async def test_identity_standalone_without_cascade(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2)
    emu.faults.fail_call(rid="/cascade", statcode=404)
    client = client_factory(emu, use_session_token=False)
    identity = await client.get_identity()
    assert identity.role is CascadeRole.STANDALONE
    topology = await client.discover()
    assert topology.link_units == {} and topology.unavailable == frozenset()


# --- discovery and polling -------------------------------------------------------------------


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_big_stack_discovery_and_poll_request_counts(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    """Primary + 7 link units x 48 outlets + peripherals: <= 5 requests, one poll = 1 request."""
    emu = await emulator_factory(outlets=48, link_units=7, peripherals=11, firmware=firmware)
    client = client_factory(emu)  # fresh client: the newSession request is counted too
    emu.reset_stats()
    topology = await client.discover()
    stats = emu.stats()
    assert stats["http_requests"] <= 5
    assert stats["bulk_requests"] <= 4
    assert len(topology.units) == 8
    assert sorted(topology.link_units) == [2, 3, 4, 5, 6, 7, 8]
    assert all(len(unit.outlets) == 48 for unit in topology.units)
    assert topology.link_status == dict.fromkeys(range(2, 9), LinkUnitStatus.OK)
    assert topology.unavailable == frozenset()
    assert len(topology.primary.peripherals) == 11
    assert all(len(u.peripherals) == 11 for u in topology.units)
    # Each package's model (getDiscoveredPackageInfos) came in the same round trips.
    for unit in topology.units:
        for peripheral in unit.peripherals:
            emulated = emu.unit(unit.pdu_id).peripheral(peripheral.slot_index)
            assert peripheral.package_model == emulated.entry.model, peripheral
    for unit in topology.link_units.values():
        assert unit.identity.role is CascadeRole.LINK_UNIT
        assert unit.identity.serial == emu.unit(unit.pdu_id).serial
    assert len({u.identity.serial for u in topology.units}) == 8

    plan = ReadingPlan.for_topology(topology)
    emu.reset_stats()
    readings = await client.poll(plan)
    assert emu.stats()["http_requests"] == 1
    assert emu.stats()["bulk_subrequests"] == len(plan)
    assert readings.errors == {}
    assert len(readings.outlets) == 8 * 48
    assert len(readings.numeric) + len(readings.states) + len(readings.outlets) + len(
        readings.sequences
    ) == len(plan)
    assert client.max_bulk_size is None


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_poll_with_cascade_status(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    """The link status comes with the readings in one request, typed; its failure is its own."""
    emu = await emulator_factory(outlets=4, link_units=2, firmware=firmware)
    client = client_factory(emu)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    emu.reset_stats()
    result = await client.poll(plan, with_cascade=True)
    assert _requests(emu) == 1
    assert emu.stats()["bulk_subrequests"] == len(plan) + 1
    assert isinstance(result, PollResult)
    assert result.readings.errors == {}
    assert len(result.readings.outlets) == 3 * 4
    assert isinstance(result.cascade, CascadeStatus)
    assert result.cascade.role is CascadeRole.PRIMARY_UNIT
    assert {i: u.status for i, u in result.cascade.link_units.items()} == topology.link_status

    emu.faults.link_unreachable(3)
    result = await client.poll(plan, with_cascade=True)
    assert isinstance(result.cascade, CascadeStatus)
    assert result.cascade.link_units[3].status == LinkUnitStatus.UNREACHABLE
    gone = {t.rid for t in ReadingPlan.for_topology(topology.link_units[3]).targets}
    assert set(result.readings.errors) == gone

    emu.faults.fail_call(rid="/cascade", method="getStatus", rpc_error=(-32603, "busy"))
    result = await client.poll(plan, with_cascade=True)
    assert isinstance(result.cascade, XerusRpcError)
    assert set(result.readings.errors) == gone  # only that sub-request failed


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_topology_content(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(
        outlets=8, peripherals=11, firmware=firmware, inlet_phases=3, non_switchable_outlets=(1,)
    )
    client = client_factory(emu)
    topology = await client.discover()
    unit = topology.primary
    assert topology.units == [unit] and topology.unit(0) is unit and topology.unit(5) is None
    outlet = unit.outlets[0]
    assert outlet.index == 0 and outlet.number == 1 and outlet.label == "1"
    assert outlet.display_name == "Outlet 1"
    assert outlet.is_switchable and not unit.outlets[1].is_switchable
    assert outlet.sensors["activePower"].type_spec.type is SensorType.POWER
    assert outlet.sensors["activePower"].unit_symbol == "W"
    assert outlet.sensors["activeEnergy"].kind is SensorKind.ACCUMULATING
    assert outlet.sensors["outletState"].kind is SensorKind.STATE
    assert outlet.sensors["outletState"].type_spec.type is SensorType.ON_OFF_SENSOR
    inlet = unit.inlets[0]
    assert [p.line for p in inlet.poles][:3] == [0, 1, 2]
    assert inlet.poles[0].sensors["current"].decdigits is not None
    assert len(unit.ocps) == 3
    trip = unit.ocps[0].sensors["trip"]
    assert trip.kind is SensorKind.STATE and trip.state_mapping is OpenClosedState
    assert unit.ocps[0].label == "C1"
    assert "activePower" in unit.sensors
    names = {p.type_name for p in unit.peripherals}
    assert "Temperature" in names
    assert unit.peripherals[0].name == "Front top"
    temp = unit.peripherals[0].sensor
    assert temp is not None and temp.decdigits is not None and temp.range_upper is not None
    actuators = [p for p in unit.peripherals if p.is_actuator]
    assert len(actuators) == 2
    assert all(p.sensor is not None and p.sensor.is_state for p in actuators)


async def test_peripheral_keys_identical_on_both_firmwares(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    keys = []
    channels = []
    for firmware in FIRMWARES:
        emu = await emulator_factory(firmware=firmware, peripherals=11, seed=3)
        topology = await client_factory(emu).discover()
        keys.append([p.unique_key for p in topology.primary.peripherals])
        channels.append({p.channel for p in topology.primary.peripherals})
    assert channels == [{0}, {-1}]
    assert keys[0] == keys[1]
    assert len(set(keys[0])) == 11


async def test_poll_values_and_subset_plan(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4, link_units=1, peripherals=4)
    client = client_factory(emu)
    topology = await client.discover()
    emu.unit(0).outlet(1).power_state = 0
    outlet0, outlet1 = topology.primary.outlets[:2]
    voltage = topology.primary.inlets[0].sensors["voltage"]
    contact = topology.primary.peripherals[3].sensor
    assert contact is not None
    plan = ReadingPlan.for_topology(
        topology, rids=[outlet0.rid, outlet1.rid, voltage.rid, contact.rid]
    )
    assert len(plan) == 4
    assert {t.kind for t in plan.targets} == {ReadKind.OUTLET, ReadKind.NUMERIC, ReadKind.STATE}
    readings = await client.poll(plan)
    assert readings.outlets[outlet0.rid].power_state is PowerState.ON
    assert readings.outlets[outlet1.rid].is_on is False
    volts = readings.numeric[voltage.rid].value
    assert volts is not None and 200 < volts < 260
    assert readings.states[contact.rid].value == 0
    # a plan for one unit topology, duplicates read once
    unit_plan = ReadingPlan(
        [
            *ReadingPlan.for_topology(topology.link_units[2]).targets,
            ReadTarget.for_outlet(topology.link_units[2].outlets[0]),
        ]
    )
    link_readings = await client.poll(unit_plan)
    assert len(link_readings.outlets) == 4 and not link_readings.errors


async def test_link_unit_unreachable_in_cascade_status(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4, link_units=3, peripherals=1)
    emu.faults.link_unreachable(3)
    topology = await client_factory(emu).discover()
    assert sorted(topology.link_units) == [2, 4]
    assert topology.link_status[3] is LinkUnitStatus.UNREACHABLE
    assert topology.unavailable == frozenset({3})


async def test_failing_link_unit_does_not_fail_discovery(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4, link_units=3, peripherals=1)
    emu.faults.fail_call(rid="/model/pdu/3", statcode=503)  # cascade still says OK
    emu.faults.fail_call(rid="/model/pdu/4/outlet/1", method="getSensors")  # a later stage
    topology = await client_factory(emu).discover()
    assert sorted(topology.link_units) == [2]
    assert topology.link_status[3] is LinkUnitStatus.OK
    assert topology.unavailable == frozenset({3, 4})
    assert isinstance(topology.link_errors[3], XerusHttpError)
    assert topology.link_errors[3].status == 503
    assert isinstance(topology.link_errors[4], XerusHttpError)


async def test_link_unit_becomes_unreachable_during_polling(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4, link_units=2, peripherals=1)
    client = client_factory(emu)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    emu.faults.link_unreachable(2)
    emu.reset_stats()
    readings = await client.poll(plan)
    assert emu.stats()["http_requests"] == 1
    link_rids = {t.rid for t in ReadingPlan.for_topology(topology.link_units[2]).targets}
    assert set(readings.errors) == link_rids
    assert all(isinstance(e, XerusHttpError) and e.status == 503 for e in readings.errors.values())
    assert len(readings.outlets) == 8  # primary + link unit 3


async def test_primary_failure_raises(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu)
    emu.faults.fail_call(rid="/model/pdu/0", method="getOutlets", statcode=500)
    with pytest.raises(XerusHttpError):
        await client.discover()
    emu.faults.clear()
    emu.faults.fail_call(rid="/model/pdu/0/outlet/1", method="getMetaData", rpc_error=(-32603, "x"))
    with pytest.raises(XerusRpcError):
        await client.discover()


async def test_optional_calls_may_fail(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, peripherals=3)
    emu.faults.fail_call(method="getDeviceTypeInfos", rpc_error=(-32601, "no"))
    emu.faults.fail_call(method="getDiscoveredPackageInfos", rpc_error=(-32601, "no"))
    emu.faults.fail_call(method="getPoles", statcode=500)
    emu.faults.fail_call(rid="/model/pdu/0", method="getSensors", statcode=500)
    emu.faults.fail_call(rid="/model/peripheraldeviceslot/1", method="getDevice", statcode=500)
    topology = await client_factory(emu).discover()
    unit = topology.primary
    assert unit.sensors == {}
    assert unit.inlets[0].poles == []
    assert [p.slot_index for p in unit.peripherals] == [0, 2]
    # Without the type infos the digits of numeric peripherals are read from their metadata.
    probe = unit.peripherals[0].sensor
    assert probe is not None and probe.device_metadata
    assert probe.decdigits == emu.unit(0).peripheral(0).entry.spec.decdigits
    assert emu.stats()["method_names"].get("getTypeSpec") is None  # the catalogue knows
    # Without the package infos a package has no model of its own.
    assert [p.package_model for p in unit.peripherals] == ["", ""]


async def test_peripheral_slots_fallback_to_returned_reference(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, peripherals=3)
    client = client_factory(emu, use_session_token=False)
    emu.faults.fail_call(rid="/model/peripheraldevicemanager", method="getDeviceSlots", count=1)
    emu.reset_stats()
    topology = await client.discover()
    assert len(topology.primary.peripherals) == 3
    assert emu.stats()["http_requests"] == 3  # one extra round for the fallback
    emu.faults.fail_call(rid="/model/peripheraldevicemanager", method="getDeviceSlots")
    topology = await client.discover()
    assert topology.primary.peripherals == []


# --- faults ------------------------------------------------------------------------------------


async def test_timeout(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu, timeout=0.05, use_session_token=False)
    emu.faults.delay_responses(0.3)
    with pytest.raises(XerusTimeoutError):
        await client.call("/model/pdu/0", "getMetaData")
    # the abandoned request is cancelled by the emulator's teardown (no lingering task)
    assert isinstance(XerusTimeoutError("x"), XerusConnectionError)


async def test_http_500_and_404(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu, use_session_token=False)
    emu.faults.http_error(500)
    with pytest.raises(XerusHttpError) as err:
        await client.call("/model/pdu/0", "getMetaData")
    assert err.value.status == 500
    with pytest.raises(XerusNotFoundError):
        await client.call("/model/pdu/0/outlet/99", "getState")
    with pytest.raises(XerusRpcError) as rpc:
        await client.call("/model/pdu/0", "noSuchMethod")
    assert rpc.value.code == -32601


async def test_transient_500_on_bulk_is_retried_without_shrinking(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=8)
    client = client_factory(emu, use_session_token=False)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    emu.faults.http_error(500)
    emu.reset_stats()
    readings = await client.poll(plan)
    assert not readings.errors
    assert _requests(emu) == 2
    assert client.max_bulk_size is None
    for expected in (None, len(plan) // 2):  # persistent: split in halves, then remember
        emu.faults.http_error(502, count=2)
        emu.reset_stats()
        readings = await client.poll(plan)
        assert not readings.errors
        assert _requests(emu) == 4
        assert client.max_bulk_size == expected


async def test_truncated_and_html_bodies(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu, use_session_token=False)
    emu.faults.truncate_json()
    with pytest.raises(XerusProtocolError, match="JSON"):
        await client.call("/model/pdu/0", "getMetaData")
    emu.faults.html_response()
    with pytest.raises(XerusProtocolError, match="HTML"):
        await client.bulk([BulkCall("/model/pdu/0", "getMetaData")])
    assert (await client.call("/model/pdu/0", "getSettings"))["name"] == ""


async def test_one_bulk_subrequest_failing(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4)
    client = client_factory(emu)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    bad = topology.primary.outlets[1].sensors["activePower"].rid
    bad_state = topology.primary.outlets[2].rid
    emu.faults.fail_call(rid=bad, method="getReading", statcode=500)
    emu.faults.fail_call(rid=bad_state, rpc_error=(-32001, "Insufficient privileges"))
    readings = await client.poll(plan)
    assert set(readings.errors) == {bad, bad_state}
    assert isinstance(readings.errors[bad], XerusHttpError)
    assert isinstance(readings.errors[bad_state], XerusPrivilegeError)
    assert len(readings.outlets) == 3
    results = await client.bulk(
        [
            BulkCall("/model/pdu/0", "getSettings"),
            BulkCall("/model/pdu/0/outlet/77", "getState"),
            BulkCall("/model/pdu/0", "nope"),
            BulkCall("/model/unit", "identify", {"seconds": 1}),
        ]
    )
    assert results[0].ok and results[0].value["name"] == ""
    assert isinstance(results[1].error, XerusNotFoundError)
    assert isinstance(results[2].error, XerusRpcError) and results[2].error.code == -32601
    assert results[3].ok and results[3].value is None  # void result
    with pytest.raises(XerusNotFoundError):
        results[1].unwrap()


async def test_session_expiry_is_transparent(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu)
    await client.get_identity()
    assert client.uses_session_token
    emu.faults.expire_sessions()
    identity = await client.get_identity()
    assert identity.serial == emu.unit(0).serial
    assert emu.stats()["sessions_created"] == 2
    assert client.uses_session_token
    # idle for longer than Session.timeout: renewed before sending (no 401 round trip)
    failures = emu.stats()["auth_failures"]
    client._transport._token_last_used -= 10_000
    await client.get_identity()
    assert emu.stats()["sessions_created"] == 3
    assert emu.stats()["auth_failures"] == failures


async def test_session_lifetime_fault(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=2)
    emu.faults.session_expiry(0)  # every token dies immediately: fall back to Basic
    client = client_factory(emu)
    identity = await client.get_identity()
    assert identity.serial == emu.unit(0).serial
    assert client.session_token_disabled and not client.uses_session_token


async def test_single_login_falls_back_to_basic(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, single_login=True)
    first = client_factory(emu)
    await first.get_identity()
    second = client_factory(emu)
    identity = await second.get_identity()
    assert identity.serial == emu.unit(0).serial
    assert first.uses_session_token
    assert second.session_token_disabled


async def test_close_ends_the_device_session(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2)
    client = client_factory(emu)
    await client.get_identity()
    assert len(emu.sessions) == 1
    await client.close()
    assert len(emu.sessions) == 0
    assert emu.stats()["method_names"].get("closeCurrentSession") == 1


async def test_injected_session_is_not_closed(emulator_factory: Any) -> None:
    emu = await emulator_factory(outlets=2)
    async with aiohttp.ClientSession() as session:
        client = XerusClient(emu.host, emu.port, use_tls=False, password="raritan", session=session)
        await client.get_identity()
        await client.close()
        assert not session.closed
    async with XerusClient(emu.host, emu.port, use_tls=False, password="raritan") as owned:
        await owned.get_identity()
        assert owned._transport._session is not None
        inner = owned._transport._session
    assert inner.closed


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_reboot_stale_rids_and_rediscovery(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(outlets=3, link_units=1, peripherals=2, firmware=firmware)
    client = client_factory(emu)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    assert not (await client.poll(plan)).errors
    emu.faults.reboot()
    readings = await client.poll(plan)  # session dropped too: re-login is transparent
    # Every opaque RID is gone; the units' well-known RIDs (/model/pdu/<n>: load shedding,
    # sequence state) still answer.
    opaque = {t.rid for t in plan.targets if t.rid.startswith("/tfwopaque/")}
    assert set(readings.errors) == opaque
    assert all(isinstance(e, XerusNotFoundError) for e in readings.errors.values())
    with pytest.raises(XerusNotFoundError):
        await client.set_outlet_power(topology.primary.outlets[0], on=False)
    fresh = await client.discover()
    assert fresh.primary.outlets[0].rid != topology.primary.outlets[0].rid
    assert fresh.primary.identity.serial == topology.primary.identity.serial
    readings = await client.poll(ReadingPlan.for_topology(fresh))
    assert not readings.errors


async def test_credential_change_gives_authentication_error(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2)
    basic = client_factory(emu, use_session_token=False)
    token = client_factory(emu)
    await basic.get_identity()
    await token.get_identity()
    emu.faults.change_password("n3w-secret")
    with pytest.raises(XerusAuthenticationError):
        await basic.get_identity()
    await token.get_identity()  # existing session stays valid
    emu.faults.expire_sessions()
    with pytest.raises(XerusAuthenticationError):
        await token.get_identity()
    wrong = client_factory(emu, password="wrong")
    with pytest.raises(XerusAuthenticationError):
        await wrong.discover()


# --- TLS ---------------------------------------------------------------------------------------


async def test_tls_verification_pinning_and_fetch(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, tls=True)
    assert emu.tls_fingerprint
    fingerprint = await fetch_certificate_fingerprint(emu.host, emu.port, timeout=5)
    assert fingerprint == emu.tls_fingerprint

    verifying = client_factory(emu, verify_tls=True)
    with pytest.raises(XerusTlsError) as err:
        await verifying.get_identity()
    assert not isinstance(err.value, XerusCertificateMismatchError)
    assert err.value.fingerprint == emu.tls_fingerprint

    pinned = client_factory(emu, verify_tls=True, fingerprint=emu.tls_fingerprint.lower())
    assert (await pinned.get_identity()).serial == emu.unit(0).serial

    mismatch = client_factory(emu, fingerprint=WRONG_FP)
    with pytest.raises(XerusCertificateMismatchError) as mm:
        await mismatch.get_identity()
    assert mm.value.fingerprint == emu.tls_fingerprint
    assert mm.value.expected == WRONG_FP

    insecure = client_factory(emu, verify_tls=False)
    assert (await insecure.get_identity()).serial == emu.unit(0).serial


async def test_fetch_fingerprint_failures(emulator_factory: Any) -> None:
    plain = await emulator_factory(outlets=1)
    with pytest.raises(XerusTlsError):
        await fetch_certificate_fingerprint(plain.host, plain.port, timeout=5)
    port = plain.port
    await plain.stop()
    with pytest.raises(XerusConnectionError):
        await fetch_certificate_fingerprint("127.0.0.1", port, timeout=5)


async def test_redirect_http_to_https(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=2, tls=True, redirect_http=True)
    assert emu.http_redirect_port
    client = XerusClient(
        emu.host, emu.http_redirect_port, use_tls=False, verify_tls=False, password="raritan"
    )
    try:
        identity = await client.get_identity()
        assert identity.serial == emu.unit(0).serial
        assert client.base_url == f"https://{emu.host}:{emu.port}"
        emu.reset_stats()
        await client.call("/model/pdu/0", "getSettings")
        assert _requests(emu) == 1  # no second redirect
    finally:
        await client.close()


# --- commands ----------------------------------------------------------------------------------


@pytest.mark.parametrize("firmware", FIRMWARES)
async def test_switch_and_cycle_outlets(
    emulator_factory: Any, client_factory: ClientFactory, firmware: str
) -> None:
    emu = await emulator_factory(outlets=4, link_units=1, firmware=firmware, cycle_delay=30)
    client = client_factory(emu)
    topology = await client.discover()
    outlet = topology.primary.outlets[0]
    emu.reset_stats()
    state = await client.set_outlet_power(outlet, on=False)
    assert _requests(emu) == 1
    assert emu.stats()["method_names"]["setPowerState"] == 1
    assert state.power_state is PowerState.OFF
    assert emu.unit(0).outlet(0).power_state == 0
    state = await client.set_outlet_power(outlet.rid, on=True)
    assert state.is_on and emu.unit(0).outlet(0).power_state == 1
    state = await client.cycle_outlet(outlet)
    assert state.cycle_in_progress
    link_outlet = topology.link_units[2].outlets[3]
    state = await client.set_outlet_power(link_outlet, on=False)
    assert state.is_on is False and emu.unit(2).outlet(3).power_state == 0


async def test_switch_errors(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(
        outlets=4, non_switchable_outlets=(1,), readonly_users={"viewer": "view"}
    )
    client = client_factory(emu)
    topology = await client.discover()
    outlets = topology.primary.outlets
    with pytest.raises(XerusDeviceError) as err:
        await client.set_outlet_power(outlets[1], on=False)
    assert (
        err.value.code == OutletError.NOT_SWITCHABLE == XerusDeviceError.ERR_OUTLET_NOT_SWITCHABLE
    )
    assert err.value.method == "setPowerState"
    emu.unit(0).outlet(2).disabled = True
    with pytest.raises(XerusDeviceError) as err:
        await client.cycle_outlet(outlets[2])
    assert err.value.code == XerusDeviceError.ERR_OUTLET_DISABLED
    emu.unit(0).inhibit_relay_control = True
    with pytest.raises(XerusDeviceError) as err:
        await client.set_outlet_power(outlets[0], on=False)
    assert err.value.code == XerusDeviceError.ERR_RELAY_CONTROL_DISABLED
    emu.unit(0).inhibit_relay_control = False
    viewer = client_factory(emu, username="viewer", password="view")
    with pytest.raises(XerusPrivilegeError):
        await viewer.set_outlet_power(outlets[0], on=False)
    assert emu.unit(0).outlet(0).power_state == 1


async def test_actuator_and_identify(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=2, peripherals=9, link_units=1)
    client = client_factory(emu)
    topology = await client.discover()
    dry = next(
        p for p in topology.primary.peripherals if p.type_spec.type == SensorType.DRY_CONTACT
    )
    emu.reset_stats()
    reading = await client.set_actuator(dry, on=True)
    assert _requests(emu) == 1
    assert reading.value == 1 and reading.available
    assert emu.unit(0).peripheral(7).value == 1
    assert dry.sensor is not None
    reading = await client.set_actuator(dry.sensor, on=False)
    assert reading.value == 0
    reading = await client.set_actuator(dry.sensor.rid, on=True)
    assert reading.value == 1
    await client.identify(seconds=5)
    assert emu.unit(0).identify_count == 1
    await client.identify(2, seconds=5)
    assert emu.unit(2).identify_count == 1


async def test_adaptive_bulk_splitting_on_413(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=24, link_units=1, peripherals=3, max_bulk=100)
    client = client_factory(emu)
    topology = await client.discover()
    assert client.max_bulk_size is not None and client.max_bulk_size <= 100
    assert len(topology.link_units) == 1 and len(topology.primary.outlets) == 24
    plan = ReadingPlan.for_topology(topology)
    emu.reset_stats()
    readings = await client.poll(plan)
    assert not readings.errors
    expected = -(-len(plan) // client.max_bulk_size)
    assert _requests(emu) == expected
    assert emu.stats()["status_codes"].get("413") is None  # remembered: no more rejections


async def test_topology_type(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=1, peripherals=0)
    topology = await client_factory(emu).discover()
    assert isinstance(topology, Topology)
    assert topology.primary.peripherals == []
    assert topology.link_units == {} and topology.link_status == {}
    assert topology.cascade.role in (CascadeRole.STANDALONE, CascadeRole.PRIMARY_UNIT)


def test_invalid_fingerprint_is_rejected_at_construction() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        XerusClient("192.0.2.1", fingerprint="not-a-fingerprint")


async def test_device_closing_every_connection(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """4.3.x is reported to close TLS keep-alive between requests: every call still works."""
    emu = await emulator_factory(outlets=4, link_units=1, tls=True, keep_alive=False)
    client = client_factory(emu, fingerprint=emu.tls_fingerprint)
    topology = await client.discover()
    emu.reset_stats()
    for _ in range(3):
        readings = await client.poll(ReadingPlan.for_topology(topology))
        assert not readings.errors
    assert _requests(emu) == 3
    state = await client.set_outlet_power(topology.link_units[2].outlets[0], on=False)
    assert state.is_on is False


async def test_concurrent_requests_share_one_relogin(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=4, serialize=False)
    client = client_factory(emu)
    topology = await client.discover()
    plan = ReadingPlan.for_topology(topology)
    emu.faults.expire_sessions()
    results = await asyncio.gather(*(client.poll(plan) for _ in range(5)))
    assert all(not r.errors for r in results)
    assert emu.stats()["sessions_created"] == 2


async def test_link_unit_added_and_removed_at_runtime(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu = await emulator_factory(outlets=2, link_units=1, peripherals=1)
    client = client_factory(emu)
    assert sorted((await client.discover()).link_units) == [2]
    new_id = emu.faults.add_link_unit(outlets=6)
    topology = await client.discover()
    assert sorted(topology.link_units) == [2, new_id]
    assert len(topology.link_units[new_id].outlets) == 6
    emu.faults.remove_link_unit(2)
    readings = await client.poll(ReadingPlan.for_topology(topology))
    gone = {t.rid for t in ReadingPlan.for_topology(topology.link_units[2]).targets}
    assert set(readings.errors) == gone
    assert all(isinstance(e, XerusNotFoundError) for e in readings.errors.values())
    assert sorted((await client.discover()).link_units) == [new_id]


async def test_non_ascii_password(emulator_factory: Any, client_factory: ClientFactory) -> None:
    emu = await emulator_factory(outlets=1, password="pässwörd€")
    for use_token in (False, True):
        client = client_factory(emu, use_session_token=use_token)
        assert (await client.get_identity()).serial == emu.unit(0).serial


async def test_https_to_a_plain_http_port(emulator_factory: Any) -> None:
    emu = await emulator_factory(outlets=1)
    async with XerusClient(emu.host, emu.port, use_tls=True, password="raritan") as client:
        with pytest.raises(XerusTlsError) as err:
            await client.get_identity()
    assert err.value.fingerprint is None  # the handshake failed: no certificate to show
