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

# One /bulk request every 30 s for every unit: the device's web server handles it in a few
# hundred milliseconds, and HA's quality scale asks for a fixed interval (no options flow).
SCAN_INTERVAL: Final = timedelta(seconds=30)

# Rediscovering the topology costs a fixed number of larger bulk requests (metadata,
# settings and sensor references of every outlet/inlet/OCP/peripheral of every unit), which
# the device's small CPU answers in seconds. What it finds (outlet names, peripherals
# plugged in, link units added/removed) changes rarely and is picked up immediately anyway
# when a poll suggests it (unknown RIDs after a reboot, link unit status change). Every six
# hours keeps renames made on the device's web UI reasonably fresh at negligible cost.
TOPOLOGY_REFRESH_INTERVAL: Final = timedelta(hours=6)
# While a link unit is unreachable (its entities unavailable, not polled), look for it again
# this often.
TOPOLOGY_RETRY_INTERVAL: Final = timedelta(minutes=5)
# Unknown resource ids in a poll trigger a rediscovery, unless the topology is younger than
# this (a resource that stays unknown must not cost a rediscovery every poll).
TOPOLOGY_MIN_AGE: Final = timedelta(minutes=1)

# Entities enabled after setup register their resource ids; their first values are fetched
# by one extra poll shortly after, batching registrations that happen together.
REGISTRATION_REFRESH_DELAY: Final = 1.0

ISSUE_CERTIFICATE_CHANGED: Final = "certificate_changed"
