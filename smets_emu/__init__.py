"""smets-emu: a virtual GB smart-metering lab speaking GBCS."""

__version__ = "0.1.0"
