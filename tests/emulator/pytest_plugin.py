"""pytest plugin: the ``emulator_factory`` fixture (loaded by ``tests/conftest.py``).

```python
async def test_x(emulator_factory):
    emu = await emulator_factory(outlets=4, link_units=1)
    slow = await emulator_factory(device_speed="px3", clock="manual")
    slow.advance(30)  # emulated time passes, nobody sleeps
```
Every emulator starts on 127.0.0.1 with a free port and is stopped at teardown. The fixture depends
on pytest-socket's ``socket_enabled`` so it works under Home Assistant's test plugin (which blocks
sockets).

The default is the real clock: Home Assistant tests move time with ``freezer`` and
``async_fire_time_changed``, which the real clock follows (it reads ``time.monotonic``/``time.time``
at every use and schedules on the loop), so they need nothing emulator-specific. ``clock="manual"``
is one argument away for tests that wait for emulated time (see README.md, "Time and device speed").

``other_host_allowed``: lets a test connect to 127.0.0.2 (``faults.redirect(other_host=True)``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
import pytest_socket

from .config import EmulatorConfig
from .reliability import OTHER_HOST
from .server import PduEmulator

EmulatorFactory = Callable[..., Awaitable[PduEmulator]]


@pytest_asyncio.fixture
async def emulator_factory(socket_enabled: None) -> AsyncIterator[EmulatorFactory]:
    """Yield ``async def make(**config_kwargs) -> PduEmulator`` (started, stopped at teardown)."""
    started: list[PduEmulator] = []

    async def make(**config_kwargs: Any) -> PduEmulator:
        emu = PduEmulator(EmulatorConfig(**config_kwargs))
        await emu.start(host="127.0.0.1", port=0)
        started.append(emu)
        return emu

    try:
        yield make
    finally:
        for emu in reversed(started):
            await emu.stop()


@pytest.fixture
def other_host_allowed(socket_enabled: None) -> None:
    """Let this test connect to the emulator's other host (``OTHER_HOST``, 127.0.0.2: where
    ``faults.redirect(other_host=True)`` points). Home Assistant's test plugin allows connections
    to 127.0.0.1 only, so without this fixture a client that follows such a redirect fails with
    pytest-socket's ``SocketConnectBlockedError`` instead of reaching the listener that counts
    what it sent (``other_host_requests``)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", OTHER_HOST])
