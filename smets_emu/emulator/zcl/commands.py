"""Behaviours of the Smart Energy cluster commands a GSME or GPF receives (SE 1.4 Annex D, GBCS 7.5).

The registry and shared helpers live in :mod:`.registry`; each cluster group registers its
behaviours on import: :mod:`.clusters_metering` (Price, Metering, Messaging),
:mod:`.clusters_prepayment` (Prepayment) and :mod:`.clusters_calendar` (Calendar, Device
Management, Events). GBCS encodes supplier pushes (prices, calendars, messages, device
management) as server-to-client "Publish ..." commands; the meter answers each with a Default
Response.
"""

from smets_emu.emulator.zcl import clusters_calendar, clusters_metering, clusters_prepayment
from smets_emu.emulator.zcl.registry import (
    BEHAVIOURS,
    CANCEL_TIMES,
    NO_SAMPLE,
    Behaviour,
    ExecContext,
    Reply,
    TopUpCheck,
    behaviour,
    default_response,
    lookup,
)

CLUSTER_MODULES = (clusters_metering, clusters_prepayment, clusters_calendar)
"""The modules whose behaviours are registered (imported for that effect)."""

__all__ = [
    "BEHAVIOURS",
    "CANCEL_TIMES",
    "CLUSTER_MODULES",
    "NO_SAMPLE",
    "Behaviour",
    "ExecContext",
    "Reply",
    "TopUpCheck",
    "behaviour",
    "default_response",
    "lookup",
]
