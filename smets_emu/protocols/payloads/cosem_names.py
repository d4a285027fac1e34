"""Readable names for COSEM interface classes and the OBIS codes GBCS uses (informative only).

Class ids follow the DLMS Blue Book interface-class list plus the GBCS-specific class 9000;
OBIS names follow GBCS 5.11 (digest) and the Blue Book object naming. Nothing here
influences encoding: the names only decorate JSON output.
"""

from __future__ import annotations

CLASS_NAMES: dict[int, str] = {
    1: "Data",
    3: "Register",
    4: "Extended register",
    5: "Demand register",
    7: "Profile generic",
    8: "Clock",
    9: "Script table",
    10: "Schedule",
    11: "Special days table",
    15: "Association LN",
    18: "Image transfer",
    20: "Activity calendar",
    21: "Register monitor",
    22: "Single action schedule",
    30: "Data protection",
    64: "Security setup",
    70: "Disconnect control",
    71: "Limiter",
    104: "ZigBee network control",
    111: "Account",
    112: "Credit",
    113: "Charge",
    115: "Token gateway",
    9000: "GBCS extended data",
}
"""COSEM interface class id -> name (Blue Book; 9000 is GBCS-specific)."""

OBIS_NAMES: dict[str, str] = {
    "0-0:0.2.1.255": "Firmware version",
    "0-0:12.0.0.255": "Schedule",
    "0-0:1.0.0.255": "Clock",
    "0-0:10.0.100.255": "Tariffication script table",
    "0-0:10.0.106.255": "Disconnect control script table",
    "0-0:11.0.0.255": "Special days table",
    "0-0:13.0.0.255": "Activity calendar",
    "0-0:15.0.0.255": "Billing single action schedule",
    "0-0:17.0.0.255": "Limiter",
    "0-0:19.0.0.255": "Account",
    "0-0:19.40.0.255": "Token gateway",
    "0-0:30.3.0.255": "CHF device log (ZigBee network control)",
    "0-0:30.3.1.255": "CHF historic device log",
    "0-0:43.2.8.255": "Data protection",
    "0-0:96.1.1.255": "Device ID 2",
    "0-0:96.1.4.255": "Device ID 5",
    "0-0:96.1.6.255": "Device ID 7",
    "0-0:96.3.10.255": "Disconnect control",
    "0-0:99.98.0.255": "Event log",
    "0-0:99.98.1.255": "Security log",
    "1-0:1.6.0.255": "Maximum demand active import",
    "1-0:2.6.0.255": "Maximum demand active export",
    "1-0:2.8.0.255": "Active export register",
}
"""OBIS code (``A-B:C.D.E.F``) -> a short readable name, for the objects GBCS commands address."""


def class_name(class_id: int) -> str | None:
    """The interface class name for *class_id*, or None when unknown."""
    return CLASS_NAMES.get(class_id)


def obis_name(obis: str) -> str | None:
    """A readable name for an OBIS code in ``A-B:C.D.E.F`` form, or None when unknown."""
    return OBIS_NAMES.get(obis)
