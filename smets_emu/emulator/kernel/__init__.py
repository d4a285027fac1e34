"""The device kernel: messages parsed once, a pure GBCS pipeline, responses and alerts built once.

:mod:`.messages` holds the values crossing the kernel's edge (Inbound, Outbound, Outcome),
:mod:`.pipeline` the security checks and dispatch (GBCS 4.3.1.5, 6.2.4), :mod:`.outbound` the
building and protection of responses and alerts (GBCS 7.2.8, 7.2.9), :mod:`.keys` the device's
key material caches.
"""
