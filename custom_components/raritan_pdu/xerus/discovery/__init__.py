"""Topology discovery in a fixed number of ``/bulk`` round trips.

Every unit (the primary ``/model/pdu/0`` and each link unit ``/model/pdu/<id>`` whose cascade
status is OK) advances one step per round trip; each round trip carries the current step of every
unit in ONE bulk, so the number of HTTP requests does not depend on the number of outlets or link
units. Per unit, two chains (``unit.StructureStep``, ``peripherals.PeripheralStep``):

* step 1 - ``Pdu``: getMetaData, getSettings, getOutlets, getInlets, getOverCurrentProtectors,
  getSensors, getPeripheralDeviceManager; device manager (well-known RID
  ``/model/peripheraldevicemanager``, ``/link/<id>/...`` for link units): getDeviceSlots,
  getDeviceTypeInfos. Round 1 also carries ``/cascade getStatus``.
* step 2 - per outlet/inlet/OCP: getMetaData, getSettings, getSensors (+ inlet getPoles);
  every slot's getDevice + getSettings
* the caller's own calls in round 1 (``also``: the client reads the account's privileges there);
* outlet groups (primary only): ``/model/outletgroup getAllGroups`` in round 1, each group's
  getMetaData, getSettings, getSensors in round 2 (``groups.GroupDiscovery``).
* step 3 - only for sensor fields the catalogue (``models.catalogue``) does not know:
  getMetaData (numeric) / getTypeSpec (state); and getMetaData of numeric peripheral sensors
  whose type infos gave no digits. Usually nothing: the step then costs no request.

What each sensor measures comes from its IDL field name (the catalogue) and, for peripherals,
from ``getDevice`` and ``getDeviceTypeInfos``; the device's own sensor metadata can be read
later (``XerusClient.read_sensor_metadata``). The primary runs in rounds 1-2, link units (known
after round 1) in rounds 2-3: 2 HTTP requests for a standalone unit, 3 with link units (plus
``newSession`` when a session token is used, plus one round if a sensor field is unknown), more
only if the device rejects a bulk size or the well-known device manager RID (then the returned
reference is used, one more round). A link unit whose sub-requests fail is dropped from the
topology and reported in ``Topology.unavailable``. A malformed object (an entry of a list that is
no reference, metadata that is no object, a peripheral without a device id) is left out and
logged once at warning level; one malformed field only costs that field.

Discovery needs only :class:`SupportsBulk` (``XerusClient`` is one): it does not know the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..const import RID_CASCADE, CascadeRole, LinkUnitStatus
from ..exceptions import XerusError, XerusNotFoundError, XerusRpcError
from ..models import CascadeStatus, Topology, UnitTopology
from .groups import GroupDiscovery
from .peripherals import PeripheralStep
from .rounds import Round, SupportsBulk, Warnings
from .unit import StructureStep, UnitDiscovery

_LOGGER = logging.getLogger(__name__)

_RPC_METHOD_NOT_FOUND = -32601


def _link_ids(status: CascadeStatus) -> tuple[list[int], dict[int, LinkUnitStatus | int]]:
    """Link ids to discover (status OK) and the reported status of every link id."""
    reported: dict[int, LinkUnitStatus | int] = {}
    if status.role == CascadeRole.LINK_UNIT:
        return [], reported
    for link_id, unit in sorted(status.link_units.items()):
        if link_id <= 0 or link_id == status.primary_link_id:
            continue  # the primary itself (4.4 may list the "always-present first unit")
        reported[link_id] = unit.status
    ok = [link_id for link_id, st in reported.items() if st == LinkUnitStatus.OK]
    return ok, reported


def _no_cascade_manager(error: XerusError) -> bool:
    """The device has no ``/cascade`` (firmware < 3.6): a standalone unit."""
    return isinstance(error, XerusNotFoundError) or (
        isinstance(error, XerusRpcError) and error.code == _RPC_METHOD_NOT_FOUND
    )


async def _first_round(
    sender: SupportsBulk,
    primary: UnitDiscovery,
    groups: GroupDiscovery,
    also: Callable[[Round], None] | None,
) -> CascadeStatus:
    """Round 1: the cascade status, the primary's first step and the list of outlet groups.

    Only a device without a cascade manager is standalone; any other failure of
    ``getStatus`` (a 500, a lost sub-request) fails the discovery: taking it for standalone
    would drop every link unit, with its devices and entities.
    """
    cascade = CascadeStatus.standalone()
    failure: XerusError | None = None

    def store_cascade(value: Any) -> None:
        nonlocal cascade, failure
        if not isinstance(value, XerusError):
            cascade = CascadeStatus.from_json(value)
        elif _no_cascade_manager(value):
            _LOGGER.debug("no /cascade (%s): standalone unit", value)
        else:
            failure = value

    rnd = Round()
    rnd.add(RID_CASCADE, "getStatus", store_cascade)
    primary.add_step(rnd)
    groups.add_step(rnd)
    if also is not None:
        also(rnd)
    await rnd.run(sender)
    if primary.error is not None:
        raise primary.error
    if failure is not None:
        raise failure
    return cascade


async def discover_topology(
    sender: SupportsBulk,
    warned: set[str] | None = None,
    also: Callable[[Round], None] | None = None,
) -> Topology:
    """Discover the primary and its link units; see the module docstring for the round trips.

    ``warned``: the malformed objects already told (kept by the caller across discoveries).
    ``also``: adds the caller's own calls to round 1 (the account's privileges), with their
    handlers; their failures are the caller's.
    """
    warnings = Warnings(warned)
    primary = UnitDiscovery(0, CascadeRole.STANDALONE, None, warnings)
    groups = GroupDiscovery(warnings)
    cascade = await _first_round(sender, primary, groups, also)
    primary.role = cascade.role
    primary.primary_host = cascade.primary_host

    link_ok, link_status = _link_ids(cascade)
    links = {
        link_id: UnitDiscovery(link_id, CascadeRole.LINK_UNIT, None, warnings)
        for link_id in link_ok
    }
    units = [primary, *links.values()]
    while groups.has_pending_work or any(unit.has_pending_work for unit in units):
        rnd = Round()
        if groups.has_pending_work:
            groups.add_step(rnd)
        for unit in units:
            unit.add_step(rnd)
        if rnd.calls:
            await rnd.run(sender)
        if primary.error is not None:
            raise primary.error

    link_units: dict[int, UnitTopology] = {}
    link_errors: dict[int, XerusError] = {}
    for link_id, unit in links.items():
        if unit.error is not None:
            _LOGGER.debug("link unit %s failed discovery: %s", link_id, unit.error)
            link_errors[link_id] = unit.error
        else:
            link_units[link_id] = unit.build()
    unavailable = frozenset(link_id for link_id in link_status if link_id not in link_units)
    built = primary.build()
    built = replace(built, groups=groups.build([built, *link_units.values()]))
    return Topology(
        primary=built,
        link_units=link_units,
        link_status=link_status,
        unavailable=unavailable,
        link_errors=link_errors,
        cascade=cascade,
    )


__all__ = ["PeripheralStep", "StructureStep", "SupportsBulk", "discover_topology"]
