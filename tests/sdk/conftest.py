"""Fixtures for the SDK tests: the official bindings are synchronous, so the emulator runs in a
background thread with its own event loop while the test thread calls the SDK."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from tests.emulator import EmulatorConfig, PduEmulator

T = TypeVar("T")


class EmulatorThread:
    """An emulator served from a dedicated thread + event loop."""

    def __init__(self, **config: Any) -> None:
        self.emu = PduEmulator(EmulatorConfig(**config))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sdk-emulator")

    def start(self) -> None:
        self.thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.emu.start("127.0.0.1", 0), self.loop).result(30)
        except BaseException:
            self._shutdown_loop()
            raise

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the emulator's loop (for model changes that start timers)."""

        async def runner() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(runner(), self.loop).result(30)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.emu.stop(), self.loop).result(30)
        finally:
            self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()

    @property
    def url(self) -> str:
        return self.emu.url


@pytest.fixture
def threaded_emulator(socket_enabled: None) -> Iterator[Callable[..., EmulatorThread]]:
    """``make(**config) -> EmulatorThread`` (started; stopped and joined at teardown)."""
    started: list[EmulatorThread] = []

    def make(**config: Any) -> EmulatorThread:
        emu = EmulatorThread(**config)
        emu.start()
        started.append(emu)
        return emu

    try:
        yield make
    finally:
        for emu in started:
            emu.stop()
