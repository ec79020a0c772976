"""Raritan Xerus PDU emulator for tests (independent device model; never imports the client).

```python
from tests.emulator import EmulatorConfig, PduEmulator
emu = PduEmulator(EmulatorConfig(outlets=8, link_units=2, peripherals=3, firmware="4.4"))
await emu.start(host="127.0.0.1", port=0)   # emu.url, emu.host, emu.port
...
await emu.stop()
```
See README.md in this directory for the configuration, fault injection and the CLI.
"""

from .config import EmulatorConfig
from .faults import Faults
from .model import Inlet, Ocp, Outlet, Peripheral, Sensor, Unit
from .profiles import PROFILES, Profile
from .server import PduEmulator, make_certificate

__all__ = [
    "PROFILES",
    "EmulatorConfig",
    "Faults",
    "Inlet",
    "Ocp",
    "Outlet",
    "PduEmulator",
    "Peripheral",
    "Profile",
    "Sensor",
    "Unit",
    "make_certificate",
]
