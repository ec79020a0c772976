"""The PDU's own power commands: several outlets at once, groups, load shedding, sequences,
and the power settings of outlets and units (``XerusClient`` inherits them).

Every command goes out with its confirming reads in ONE bulk, exactly once (as the single-outlet
commands, architecture section 1): the outlets it switches are read in the same request
(``getState``), a settings write sends the whole struct as read with the fields changed
(``setSettings``; 3.6 and every ``Outlet.setSettings`` need the complete struct) and reads it
back (``getSettings``). A non-zero ``_ret_`` raises ``XerusDeviceError``; a lost answer
``XerusOutcomeUnknownError``; a failed confirming read gives what the command implies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .const import PowerState, pdu_rid
from .exceptions import XerusDeviceError
from .models import (
    OutletGroupInfo,
    OutletInfo,
    OutletSettings,
    OutletState,
    SequenceState,
    StateReading,
    UnitPowerSettings,
    UnitTopology,
    settings_struct,
)
from .rpc import BulkCall, BulkResult

_LOGGER = logging.getLogger(__name__)

#: What a multi-outlet command does: switch on, switch off, or power-cycle.
type OutletAction = Literal["on", "off", "cycle"]

#: ``Outlet.Settings.cycleDelay`` range (s): a custom off time must be within it.
CYCLE_DELAY_RANGE: tuple[int, int] = (0, 3600)

_ERR_INVALID_PARAM = 1


def check_return(result: BulkResult, method: str) -> None:
    """Raise the error of a command's sub-request, or ``XerusDeviceError`` for a non-zero
    ``_ret_`` (``setLoadSheddingActive`` and the void commands return nothing)."""
    ret = result.unwrap()
    if isinstance(ret, int) and not isinstance(ret, bool) and ret != 0:
        raise XerusDeviceError(ret, method)


def _implied(action: OutletAction) -> OutletState:
    if action == "cycle":
        return OutletState(True, PowerState.OFF, cycle_in_progress=True)
    return OutletState(True, PowerState.ON if action == "on" else PowerState.OFF)


def _by_unit(outlets: Sequence[OutletInfo]) -> dict[int, list[OutletInfo]]:
    units: dict[int, list[OutletInfo]] = {}
    for outlet in outlets:
        units.setdefault(outlet.pdu_id, [])
        if outlet not in units[outlet.pdu_id]:
            units[outlet.pdu_id].append(outlet)
    return units


class PowerCommands:
    """Multi-outlet, group, load-shedding, sequence and settings commands."""

    async def _send_once(self, calls: Sequence[BulkCall]) -> list[BulkResult]:
        raise NotImplementedError  # pragma: no cover - XerusClient implements it

    async def call(self, rid: str, method: str, params: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError  # pragma: no cover - XerusClient implements it

    async def _with_states(
        self,
        commands: Sequence[BulkCall],
        outlets: Sequence[OutletInfo],
        implied: OutletState,
        extra: Sequence[BulkCall] = (),
    ) -> tuple[dict[str, OutletState], list[BulkResult]]:
        """Send ``commands``, then ``getState`` of ``outlets`` and ``extra`` reads, one bulk."""
        reads = [BulkCall(o.rid, "getState") for o in outlets]
        results = await self._send_once([*commands, *reads, *extra])
        for call, result in zip(commands, results, strict=False):
            check_return(result, call.method)
        states: dict[str, OutletState] = {}
        for outlet, result in zip(outlets, results[len(commands) :], strict=False):
            if result.ok:
                states[outlet.rid] = OutletState.from_json(result.value)
            else:
                _LOGGER.debug("confirming getState of %s failed: %s", outlet.rid, result.error)
                states[outlet.rid] = implied
        return states, results[len(commands) + len(outlets) :]

    async def set_outlets(
        self,
        outlets: Sequence[OutletInfo],
        action: OutletAction,
        *,
        respect_sequence: bool = True,
    ) -> dict[str, OutletState]:
        """Switch or cycle several outlets, on any units: one ``setMultipleOutletPowerStates``
        (``cycleMultipleOutletPowerStates``) per unit and every outlet's state, ONE bulk.

        ``respect_sequence``: switch on in the unit's sequence order (else by outlet number);
        either way the unit's in-rush guard and sequence delays apply. Returns the states by
        outlet RID.
        """
        commands = []
        for pdu_id, mine in _by_unit(outlets).items():
            params: dict[str, Any] = {
                "outletNumbers": [o.index for o in mine],
                "respectSequence": respect_sequence,
            }
            if action == "cycle":
                commands.append(BulkCall(pdu_rid(pdu_id), "cycleMultipleOutletPowerStates", params))
            else:
                params["state"] = 1 if action == "on" else 0
                commands.append(BulkCall(pdu_rid(pdu_id), "setMultipleOutletPowerStates", params))
        states, _ = await self._with_states(commands, outlets, _implied(action))
        return states

    async def set_all_outlets(
        self, unit: UnitTopology, action: OutletAction
    ) -> dict[str, OutletState]:
        """Every outlet of a unit (``setAllOutletPowerStates`` / ``cycleAllOutletPowerStates``,
        in the unit's sequence) and their states, ONE bulk."""
        if action == "cycle":
            command = BulkCall(unit.identity.rid, "cycleAllOutletPowerStates")
        else:
            pstate = {"pstate": 1 if action == "on" else 0}
            command = BulkCall(unit.identity.rid, "setAllOutletPowerStates", pstate)
        states, _ = await self._with_states([command], unit.outlets, _implied(action))
        return states

    async def set_group(
        self, group: OutletGroupInfo, action: OutletAction, members: Sequence[OutletInfo]
    ) -> dict[str, OutletState]:
        """Switch or cycle an outlet group (``OutletGroup.setAllOutletPowerStates`` /
        ``cycleAllOutletPowerStates``); ``members`` (its outlets, as the topology knows them)
        are read in the same bulk."""
        if action == "cycle":
            command = BulkCall(group.rid, "cycleAllOutletPowerStates")
        else:
            pstate = {"pstate": 1 if action == "on" else 0}
            command = BulkCall(group.rid, "setAllOutletPowerStates", pstate)
        states, _ = await self._with_states([command], members, _implied(action))
        return states

    async def set_load_shedding(
        self, unit: UnitTopology, active: bool
    ) -> tuple[StateReading, dict[str, OutletState]]:
        """Start or end load shedding (non-critical outlets off, restored in sequence after);
        the new mode and every outlet's state come in the same bulk."""
        rid = unit.identity.rid
        states, (mode,) = await self._with_states(
            [BulkCall(rid, "setLoadSheddingActive", {"active": active})],
            unit.outlets,
            OutletState(False, None),
            [BulkCall(rid, "isLoadSheddingActive")],
        )
        value = mode.value if mode.ok and isinstance(mode.value, bool) else active
        return StateReading(int(value), True), states

    async def cancel_sequence(
        self, unit: UnitTopology
    ) -> tuple[SequenceState, dict[str, OutletState]]:
        """Drop the pending switch-ons of the unit's running sequence (those outlets stay off;
        power cycles always end); the sequence state and the outlet states, same bulk."""
        rid = unit.identity.rid
        states, (sequence,) = await self._with_states(
            [BulkCall(rid, "cancelOutletSequence")],
            unit.outlets,
            OutletState(False, None),
            [BulkCall(rid, "getOutletSequenceState")],
        )
        return SequenceState.from_json(sequence.value if sequence.ok else None), states

    async def _write_settings(
        self, rid: str, raw: str, changes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], BulkResult]:
        """Read-modify-write of a whole settings struct; the answer of ``getSettings``."""
        struct = settings_struct(raw)
        if not struct:  # not read at discovery: read it now (one more request)
            current = await self.call(rid, "getSettings")
            struct = dict(current) if isinstance(current, dict) else {}
        struct.update(changes)
        result, read = await self._send_once(
            [BulkCall(rid, "setSettings", {"settings": struct}), BulkCall(rid, "getSettings")]
        )
        check_return(result, "setSettings")
        return struct, read

    async def set_outlet_settings(
        self, outlet: OutletInfo, changes: Mapping[str, Any]
    ) -> OutletSettings:
        """Change fields of ``Outlet.Settings`` (IDL names: ``startupState``, ``cycleDelay``,
        ``usePduCycleDelay``, ``sequenceDelay``, ``nonCritical``); returns the settings the
        device confirms (or, if only that read failed, those written)."""
        struct, read = await self._write_settings(outlet.rid, outlet.settings.raw, changes)
        return OutletSettings.from_json(read.value if read.ok else struct)

    async def set_unit_settings(
        self, unit: UnitTopology, changes: Mapping[str, Any]
    ) -> UnitPowerSettings:
        """Change fields of ``Pdu.Settings`` (``cycleDelay``, ``powerOnDelay``,
        ``inRushGuardDelay``, ...); returns the settings the device confirms."""
        rid = unit.identity.rid
        struct, read = await self._write_settings(rid, unit.power_settings.raw, changes)
        return UnitPowerSettings.from_json(read.value if read.ok else struct)

    async def cycle_outlet_for(self, outlet: OutletInfo, off_time: int) -> OutletState:
        """Power-cycle an outlet with its own off time (s), whatever its cycle delay.

        The firmware has no such parameter: the same bulk sets the outlet's cycle delay,
        starts the cycle (the delay counts from the start) and writes the outlet's settings
        back as they were, then reads its state. Needs the privilege to change settings.
        """
        low, high = CYCLE_DELAY_RANGE
        if not low <= off_time <= high:
            raise XerusDeviceError(_ERR_INVALID_PARAM, "cyclePowerState", "off time out of range")
        original = settings_struct(outlet.settings.raw)
        if not original:
            current = await self.call(outlet.rid, "getSettings")
            original = dict(current) if isinstance(current, dict) else {}
        custom = {**original, "usePduCycleDelay": False, "cycleDelay": off_time}
        rid = outlet.rid
        states, _ = await self._with_states(
            [
                BulkCall(rid, "setSettings", {"settings": custom}),
                BulkCall(rid, "cyclePowerState"),
                BulkCall(rid, "setSettings", {"settings": original}),
            ],
            [outlet],
            _implied("cycle"),
        )
        return states[rid]


__all__ = ["CYCLE_DELAY_RANGE", "OutletAction", "PowerCommands", "check_return"]
