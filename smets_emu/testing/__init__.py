"""In-process fleets for users' test suites (the ``smets_fleet`` and ``smets_client`` pytest fixtures)."""

from smets_emu.testing.fleet import SmetsClient, SmetsFleet, start_fleet

__all__ = ["SmetsClient", "SmetsFleet", "start_fleet"]
