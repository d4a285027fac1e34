"""Sample DLMS APDUs per GBCS message code (GBCS 5.11; digest App. A/B): the request of each DLMS use
case and the alert bodies, built from scratch for the corpus, the docs and the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads import dlms_values
from smets_emu.protocols.payloads.dlms_apdus import AccessRequest, AccessResponse, DataNotification, DlmsPayload
from smets_emu.protocols.payloads.dlms_data import PROTECTED_PREFIX, DataTag, TypeDescription
from smets_emu.protocols.payloads.dlms_types import (
    AccessRequestKind,
    AccessRequestSpec,
    AccessResponseKind,
    AccessResponseSpec,
    ActionResult,
    DataAccessResult,
    InvokeIdAndPriority,
    ObisCode,
)


def _u8(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.UNSIGNED, v)


def _u16(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.LONG_UNSIGNED, v)


def _u32(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, v)


def _i8(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.INTEGER, v)


def _i16(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.LONG, v)


def _charge(scaler: int, price_scaler: int, register: tuple[int, str, int], prices: tuple[tuple[str, int], ...]
            ) -> dlms_values.DlmsData:
    """A Charge (class 113) unit_charge: (commodity and price scalers, charge-per-unit scaler definition (class id,
    OBIS, attribute), charge table of (index, price)), as ECS01/ECS07 set it (GBCS 5.11; the DCC reference test
    data 1.1-2.3)."""
    class_id, obis, attribute = register
    table = tuple(_st(_os(index), _i16(price)) for index, price in prices)
    return _st(_st(_i8(scaler), _i8(price_scaler)),
               _st(_u16(class_id), _os(ObisCode.parse(obis).to_bytes().hex()), _i8(attribute)), _ar(*table))


def _i32(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.DOUBLE_LONG, v)


def _enum(v: int) -> dlms_values.DlmsData:
    return dlms_values.IntegerData(DataTag.ENUM, v)


def _os(hex_text: str) -> dlms_values.DlmsData:
    return dlms_values.OctetStringData(bytes.fromhex(hex_text))


def _vs(text: str) -> dlms_values.DlmsData:
    return dlms_values.StringData(DataTag.VISIBLE_STRING, text.encode("ascii"))


def _st(*items: dlms_values.DlmsData) -> dlms_values.DlmsData:
    return dlms_values.StructureData(tuple(items))


def _ar(*items: dlms_values.DlmsData) -> dlms_values.DlmsData:
    return dlms_values.ArrayData(tuple(items))


_TRUE = dlms_values.BooleanData(0xFF)
_NULL_VALUE = dlms_values.NullData()
_DATE_TIME = "07E9010FFF090000008000FF"  # 2025-01-15 09:00, weekday and deviation not specified
_WILD_DATE_TIME = "FFFFFFFFFFFFFFFFFF8000FF"
_DEVICE = "00DB1234567890A0"
_SUPPLIER = "90B3D51F30010000"
_SCALER_UNIT = _st(_i8(0), _enum(30))  # 10^0 Wh
_BITS = dlms_values.BitStringData(64, bytes(8))
_SCRIPT = _u16(1)
_RANGE = "range"  # marks a GET-with-selection by date range (selector 1, GBCS restricting object)

_K = AccessRequestKind
_SampleSpec = tuple[AccessRequestKind, int, str, int, Any]

_SAMPLE_SPECS: dict[int, tuple[_SampleSpec, ...]] = {
    # CCS01 registers the ESME (device type 1), CCS02 removes a device the default premises does not hold (the
    # RTDS PPMID), CCS03 restores the default premises' log (ESME, GSME, GPF): a sample leaves the lab's HAN intact.
    0x0001: ((_K.ACTION, 104, "0-0:30.3.0.255", 1, _st(_os(_DEVICE), _enum(1), _os("30313233343536373839414243444546"),
                                                        _enum(0))),
             (_K.SET, 104, "0-0:30.3.0.255", 3, _u16(90)),
             (_K.SET, 104, "0-0:30.3.0.255", 2, _TRUE)),
    0x0002: ((_K.ACTION, 104, "0-0:30.3.0.255", 2, _os("00DB1234567890A4")),),
    0x0003: ((_K.ACTION, 104, "0-0:30.3.0.255", 5, _st(_os("0000000000000140"), _ar(
        *(_st(_os(eui), _os("")) for eui in (_DEVICE, "00DB1234567890A1", "00DB1234567890A3"))))),),
    0x0004: ((_K.GET, 104, "0-0:30.3.0.255", 4, _ar(_st(_os("00DB1234567890A1"), _enum(1), _os(_DATE_TIME)))),),
    0x0007: ((_K.ACTION, 115, "0-0:19.40.0.255", 1, _os(b"73946144332040217315".hex())),),  # a 20-digit UTRN
    0x0019: ((_K.SET, 20, "0-0:13.0.0.255", 7, _ar(_st(_os("01"), _os("0000"), _os("01")))),
             (_K.SET, 20, "0-0:13.0.0.255", 10, _os(_DATE_TIME))),
    0x001A: ((_K.SET, 111, "0-1:19.0.0.255", 2, _st(_enum(1), _enum(1))),),
    0x001B: ((_K.SET, 111, "0-1:19.0.0.255", 2, _st(_enum(1), _enum(2))),),
    0x001C: ((_K.ACTION, 112, "0-0:19.10.0.255", 1, _i32(1000)),),
    0x001D: ((_K.ACTION, 9, "0-0:10.0.100.255", 1, _SCRIPT),),
    0x001E: ((_K.SET, 113, "0-0:19.20.1.255", 6, _charge(0, -1, (0, "0-0:0.0.0.0", 0), (("", 3),))),),
    0x0020: ((_K.ACTION, 112, "0-0:19.10.1.255", 3, _i8(0)),),
    0x0021: ((_K.SET, 1, "0-2:96.13.1.255", 2, _os("48656C6C6F")),),
    0x0022: ((_K.SET, 1, "0-0:94.44.3.2", 2, _os(_DATE_TIME)),),
    0x0023: ((_K.SET, 1, "0-0:94.44.3.1", 2, _os("00")),),
    0x0024: ((_K.ACTION, 7, "0-0:99.98.0.255", 1, _i8(0)),),
    0x0025: ((_K.SET, 9000, "0-0:96.13.0.255", 2, _os("5375707072")),),
    0x0026: ((_K.GET, 3, "1-0:2.8.0.255", 2, _u32(1234)), (_K.GET, 3, "1-0:2.8.0.255", 3, _SCALER_UNIT)),
    0x0028: ((_K.GET, 1, "0-0:94.44.34.20", 2, _st(_i32(0), _i32(0))),),
    0x002B: ((_K.GET, 4, "1-0:2.6.0.255", 2, _u32(0)),),
    0x002C: ((_K.GET, 4, "1-0:1.6.0.255", 2, _u32(0)),),
    0x002E: ((_K.GET_WITH_SELECTION, 7, "0-0:98.1.4.255", 2, _RANGE),),
    0x0035: ((_K.GET_WITH_SELECTION, 7, "0-0:98.1.10.255", 2, _RANGE),),
    0x0036: ((_K.GET_WITH_SELECTION, 7, "0-0:99.1.1.255", 2, _RANGE),),
    0x0038: ((_K.GET_WITH_SELECTION, 7, "0-0:99.1.2.255", 2, _RANGE),),
    0x0039: ((_K.GET, 3, "1-0:32.32.0.4", 2, _u32(0)), (_K.GET, 3, "1-0:32.32.0.4", 3, _SCALER_UNIT)),
    0x003A: ((_K.GET, 3, "0-0:94.44.1.7", 2, _u32(0)), (_K.GET, 20, "0-0:13.0.0.255", 3, _ar())),
    0x003B: ((_K.GET, 113, "0-0:19.20.1.255", 5, _st(_os(_DATE_TIME), _u16(0))),),
    0x003C: ((_K.GET, 71, "0-0:17.0.1.255", 4, _u32(0)),),
    0x003D: ((_K.GET, 1, "0-0:94.44.0.0", 2, _u16(0)),),
    0x003E: ((_K.GET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("FFFFFFFF"), _os("FFFFFF01FF")))),),
    0x003F: ((_K.GET, 1, "0-0:96.1.1.255", 2, _os(_DEVICE)), (_K.GET, 1, "0-0:96.1.4.255", 2, _os("01"))),
    0x0040: ((_K.GET, 21, "0-0:16.0.0.255", 2, _ar(_u32(0))),),
    0x0042: ((_K.GET, 9000, "0-0:94.44.0.3", 2, _TRUE), (_K.GET, 3, "0-0:94.44.42.255", 2, _u32(0))),
    0x0043: ((_K.SET, 9000, "0-0:94.44.0.3", 4, _TRUE), (_K.SET, 9000, "0-0:94.44.128.7", 4, _u32(0))),
    0x0044: ((_K.ACTION, 3, "0-0:94.44.42.255", 1, _i8(0)),),
    0x0045: ((_K.SET, 7, "1-0:32.24.0.255", 4, _u32(900)),),
    0x0046: ((_K.SET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFF01FF")))),),
    0x0047: ((_K.SET, 21, "0-0:16.0.0.255", 2, _ar(_u32(0))),),
    0x0048: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.0.255", 2, _RANGE),),
    0x0049: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.1.255", 2, _RANGE),),
    0x004A: ((_K.SET, 10, "0-0:12.0.0.255", 2, _ar()),),
    0x004B: ((_K.SET, 1, "0-0:94.44.0.1", 2, _u16(60)),),
    0x004C: ((_K.SET, 1, "0-0:94.44.34.11", 2, _os("31323334353637383930313233")),),
    0x004D: ((_K.SET, 1, "1-0:0.0.2.255", 2, _os("31323334353637383930313233")),),
    0x004E: ((_K.GET, 1, "0-0:94.44.34.11", 2, _os("31323334353637383930313233")),),
    0x004F: ((_K.ACTION, 9, "0-0:10.0.106.255", 1, _u16(0x33)),),
    0x0050: ((_K.ACTION, 9, "0-0:10.0.106.255", 1, _u16(0x34)),),
    0x0051: ((_K.ACTION, 9, "0-0:10.0.106.255", 1, _u16(0x35)),),
    0x0052: ((_K.GET, 70, "0-0:96.3.10.255", 3, _enum(1)),),
    0x0053: ((_K.SET, 1, "0-0:94.44.0.11", 2, _vs("Storage heater")),),
    0x0054: ((_K.SET, 1, "0-0:94.44.0.21", 2, _os("00")),),
    0x0055: ((_K.SET, 1, "0-0:94.44.117.1", 2, _u16(1)), (_K.ACTION, 9, "0-0:10.0.103.255", 1, _SCRIPT)),
    0x0058: ((_K.SET, 1, "0-3:96.13.1.255", 2, _os("0102030405060708")),),
    0x0059: ((_K.GET, 1, "0-0:0.2.1.255", 2, _os("0123ABCD")),),
    0x005A: ((_K.ACTION, 4, "1-0:1.6.0.255", 1, _i8(0)),),
    0x005E: ((_K.GET, 1, "0-0:94.44.7.255", 2, _TRUE),),
    0x005F: ((_K.SET, 1, "0-0:94.44.6.1", 2, _TRUE),),
    0x0062: ((_K.SET, 8, "0-0:1.0.0.255", 9, _enum(1)),
             (_K.ACTION, 8, "0-0:1.0.0.255", 5, _st(_os(_WILD_DATE_TIME), _os(_DATE_TIME), _os(_DATE_TIME))),
             (_K.GET, 8, "0-0:1.0.0.255", 2, _os(_DATE_TIME))),
    0x0068: ((_K.SET, 1, "0-0:94.44.0.4", 2, _TRUE),),
    0x0069: ((_K.GET, 112, "0-0:19.10.0.255", 2, _i32(1000)),),
    0x0092: ((_K.GET, 1, "0-0:96.1.1.255", 2, _os(_DEVICE)), (_K.GET, 1, "0-0:96.1.4.255", 2, _os("02"))),
    0x0093: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.0.255", 2, _RANGE),),
    0x0094: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.1.255", 2, _RANGE),),
    0x00A2: ((_K.SET, 113, "0-0:19.20.4.255", 6, _charge(0, -5, (0, "0-0:0.0.0.0", 0), (("", 20000),))),),
    0x00AC: ((_K.SET, 1, "0-30:97.98.11.255", 2, _BITS),),
    0x00AE: ((_K.SET, 7, "1-0:32.24.0.255", 4, _u32(900)),),
    0x00B0: ((_K.SET, 1, "0-33:97.98.11.255", 2, _BITS),),
    0x00B3: ((_K.ACTION, 112, "0-0:19.10.0.255", 2, _i32(0)),),
    0x00B7: ((_K.SET, 113, "0-0:19.20.5.255", 6, _charge(3, -5, (3, "1-20:1.8.0.255", 2), (("01", 10100),))),),
    0x00B9: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.4.255", 2, _RANGE),),
    0x00BA: ((_K.GET_WITH_SELECTION, 7, "0-17:99.98.2.255", 2, _RANGE),),
    0x00BB: ((_K.GET, 1, "0-0:94.44.0.11", 2, _vs("Storage heater")),),
    0x00BC: ((_K.GET, 3, "1-0:32.32.0.4", 2, _u32(0)),),
    0x00BD: ((_K.GET, 3, "0-0:94.44.1.8", 2, _u32(0)),),
    0x00BE: ((_K.GET, 111, "0-0:19.0.0.255", 2, _st(_enum(1), _enum(1))),),
    0x00C1: ((_K.ACTION, 7, "0-17:99.98.2.255", 1, _i8(0)),),
    0x00C6: ((_K.GET, 71, "0-0:17.0.1.255", 4, _u32(0)),),
    0x00C7: ((_K.SET, 113, "0-0:19.20.5.255", 6, _charge(3, -5, (3, "1-20:1.8.0.255", 2), (("01", 1010),))),),
    0x00C9: ((_K.GET_WITH_SELECTION, 7, "0-0:98.1.5.255", 2, _RANGE),),
    0x00D1: ((_K.SET, 1, "1-0:32.31.0.4", 2, _u32(2530)),),
    0x00D2: ((_K.SET, 1, "1-0:52.31.0.4", 2, _u32(2530)),),
    0x00D3: ((_K.ACTION, 3, "1-0:32.32.0.4", 1, _i8(0)),),
    0x00D4: ((_K.ACTION, 3, "1-0:52.32.0.4", 1, _i8(0)),),
    0x00D7: ((_K.SET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFF01FF")))),),
    0x00D9: ((_K.GET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFF01FF")))),),
    0x00DB: ((_K.SET, 22, "0-0:15.1.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFFFFFF")))),),
    0x00EA: ((_K.SET, 1, "0-30:97.98.12.255", 2, _BITS),),
    0x00EB: ((_K.SET, 1, "0-30:97.98.13.255", 2, _BITS),),
    0x00EC: ((_K.SET, 1, "0-30:97.98.14.255", 2, _BITS),),
    0x00ED: ((_K.SET, 1, "0-33:97.98.14.255", 2, _BITS),),
    0x00EE: ((_K.GET, 1, "0-30:97.98.15.255", 2, _BITS),),
    0x00EF: ((_K.GET, 1, "0-33:97.98.15.255", 2, _BITS),),
    0x00F9: ((_K.GET, 1, "0-0:96.1.2.255", 2, _os("01")), (_K.GET, 1, "0-0:96.1.4.255", 2, _os("01"))),
    0x00FA: ((_K.GET, 1, "0-0:96.1.4.255", 2, _os("02")), (_K.GET, 1, "0-0:96.1.6.255", 2, _os(_DEVICE[4:]))),
    0x00FD: ((_K.GET_WITH_SELECTION, 7, "0-17:99.98.2.255", 2, _RANGE),),
    0x00FE: ((_K.ACTION, 104, "0-0:30.3.0.255", 4, _NULL_VALUE),),
    0x010A: ((_K.GET, 1, "0-0:94.44.10.2", 2, dlms_values.BitStringData(32, bytes(4))),),
    0x010B: ((_K.GET_WITH_SELECTION, 7, "0-0:94.44.10.3", 2, _RANGE),),
    0x010C: ((_K.GET, 1, "0-0:94.44.10.0", 2, _st(_u8(0), _u8(0))),),
    0x010D: ((_K.SET, 1, "0-0:94.44.10.0", 2, _st(_u8(0), _u8(0))),),
    0x010E: ((_K.SET, 1, "0-0:94.44.10.1", 2, _u8(1)),),
    0x010F: ((_K.GET, 104, "0-0:30.3.0.255", 4, _ar(_st(_os("00DB1234567890A1"), _enum(1), _os(_DATE_TIME)))),),
    0x011A: ((_K.SET, 11, "0-1:11.0.3.255", 2, _ar()),),
    0x011C: ((_K.GET, 1, "0-0:94.44.0.11", 2, _vs("Storage heater")),),
    0x011D: ((_K.GET, 1, "0-0:94.44.0.21", 2, _os("00")),),
    0x011E: ((_K.SET, 1, "0-0:94.44.121.1", 2, _os("01")), (_K.ACTION, 9, "0-0:10.0.103.255", 1, _SCRIPT)),
    0x011F: ((_K.SET, 1, "0-0:94.44.119.3", 2, _os("01")), (_K.ACTION, 9, "0-0:10.0.107.255", 1, _SCRIPT)),
}
"""Per message code, the COSEM objects a plausible command addresses, with the SET/ACTION parameter or
the GET result value (facts from GBCS use cases; values are illustrative)."""

_PROTECTED_READS: dict[int, tuple[str, tuple[tuple[int, str, bool], ...]]] = {
    0x0027: ("0-0:43.2.8.255", ((1, "0-0:94.44.34.10", False),)),  # ECS17b import energy registers
    0x0029: ("0-0:43.2.9.255", ((1, "0-0:94.44.34.1", False),)),  # ECS17d TOU registers
    0x002A: ("0-0:43.2.10.255", ((1, "0-0:94.44.34.2", False),)),  # ECS17e TOU with blocks registers
    0x002D: ("0-0:43.2.1.255", ((1, "0-0:94.44.34.30", False),)),  # ECS19 prepayment registers
    0x002F: ("0-0:43.2.3.255", ((7, "0-0:98.1.2.255", True),)),  # ECS20b billing data log (mode/tariff change)
    0x0030: ("0-0:43.2.2.255", ((7, "0-0:98.1.0.255", True), (7, "0-0:98.1.1.255", True))),  # ECS20c
    0x0033: ("0-0:43.2.5.255", ((7, "0-0:98.1.9.255", True),)),  # ECS21a daily read log
    0x0034: ("0-0:43.2.6.255", ((7, "0-0:98.1.8.255", True),)),  # ECS21b prepayment daily read log
    0x0037: ("0-0:43.2.7.255", ((7, "0-0:99.1.0.255", True),)),  # ECS22b half-hour profile (active import)
    0x0060: ("0-0:43.2.4.255", ((7, "0-0:99.1.3.255", True),)),  # ECS66 daily consumption log
}
"""Use cases read through Data protection "get protected attributes" (class 30, method 1): the Data protection
object and the objects its object list names (class id, OBIS, attribute 2; buffers read over a date range), as the
GBCS use cases address them (the DCC reference test data, 4.1-4.17)."""

_ALERT_CODES: dict[int, int] = {
    0x0018: 0x8F12, 0x0061: 0x8F0A, 0x0067: 0x8F36, 0x00CC: 0x8F66, 0x00CE: 0x8F72,
    0x00F0: 0x81A0, 0x0110: 0x8F20, 0x0111: 0x8F26, 0x0112: 0x8F28, 0x0113: 0x8F2A, 0x0114: 0x8F2C,
    0x0115: 0x8F2D, 0x0120: 0x8F85, 0x0121: 0x8F86, 0x0122: 0x8F87, 0x0123: 0x8F88, 0x1000: 0x8F30,
    0x1001: 0x810E,
}
"""Alert code carried by each DLMS alert message code (GBCS 5.9, 5.10, 5.13 of the digest; Appendix C)."""


def _protection_parameters(counter: int, originator: str, recipient: str) -> dlms_values.DlmsData:
    """Blue Book class 30 protection parameters: authenticated encryption, agreed key C(0e, 2s) (GBCS 5.11)."""
    options = _st(
        _os("04" + f"{counter:016X}"), _os(originator), _os(recipient), _os(""),
        _st(_enum(2), _st(_os("02"), _os(""))),
    )
    return _ar(_st(_enum(2), options))


def _fake_protect(plaintext: bytes) -> bytes:
    return PROTECTED_PREFIX + bytes(len(plaintext)) + bytes(12)


_RANGE_FROM = 0x2F19B700  # 2025-01-15 00:00:00 UTC, seconds since 2000-01-01 (GBCS UTC)
_RANGE_TO = _RANGE_FROM + 86400


def _range_parameters() -> dlms_values.DlmsData:
    """Selector 1 (range descriptor, Blue Book class 7) as GBCS uses it: the restricting object is the GBCS UTC
    time (class 1 ``0-0:94.44.100.255`` attribute 2), from and to are UTC seconds since 2000, all columns."""
    restricting = _st(_u16(1), _os("00005E2C64FF"), _i8(2), _u16(0))
    return _st(restricting, _u32(_RANGE_FROM), _u32(_RANGE_TO), _ar())


def _protected_object_list(code: int) -> dlms_values.DlmsData:
    """The object list of a "get protected attributes" parameter: per object (class id, OBIS, attribute 2,
    data index 0, access selection), a buffer restricted to one day by date-time range (GBCS 5.11)."""
    entries = []
    for class_id, obis, ranged in _PROTECTED_READS[code][1]:
        selection = (_st(_enum(1), _st(_os("07E9010FFF000000008000FF"), _os("07E90110FF000000008000FF")))
                     if ranged else _st(_enum(0), _NULL_VALUE))
        entries.append(_st(_u16(class_id), _os(ObisCode.parse(obis).to_bytes().hex()), _i8(2), _u16(0), selection))
    return _ar(*entries)


def _sample_specs(code: int) -> tuple[_SampleSpec, ...]:
    if code in _PROTECTED_READS:
        return ((_K.ACTION, 30, _PROTECTED_READS[code][0], 1, None),)
    return _SAMPLE_SPECS.get(code, ((_K.GET, 1, "0-0:0.2.1.255", 2, _os("0123ABCD")),))


def _sample_alert(code: int, counter: int, protect: Callable[[bytes], bytes]) -> dlms_values.DlmsData:
    items: list[dlms_values.DlmsData] = [_u16(_ALERT_CODES.get(code, 0x8F30)), _os(_DATE_TIME)]
    if code == 0x00CC:
        target = (0x0019).to_bytes(2, "big") + (1000).to_bytes(8, "big") + (20).to_bytes(2, "big")
        items.append(dlms_values.OctetStringData(target + bytes.fromhex("00000D0000FF") + b"\x0a"))
    elif code == 0x00CE:
        items.append(dlms_values.OctetStringData(bytes([0xA1]) * 32))
    elif code == 0x00F0:
        items.append(_os("0001"))
    elif code == 0x0018:
        items.append(_st(_os(_DATE_TIME), _os("0001020304050607"), _ar(_st(_os("00DB1234567890A1"), _os("00" * 16)))))
    elif code == 0x0061:
        log = _ar(_st(_os(_DATE_TIME), _u32(1234), _i32(0)))
        protected = dlms_values.OctetStringData(protect(log.encode()))
        items += [_protection_parameters(counter, _DEVICE, _SUPPLIER), protected]
    elif code == 0x0067:
        items += [_os(_DATE_TIME), _os(_DATE_TIME)]
    elif 0x0110 <= code <= 0x0115:
        items.append(_os("00DB1234567890A1"))
    elif code == 0x0123:
        items.append(dlms_values.StringData(DataTag.UTF8_STRING, b'{"status":"ok"}'))
    return dlms_values.StructureData(tuple(items))


def sample_dlms(
    message_code: int, cra_flag: int, *, invoke_id: int = 1000, encrypt: Callable[[bytes], bytes] | None = None
) -> DlmsPayload:
    """Build a plausible DLMS payload for *message_code* and CRA flag (1 command, 2 response, 3 alert).

    ``encrypt`` (plaintext -> ``31 00000000`` || ciphertext || tag) encrypts the protected parts of
    Data-protection responses and the ECS68 alert; without it they carry a zero placeholder blob.
    Unknown codes get a generic firmware-version read.
    """
    protect = encrypt or _fake_protect
    invoke = InvokeIdAndPriority(invoke_id & 0xFFFFFF)
    if cra_flag == 3:
        return DataNotification(invoke, _sample_alert(message_code, invoke_id, protect))
    if cra_flag not in (1, 2):
        raise EncodeError(f"CRA flag must be 1, 2 or 3, got {cra_flag}")
    specs: list[AccessRequestSpec] = []
    command_data: list[dlms_values.DlmsData] = []
    response_data: list[dlms_values.DlmsData] = []
    for kind, class_id, obis, member, value in _sample_specs(message_code):
        selector, parameters = (1, _range_parameters()) if value is _RANGE else (None, None)
        specs.append(AccessRequestSpec(kind, class_id, ObisCode.parse(obis), member, selector, parameters))
        if class_id == 30:
            request = _st(_protected_object_list(message_code), _protection_parameters(invoke_id, _SUPPLIER, _DEVICE))
            reading = _st(_st(_u32(1234), _st(_i8(0), _enum(30))))
            command_data.append(request)
            response_data.append(_st(_protection_parameters(invoke_id, _DEVICE, _SUPPLIER),
                                     dlms_values.OctetStringData(protect(reading.encode()))))
        elif kind in (_K.GET, _K.GET_WITH_SELECTION):
            command_data.append(_NULL_VALUE)
            response_data.append(_sample_profile() if value is _RANGE else value)
        else:
            command_data.append(value)
            response_data.append(_NULL_VALUE)
    if cra_flag == 1:
        return AccessRequest(invoke, tuple(specs), tuple(command_data))
    results = tuple(
        AccessResponseSpec(AccessResponseKind.ACTION, ActionResult.SUCCESS) if s.kind == _K.ACTION
        else AccessResponseSpec(AccessResponseKind.SET if s.kind in (_K.SET, _K.SET_WITH_SELECTION)
                                else AccessResponseKind.GET, DataAccessResult.SUCCESS)
        for s in specs
    )
    return AccessResponse(invoke, tuple(response_data), results)


def _sample_profile() -> dlms_values.DlmsData:
    """A profile buffer as GBCS devices return it: a compact array of (date-time, value) entries."""
    description = TypeDescription(DataTag.STRUCTURE, (TypeDescription(DataTag.OCTET_STRING),
                                                      TypeDescription(DataTag.DOUBLE_LONG_UNSIGNED)))
    entries = tuple(_st(_os(_DATE_TIME), _u32(n)) for n in (100, 200))
    return dlms_values.CompactArrayData(description, entries)
