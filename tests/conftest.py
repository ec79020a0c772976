"""Shared pytest configuration for the whole test suite."""

pytest_plugins = ["tests.emulator.pytest_plugin"]
