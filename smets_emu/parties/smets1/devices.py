"""SMETS1 devices: ESME, GSME, CHF and GPF with their own (non-GBCS) behaviour.

A SMETS1 device does not hold organisation certificates: its trust anchors are virtual slots
kept by the SMETS1 Service Provider (SECMP0107 FIA 4.2.2). What the device itself owns is its
firmware: the running version, and an image received by SRV 11.1 waiting for SRV 11.3.
Device logic is sans-IO: ``handle(command, state, now)`` returns the new state and the reply.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from smets_emu.protocols.duis.response import ResponseElement


class Generation(enum.StrEnum):
    """SMETS generation of an inventory entry."""

    SMETS1 = "SMETS1"
    SMETS2 = "SMETS2"


class DeviceType(enum.StrEnum):
    """Device types in the Smart Metering Inventory."""

    ESME = "ESME"
    GSME = "GSME"
    CHF = "CHF"
    GPF = "GPF"
    PPMID = "PPMID"
    HCALCS = "HCALCS"


class Fuel(enum.StrEnum):
    """Which registration (MPAN or MPRN) a device answers to."""

    ELECTRICITY = "electricity"
    GAS = "gas"


@dataclass(frozen=True)
class DeviceState:
    """One inventory entry and the device-held state (anchors live in the S1SP, not here)."""

    device_id: bytes
    device_type: DeviceType
    generation: Generation
    manufacturer: str
    model: str
    firmware_version: str
    mpxn: str | None
    pending_firmware_version: str | None = None
    pending_firmware_hash: bytes | None = None

    @property
    def fuel(self) -> Fuel:
        """Gas for GSME/GPF, else electricity; an MPRN (up to 10 digits) also means gas for a CHF."""
        if self.device_type in (DeviceType.GSME, DeviceType.GPF):
            return Fuel.GAS
        if self.device_type is DeviceType.CHF and self.mpxn is not None and len(self.mpxn) <= 10:
            return Fuel.GAS
        return Fuel.ELECTRICITY


@dataclass(frozen=True)
class DeviceCommand:
    """A command the S1SP sends to a SMETS1 device after validation (device-specific, not GBCS)."""

    srv: str
    firmware_version: str | None = None
    firmware_hash: bytes | None = None


@dataclass(frozen=True)
class DeviceReply:
    """The device's answer: new state, whether it carried out the command, and response content."""

    state: DeviceState
    accepted: bool
    body: tuple[ResponseElement, ...] = ()
    reason: str | None = None


Handler = Callable[["Smets1Device", DeviceCommand, DeviceState, datetime], DeviceReply]

# Handler function -> the SRV it carries out, filled by Smets1Device.handles.
_SRV_MARKS: dict[Callable[..., DeviceReply], str] = {}


class Smets1Device:
    """Base SMETS1 device: firmware handlers registered per SRV with :meth:`handles`."""

    device_type: ClassVar[DeviceType]
    _handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _collect_handlers(cls)

    @staticmethod
    def handles(srv: str) -> Callable[[Handler], Handler]:
        """Register the decorated method as the handler for ``srv``; a duplicate in one class fails at import."""

        def decorate(function: Handler) -> Handler:
            if function in _SRV_MARKS:
                raise TypeError(f"{function.__qualname__} already handles SRV {_SRV_MARKS[function]}")
            _SRV_MARKS[function] = srv
            return function

        return decorate

    @classmethod
    def supported_srvs(cls) -> frozenset[str]:
        """SRVs this device type carries out itself."""
        return frozenset(cls._handlers)

    def handle(self, command: DeviceCommand, state: DeviceState, now: datetime) -> DeviceReply:
        """Carry out a command; an unknown one is refused, never raised."""
        handler = self._handlers.get(command.srv)
        if handler is None:
            return DeviceReply(state, False, reason=f"{self.device_type} does not support SRV {command.srv}")
        return handler(self, command, state, now)

    @handles("11.2")
    def _read_firmware_version(self, command: DeviceCommand, state: DeviceState, now: datetime) -> DeviceReply:
        """SRV 11.2: report the running firmware version."""
        body = (
            ResponseElement(
                "FirmwareVersionRsp",
                children=(
                    ResponseElement("DeviceID", _eui(state.device_id)),
                    ResponseElement("FirmwareVersion", state.firmware_version),
                    ResponseElement("DeviceModel", state.model),
                    ResponseElement("DeviceManufacturer", state.manufacturer),
                ),
            ),
        )
        return DeviceReply(state, True, body)

    @handles("11.1")
    def _receive_image(self, command: DeviceCommand, state: DeviceState, now: datetime) -> DeviceReply:
        """SRV 11.1: store a distributed image until it is activated."""
        new = replace(
            state, pending_firmware_version=command.firmware_version, pending_firmware_hash=command.firmware_hash
        )
        return DeviceReply(new, True)

    @handles("11.3")
    def _activate(self, command: DeviceCommand, state: DeviceState, now: datetime) -> DeviceReply:
        """SRV 11.3: switch to the stored image if its hash matches the one named."""
        if state.pending_firmware_hash is None or state.pending_firmware_hash != command.firmware_hash:
            return DeviceReply(state, False, reason="no distributed firmware image with that hash on the device")
        version = state.pending_firmware_version or state.firmware_version
        new = replace(state, firmware_version=version, pending_firmware_version=None, pending_firmware_hash=None)
        body = (ResponseElement("FirmwareActivated", children=(ResponseElement("FirmwareVersion", version),)),)
        return DeviceReply(new, True, body)


def _collect_handlers(cls: type[Smets1Device]) -> None:
    """Inherit the bases' handlers, add the class's own; two handlers for one SRV in a class is an error."""
    merged: dict[str, Handler] = {}
    for base in reversed(cls.__mro__[1:]):
        merged.update(getattr(base, "_handlers", {}))
    own: dict[str, Handler] = {}
    for value in vars(cls).values():
        srv = _SRV_MARKS.get(value) if callable(value) else None
        if srv is None:
            continue
        if srv in own:
            raise TypeError(f"{cls.__name__} registers two handlers for SRV {srv}")
        own[srv] = value
    merged.update(own)
    cls._handlers = merged


_collect_handlers(Smets1Device)


class Esme(Smets1Device):
    """SMETS1 Electricity Smart Metering Equipment."""

    device_type = DeviceType.ESME


class Gsme(Smets1Device):
    """SMETS1 Gas Smart Metering Equipment."""

    device_type = DeviceType.GSME


class Chf(Smets1Device):
    """SMETS1 Communications Hub Function."""

    device_type = DeviceType.CHF


class Gpf(Smets1Device):
    """SMETS1 Gas Proxy Function."""

    device_type = DeviceType.GPF


SMETS1_DEVICE_CLASSES: dict[DeviceType, type[Smets1Device]] = {cls.device_type: cls for cls in (Esme, Gsme, Chf, Gpf)}


def smets1_device(device_type: DeviceType) -> Smets1Device | None:
    """The behaviour object for a SMETS1 device type, or None if the type has no SMETS1 form."""
    cls = SMETS1_DEVICE_CLASSES.get(device_type)
    return cls() if cls is not None else None


def _eui(eui: bytes) -> str:
    return "-".join(f"{b:02X}" for b in eui)
