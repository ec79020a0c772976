"""pytest plugin: the ``emulator_factory`` fixture (loaded by ``tests/conftest.py``).

```python
async def test_x(emulator_factory):
    emu = await emulator_factory(outlets=4, link_units=1)
```
Every emulator starts on 127.0.0.1 with a free port and is stopped at teardown. The fixture depends
on
pytest-socket's ``socket_enabled`` so it works under Home Assistant's test plugin (which blocks
sockets).
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
