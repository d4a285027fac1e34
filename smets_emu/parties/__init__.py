"""The remote-party side of the lab: services that act on devices from outside them.

Nothing under :mod:`smets_emu.emulator` imports this package (import-linter): a device cannot know
how a remote party decided what to send it.
"""
