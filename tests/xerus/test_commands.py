"""A command's outcome is what the device did (issue #12 item 7).

The command and its confirming read go out in one bulk, exactly once. If only the read fails,
the command's success is returned (the state it implies); if the answer is lost after the
device may have carried it out, ``XerusOutcomeUnknownError`` says so (re-read, don't repeat).
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.raritan_pdu.xerus import (
    PowerState,
    XerusConnectionError,
    XerusDeviceError,
    XerusError,
    XerusOutcomeUnknownError,
    XerusProtocolError,
    XerusTimeoutError,
)

from .conftest import ClientFactory


async def _setup(emulator_factory: Any, client_factory: ClientFactory, **config: Any) -> Any:
    emu = await emulator_factory(outlets=4, peripherals=8, **config)
    client = client_factory(emu, timeout=0.5, use_session_token=False)
    topology = await client.discover()
    emu.reset_stats()
    return emu, client, topology


async def test_a_failed_confirming_read_returns_what_the_command_did(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu, client, topology = await _setup(emulator_factory, client_factory)
    emu.faults.fail_call(method="getState", statcode=500)
    outlets = topology.primary.outlets

    state = await client.set_outlet_power(outlets[0], on=False)
    assert emu.unit(0).outlet(0).power_state == 0
    assert state.available and state.power_state is PowerState.OFF and state.is_on is False

    state = await client.cycle_outlet(outlets[1])
    assert emu.unit(0).outlet(1).cycle_in_progress
    assert state.cycle_in_progress and state.power_state is PowerState.OFF

    actuator = topology.primary.peripherals[7]
    assert actuator.is_actuator
    reading = await client.set_actuator(actuator, on=True)
    assert emu.unit(0).peripheral(7).value == 1
    assert reading.available and reading.value == 1
    assert emu.stats()["http_requests"] == 3


async def test_a_lost_answer_is_an_unknown_outcome_and_never_sent_twice(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """The device cycled the outlet, the answer came too late: unknown, not failed."""
    emu, client, topology = await _setup(emulator_factory, client_factory)
    emu.faults.delay_responses(3.0, after_processing=True)
    with pytest.raises(XerusOutcomeUnknownError) as err:
        await client.cycle_outlet(topology.primary.outlets[2])
    assert isinstance(err.value, XerusConnectionError)  # older callers: a connection problem
    assert isinstance(err.value.__cause__, XerusTimeoutError)
    assert err.value.method == "cyclePowerState"
    assert "may have carried it out" in str(err.value)
    assert emu.unit(0).outlet(2).cycle_in_progress
    assert emu.stats()["method_names"]["cyclePowerState"] == 1  # once, not power-cycled twice

    emu.faults.truncate_json()  # processed, the answer garbled
    with pytest.raises(XerusOutcomeUnknownError):
        await client.set_outlet_power(topology.primary.outlets[3], on=False)
    assert emu.unit(0).outlet(3).power_state == 0


async def test_a_connection_closed_without_answer_is_not_retried(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    """4.4 keeps connections alive: a read is retried once after a closed one, a command not."""
    emu, client, topology = await _setup(emulator_factory, client_factory, firmware="4.4")
    emu.faults.drop_connection()
    with pytest.raises(XerusOutcomeUnknownError):
        await client.cycle_outlet(topology.primary.outlets[0])
    assert emu.stats()["http_requests"] == 1
    emu.faults.drop_connection()
    assert await client.call("/model/pdu/0", "getSettings")  # a read: retried once
    assert emu.stats()["http_requests"] == 3


async def test_commands_that_were_not_carried_out_fail_as_before(
    emulator_factory: Any, client_factory: ClientFactory
) -> None:
    emu, client, topology = await _setup(emulator_factory, client_factory, metered_only=True)
    outlet = topology.primary.outlets[0]
    with pytest.raises(XerusDeviceError) as err:
        await client.set_outlet_power(outlet, on=False)
    assert err.value.code == XerusDeviceError.ERR_OUTLET_NOT_SWITCHABLE
    emu.faults.html_response()  # a login page instead of the device's answer: nothing done
    with pytest.raises(XerusProtocolError) as html:
        await client.cycle_outlet(outlet)
    assert not isinstance(html.value, XerusOutcomeUnknownError) and not html.value.answered
    emu.faults.fail_call(method="cyclePowerState", statcode=503)
    with pytest.raises(XerusError) as failed:
        await client.cycle_outlet(outlet)
    assert not isinstance(failed.value, XerusOutcomeUnknownError)
    assert emu.unit(0).outlet(0).relay_cycles == 0
