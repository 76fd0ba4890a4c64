"""Helpers for driving the Textual apps in tests."""

from __future__ import annotations

import asyncio
import time


def run_app(app, body, size=(100, 32)):
    """Run ``await body(app, pilot)`` inside ``app.run_test``."""

    async def main():
        async with app.run_test(size=size) as pilot:
            await body(app, pilot)

    asyncio.run(main())


async def wait_until(pilot, condition, timeout_s: float = 20.0, step_s: float = 0.05):
    """Let the app run until ``condition()`` holds (the capture thread is real)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(step_s)
