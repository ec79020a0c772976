"""Changes pushed by the PDU: the event channel of a config entry (issue #10).

One task per entry long-polls the primary unit's event channel beside the polls (which stay
one bulk per interval): each ``pollEvents`` waits up to ~30 s on the device, outside the device's
lock and outside the poll's time budget, and answers as soon as something changed. Every event
goes to :meth:`.coordinator.RaritanCoordinator.async_apply_event` (the ordered path of
commands), so a switched outlet or a tripped breaker shows within a second.

The channel is recreated after any failure (the session expired, the PDU rebooted, a timeout),
at once the first time and then with a doubling backoff; after a recreation one poll reads what
the lost channel may have missed. A PDU without the event service (HTTP 404 or an unknown
method) or an account that may not use it: polling only, said once in the debug log.
"""

from __future__ import annotations

import asyncio
import contextlib

from homeassistant.core import HomeAssistant, callback

from .const import LOGGER
from .coordinator import RaritanCoordinator
from .xerus import EventChannel, XerusError, channel_retry_delay, channel_unsupported


class EventStream:
    """The long-poll task of one config entry (``coordinator.push``)."""

    def __init__(self, hass: HomeAssistant, coordinator: RaritanCoordinator) -> None:
        """Prepare the stream (no I/O)."""
        self._hass = hass
        self._coordinator = coordinator
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        #: False once the device said it has no event service for this account.
        self.supported = True

    @callback
    def async_start(self) -> None:
        """Open the first channel (a tracked task: setup work), then start the long polls.

        The long-poll loop is not a tracked Home Assistant task: it never ends on its own, and
        Home Assistant (and its tests) wait for tracked tasks to finish. :meth:`async_stop`
        cancels it (unload, and Home Assistant stopping: ``coordinator.async_shutdown``).
        """
        if self._task is None:
            entry = self._coordinator.config_entry
            self._task = entry.async_create_task(
                self._hass, self._async_first(), f"{self._coordinator.name} event channel"
            )

    async def async_stop(self) -> None:
        """Stop at once (the waiting request is cancelled); the channel dies with the session
        the client closes next."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _async_first(self) -> None:
        """The first channel: a device without the service is told apart here, once."""
        coordinator = self._coordinator
        first = coordinator.client.event_channel()
        channel: EventChannel | None = first
        try:
            await first.open()
        except XerusError as err:
            if channel_unsupported(err):
                self.supported = False
                LOGGER.debug(
                    "%s offers no event channel (%s): polling only",
                    coordinator.config_entry.title,
                    err,
                )
                return
            self._note_failure(err)
            channel = None
        else:
            coordinator.push_stats["channels"] += 1
        if self._task is not None:  # not stopped meanwhile
            self._task = self._hass.loop.create_task(
                self._async_run(channel), name=f"{coordinator.name} events"
            )

    def _note_failure(self, err: XerusError) -> float:
        self._failures += 1
        delay = channel_retry_delay(self._failures)
        LOGGER.debug(
            "The event channel of %s failed (%s): a new one in %.0f s",
            self._coordinator.config_entry.title,
            err,
            delay,
        )
        return delay

    async def _async_run(self, channel: EventChannel | None) -> None:
        """Long-poll ``channel``; on failure create a new one (and poll once: events may
        have been lost with the old one)."""
        coordinator = self._coordinator
        if channel is None:
            await asyncio.sleep(channel_retry_delay(self._failures))
        while True:
            try:
                if channel is None:
                    channel = coordinator.client.event_channel()
                    await channel.open()
                    coordinator.push_stats["channels"] += 1
                    await coordinator.async_request_refresh()
                await self._async_poll(channel)
            except XerusError as err:
                channel = None
                await asyncio.sleep(self._note_failure(err))

    async def _async_poll(self, channel: EventChannel) -> None:
        """Long-poll until the channel fails (it raises ``XerusError``)."""
        coordinator = self._coordinator
        stats = coordinator.push_stats
        while True:
            batch = await channel.poll()
            self._failures = 0
            stats["long_polls"] += 1
            stats["events"] += len(batch.events)
            for event in batch.events:
                coordinator.async_apply_event(event)
