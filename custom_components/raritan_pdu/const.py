"""Constants of the Raritan PDU integration."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

DOMAIN: Final = "raritan_pdu"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Raritan"

CONF_FINGERPRINT: Final = "fingerprint"
"""Pinned SHA-256 certificate fingerprint ("AB:CD:..."); replaces CA verification."""
CONF_MAC: Final = "mac"
"""MAC address of the primary unit (formatted), used to recognise it in DHCP discovery."""
CONF_TRUST: Final = "trust"

DEFAULT_PORT_HTTPS: Final = 443
DEFAULT_PORT_HTTP: Final = 80
DEFAULT_USERNAME: Final = "admin"
DEFAULT_TIMEOUT: Final = 10.0

# One /bulk request every 30 s for every unit and every enabled entity. HA's quality scale asks
# for a fixed interval (no options flow); a PDU that needs longer than half of it to answer a poll
# gets a longer interval automatically (``POLL_BUSY_FRACTION``).
SCAN_INTERVAL: Final = timedelta(seconds=30)
# A poll may keep the device busy for at most this share of the interval: the PDU handles one
# request at a time, and its web interface, SNMP and commands need it too.
POLL_BUSY_FRACTION: Final = 0.5
# ... on average over a cadence cycle; and the longest poll (with the slow values) at most this
# share of it, so that it ends well before the next one is due.
POLL_LONGEST_FRACTION: Final = 0.8
# A stretched interval is a multiple of this.
POLL_INTERVAL_STEP: Final = timedelta(seconds=10)

# Slow values are read every SLOW_POLL_EVERY-th poll (every 5 minutes at 30 s): counters and
# values that change slowly or only matter in statistics. Between their reads they keep their
# last reading. Home Assistant compiles statistics every 5 minutes, so the Energy dashboard sees
# every reading of an energy counter.
SLOW_POLL_EVERY: Final = 10
#: IDL fields read on the slow cadence (``Sensor`` keys of outlets, inlets, poles, breakers, unit).
SLOW_FIELDS: Final = frozenset(
    {
        "activeEnergy",
        "apparentEnergy",
        "voltage",
        "voltageLN",
        "lineFrequency",
        "peakCurrent",
        "maximumCurrent",
        "inrushCurrent",
        "unbalancedCurrent",
        "unbalancedLineLineCurrent",
        "unbalancedVoltage",
        "unbalancedLineLineVoltage",
        "displacementPowerFactor",
        "phaseAngle",
        "crestFactor",
        "voltageThd",
        "currentThd",
    }
)

# Rediscovering the topology costs a fixed number of larger bulk requests, which the device's
# small CPU answers in seconds. What it finds (outlet names, peripherals plugged in, link units
# added or removed) changes rarely and is picked up at once anyway when a poll suggests it
# (unknown RIDs after a reboot, a link unit status change). Every six hours keeps renames made on
# the device's web interface reasonably fresh at negligible cost; it runs beside the polls.
TOPOLOGY_REFRESH_INTERVAL: Final = timedelta(hours=6)
# While a link unit is unreachable (its entities unavailable), and after a failed rediscovery,
# look again after this long, doubling with every failure up to TOPOLOGY_RETRY_MAX.
TOPOLOGY_RETRY_INTERVAL: Final = timedelta(minutes=5)
TOPOLOGY_RETRY_MAX: Final = timedelta(hours=1)
# Unknown resource ids in a poll trigger a rediscovery, unless the topology is younger than
# this (a resource that stays unknown must not cost a rediscovery every poll).
TOPOLOGY_MIN_AGE: Final = timedelta(minutes=1)
# A setting this integration writes makes the PDU push a SettingsChangedEvent of that object;
# within this many seconds of the write such an event is its echo (what it says is what the
# write confirmed, already in the topology), not a reason to rediscover the whole PDU.
OWN_SETTINGS_ECHO_WINDOW: Final = 30.0
# A failed discovery at setup (the device answered, its structure could not be read) is not
# repeated before this long, doubling up to DISCOVERY_BACKOFF_MAX: Home Assistant retries a
# setup every few seconds, and a discovery keeps a slow PDU busy for many seconds.
DISCOVERY_BACKOFF: Final = timedelta(minutes=1)
DISCOVERY_BACKOFF_MAX: Final = timedelta(minutes=30)

# The PDU must reject the credentials in this many polls (or setup attempts) in a row before
# Home Assistant asks for new ones: a single 401 can be a device hiccup (an expired session on a
# busy PDU), and reauthentication stops polling until the user acts.
AUTH_FAILURES_TO_REAUTH: Final = 3

# Entities enabled after setup register their resource ids; their first values are fetched
# by one extra poll shortly after, batching registrations that happen together.
REGISTRATION_REFRESH_DELAY: Final = 1.0

# Home Assistant's storage (``.storage/raritan_pdu.<entry id>``): the last good topology and what
# the client learned, so that a restart creates the entities at once, without rediscovery.
STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = DOMAIN
STORAGE_SAVE_DELAY: Final = 10.0
