"""Hosting of emulated devices: the fleet, its state store, the asyncio runtime and the simulated HAN."""
