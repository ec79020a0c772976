"""Async client library for the Raritan / Legrand / Server Technology "Xerus" JSON-RPC API.

Independent of any home automation framework; the only third-party dependency is aiohttp.

Example::

    async with XerusClient("pdu.example", username="admin", password="secret",
                           fingerprint=await fetch_certificate_fingerprint("pdu.example")) as pdu:
        identity = await pdu.get_identity()          # one /bulk
        topology = await pdu.discover()              # a fixed number of /bulk round trips
        plan = ReadingPlan.for_topology(topology)    # request JSON built once
        readings = await pdu.poll(plan)              # ONE HTTP request per poll
        polled = await pdu.poll(plan, with_cascade=True)  # + link unit status, same request
        outlet = topology.primary.outlets[0]
        state = await pdu.set_outlet_power(outlet, on=False)

        stored = topology.to_json()                  # keep it; at the next start:
        result = await pdu.poll(plan, check=Topology.from_json(stored))
        result.topology_changed                      # False: entities from storage are right
"""

from __future__ import annotations

from .bulk import BulkTiming
from .client import XerusClient
from .const import (
    CascadeRole,
    LinkUnitStatus,
    LinkUnitType,
    NormalAlarmedState,
    OcpType,
    OkFaultState,
    OnOffState,
    OpenClosedState,
    OutletError,
    OutletStartupState,
    PortType,
    PowerLine,
    PowerQualityState,
    PowerState,
    ReadingType,
    ResidualCurrentState,
    SensorType,
    SensorTypeInfo,
    SensorUnit,
    sensor_type_info,
    state_mapping,
    unit_symbol,
)
from .exceptions import (
    XerusAuthenticationError,
    XerusCertificateMismatchError,
    XerusConnectionError,
    XerusConnectionLostError,
    XerusDeviceError,
    XerusError,
    XerusHttpError,
    XerusNotFoundError,
    XerusOutcomeUnknownError,
    XerusPrivilegeError,
    XerusProtocolError,
    XerusRpcError,
    XerusStorageError,
    XerusTimeoutError,
    XerusTlsError,
)
from .models import (
    FIELD_CATALOGUE,
    CascadeStatus,
    FieldInfo,
    InletInfo,
    LinkUnit,
    Nameplate,
    NumericReading,
    OcpInfo,
    OutletInfo,
    OutletMetaData,
    OutletSettings,
    OutletState,
    PduIdentity,
    PduMetaData,
    PduSettings,
    PeripheralInfo,
    PoleInfo,
    PollResult,
    PosElement,
    Rating,
    Readings,
    Ref,
    SensorInfo,
    SensorKind,
    StateReading,
    ThresholdState,
    Topology,
    TypeSpec,
    UnitTopology,
    field_info,
)
from .plan import ReadingPlan, ReadKind, ReadTarget
from .rpc import BulkCall, BulkResult
from .tls import fetch_certificate_fingerprint, normalize_fingerprint

__all__ = [
    "FIELD_CATALOGUE",
    "BulkCall",
    "BulkResult",
    "BulkTiming",
    "CascadeRole",
    "CascadeStatus",
    "FieldInfo",
    "InletInfo",
    "LinkUnit",
    "LinkUnitStatus",
    "LinkUnitType",
    "Nameplate",
    "NormalAlarmedState",
    "NumericReading",
    "OcpInfo",
    "OcpType",
    "OkFaultState",
    "OnOffState",
    "OpenClosedState",
    "OutletError",
    "OutletInfo",
    "OutletMetaData",
    "OutletSettings",
    "OutletStartupState",
    "OutletState",
    "PduIdentity",
    "PduMetaData",
    "PduSettings",
    "PeripheralInfo",
    "PoleInfo",
    "PollResult",
    "PortType",
    "PosElement",
    "PowerLine",
    "PowerQualityState",
    "PowerState",
    "Rating",
    "ReadKind",
    "ReadTarget",
    "ReadingPlan",
    "ReadingType",
    "Readings",
    "Ref",
    "ResidualCurrentState",
    "SensorInfo",
    "SensorKind",
    "SensorType",
    "SensorTypeInfo",
    "SensorUnit",
    "StateReading",
    "ThresholdState",
    "Topology",
    "TypeSpec",
    "UnitTopology",
    "XerusAuthenticationError",
    "XerusCertificateMismatchError",
    "XerusClient",
    "XerusConnectionError",
    "XerusConnectionLostError",
    "XerusDeviceError",
    "XerusError",
    "XerusHttpError",
    "XerusNotFoundError",
    "XerusOutcomeUnknownError",
    "XerusPrivilegeError",
    "XerusProtocolError",
    "XerusRpcError",
    "XerusStorageError",
    "XerusTimeoutError",
    "XerusTlsError",
    "fetch_certificate_fingerprint",
    "field_info",
    "normalize_fingerprint",
    "sensor_type_info",
    "state_mapping",
    "unit_symbol",
]
