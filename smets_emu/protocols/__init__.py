"""Pure GBCS codecs, crypto and PKI: bytes <-> typed messages.

Nothing here imports asyncio, serial I/O or the emulator, hw and tools layers.
"""
