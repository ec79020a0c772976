"""Fuzzing the event decoders (#10): whatever a pollEvents answer holds, only ``XerusError``
escapes, every decoded event is an ``Event``, and the thresholds decode to finite numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.raritan_pdu.xerus import Event, Thresholds, XerusError
from custom_components.raritan_pdu.xerus.events import DEMANDED_TYPES, decode_event, decode_poll

from .conftest import json_values

#: Event objects with a known typecode (so the typed decoders run) and anything as value.
events = st.fixed_dictionaries(
    {"type": st.sampled_from(DEMANDED_TYPES), "value": json_values},
)


@given(st.one_of(json_values, events))
def test_decode_event_never_raises(raw: object) -> None:
    event = decode_event(raw)
    assert event is None or isinstance(event, Event)


polls = st.fixed_dictionaries(
    {"_ret_": json_values, "events": st.lists(st.one_of(events, json_values), max_size=4)}
)


@given(st.one_of(json_values, polls))
def test_decode_poll_raises_only_xerus_errors(raw: object) -> None:
    try:
        batch = decode_poll(raw)
    except XerusError:
        return
    assert all(isinstance(e, Event) for e in batch.events)


@given(json_values)
def test_thresholds_are_finite_or_none(raw: object) -> None:
    thresholds = Thresholds.from_json(raw)
    for name in ("upperCritical", "upperWarning", "lowerWarning", "lowerCritical"):
        value = thresholds.level(name)
        assert value is None or math.isfinite(value)
    with pytest.raises(ValueError, match="unknown"):
        thresholds.with_level("?", 1.0)
