"""Metering: the consumption model behind registers, profiles and snapshots (SMETS2 5.6.4, 5.7.4)."""
