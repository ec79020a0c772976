"""Typed, immutable models of the Xerus objects and their tolerant JSON decoders.

Decoding never raises on unknown enum values, extra or missing fields or ``null`` references:
missing values become defaults (``""``, ``False``, ``None``), unknown enum ints stay ints.

One module per concern; every name is re-exported here (``from xerus.models import X``):

* ``fields``: the tolerant accessors every decoder uses (the only place that checks JSON types)
* ``refs``: interface references; ``sensors``: sensor kinds, type specs, sensor info;
  ``catalogue``: what each sensor field measures (type spec, usual digits) by its IDL name
* ``readings``: what a poll returns; ``identity``: nameplate, identity, cascade status
* ``components``: inlets, poles, over-current protectors, outlets; ``peripherals``: external
  sensors and actuators; ``topology``: a unit and the whole stack
"""

from __future__ import annotations

from .catalogue import FIELD_CATALOGUE, FieldInfo, field_info
from .components import (
    InletInfo,
    OcpInfo,
    OutletInfo,
    OutletMetaData,
    OutletSettings,
    PoleInfo,
    Rating,
)
from .fields import JsonDict, decode_map, is_void_result
from .identity import (
    CascadeStatus,
    LinkUnit,
    Nameplate,
    PduIdentity,
    PduMetaData,
    PduSettings,
)
from .peripherals import (
    DeviceTypeDefaults,
    PeripheralInfo,
    PosElement,
    decode_device_type_defaults,
    decode_device_type_infos,
    decode_package_models,
)
from .power import (
    GroupMember,
    OutletGroupInfo,
    SequenceState,
    UnitPowerSettings,
    decode_group_members,
    group_name,
    raw_settings,
    settings_struct,
)
from .readings import (
    NumericReading,
    OutletState,
    Readings,
    StateReading,
    ThresholdState,
    finite_number,
)
from .refs import Ref, base_type_name, decode_refs
from .sensors import (
    STATE_SENSOR_KEYS,
    UNSPECIFIED_NUMERIC,
    UNSPECIFIED_STATE,
    SensorInfo,
    SensorKind,
    TypeSpec,
    decode_sensor_refs,
    sensor_kind,
)
from .thresholds import THRESHOLD_LEVELS, Thresholds
from .topology import Topology, UnitTopology

__all__ = [
    "FIELD_CATALOGUE",
    "STATE_SENSOR_KEYS",
    "THRESHOLD_LEVELS",
    "UNSPECIFIED_NUMERIC",
    "UNSPECIFIED_STATE",
    "CascadeStatus",
    "DeviceTypeDefaults",
    "FieldInfo",
    "GroupMember",
    "InletInfo",
    "JsonDict",
    "LinkUnit",
    "Nameplate",
    "NumericReading",
    "OcpInfo",
    "OutletGroupInfo",
    "OutletInfo",
    "OutletMetaData",
    "OutletSettings",
    "OutletState",
    "PduIdentity",
    "PduMetaData",
    "PduSettings",
    "PeripheralInfo",
    "PoleInfo",
    "PosElement",
    "Rating",
    "Readings",
    "Ref",
    "SensorInfo",
    "SensorKind",
    "SequenceState",
    "StateReading",
    "ThresholdState",
    "Thresholds",
    "Topology",
    "TypeSpec",
    "UnitPowerSettings",
    "UnitTopology",
    "base_type_name",
    "decode_device_type_defaults",
    "decode_device_type_infos",
    "decode_group_members",
    "decode_map",
    "decode_package_models",
    "decode_refs",
    "decode_sensor_refs",
    "field_info",
    "finite_number",
    "group_name",
    "is_void_result",
    "raw_settings",
    "sensor_kind",
    "settings_struct",
]
