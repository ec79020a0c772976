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
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

from .config import EmulatorConfig
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
