"""DSP and S1SP validation of service requests to SMETS1 devices, as small composable checks.

Order at the DSP (SEC Appendix AB, SRPD clause 6.1): user role permitted for the SRV, SRV
compatible with the device, Registration Data (clause 6.1(f), subject to the clause 6.2
exemptions), then SRV-specific checks (CPL for 11.1 and 11.3). Order at the S1SP (SRPD clause
16.1 and SEC Appendix AM clause 4.2): Registration Data, then certificate owner.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from smets_emu.parties.smets1.devices import SMETS1_DEVICE_CLASSES, DeviceState
from smets_emu.parties.smets1.store import (
    SWITCH_SECMP0107_DSP,
    SWITCH_SECMP0107_S1SP,
    CplEntry,
    Registration,
    Store,
)
from smets_emu.protocols.duis import (
    ActivateFirmware,
    DuisRequest,
    RemotePartyRole,
    ResponseCode,
    UpdateFirmware,
    UpdateSecurityCredentialsKrp,
)
from smets_emu.protocols.roles import duis_user_role


class UserRole(enum.StrEnum):
    """DUIS User Roles a service request can be sent in."""

    IMPORT_SUPPLIER = "IS"
    EXPORT_SUPPLIER = "ES"
    GAS_SUPPLIER = "GS"
    ELECTRICITY_DISTRIBUTOR = "ED"
    GAS_TRANSPORTER = "GT"
    OTHER_USER = "OU"

    @classmethod
    def parse(cls, text: str) -> UserRole:
        """A role from its DUIS code (``IS``) or any spelling of :mod:`smets_emu.protocols.roles`
        (``supplier``, ``ImportSupplier``, ``gas-supplier``, ``network-operator``), case-insensitively.

        :class:`~smets_emu.protocols.roles.RoleError` (a ``ValueError``) lists the valid spellings.
        """
        return cls(duis_user_role(text))


SUPPLIER_ROLES = frozenset({UserRole.IMPORT_SUPPLIER, UserRole.EXPORT_SUPPLIER, UserRole.GAS_SUPPLIER})
NETWORK_OPERATOR_ROLES = frozenset({UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER})
_ALL_RDP_ROLES = SUPPLIER_ROLES | NETWORK_OPERATOR_ROLES

SRV_USER_ROLES: dict[str, frozenset[UserRole]] = {
    "6.15.1": _ALL_RDP_ROLES,
    "6.21": _ALL_RDP_ROLES,
    "6.23": SUPPLIER_ROLES,
    "6.24.1": _ALL_RDP_ROLES | {UserRole.OTHER_USER},
    "11.1": SUPPLIER_ROLES,
    "11.2": _ALL_RDP_ROLES | {UserRole.OTHER_USER},
    "11.3": SUPPLIER_ROLES,
}
"""User roles eligible for each SRV the emulator implements (DUIS service request eligibility)."""

S1SP_SRVS = frozenset({"6.15.1", "6.21", "6.23", "6.24.1"})
"""SRVs the S1SP answers from the virtual anchor slots without involving the device."""

CRITICAL_SRVS = frozenset({"6.15.1", "11.3"})
"""SRVs whose sender must own the relevant anchor slot (S1SR clause 4.2)."""


class Stage(enum.Enum):
    """Where a check runs: at the DSP, or at the SMETS1 Service Provider."""

    DSP = "DSP"
    S1SP = "S1SP"


@dataclass(frozen=True)
class Rejection:
    """A failed check: the response code and why."""

    code: ResponseCode
    reason: str


class CplReader(Protocol):
    """Where the DSP reads the Central Products List: the store's own table, or the lab's CPL service."""

    def cpl_entries(self, manufacturer: str, model: str) -> list[CplEntry]:
        """Every CPL entry of a device model."""
        ...


@dataclass(frozen=True)
class RequestContext:
    """Everything a check may look at."""

    request: DuisRequest
    user_role: UserRole
    device: DeviceState
    store: Store
    stage: Stage
    cpl: CplReader | None = None  # None: the store's CPL table

    @property
    def registration(self) -> Registration | None:
        """Registration Data for the device's MPAN/MPRN."""
        return self.store.registration(self.device.mpxn)


Check = Callable[[RequestContext], Rejection | None]


def run_checks(checks: Sequence[Check], context: RequestContext) -> Rejection | None:
    """Run checks in order; the first rejection wins."""
    for check in checks:
        rejection = check(context)
        if rejection is not None:
            return rejection
    return None


def user_role_permitted(context: RequestContext) -> Rejection | None:
    """E2 when the user role may not send this SRV (DUIS eligibility)."""
    allowed = SRV_USER_ROLES.get(context.request.srv, frozenset())
    if context.user_role not in allowed:
        return Rejection(
            ResponseCode.USER_ROLE_NOT_PERMITTED_FOR_SRV,
            f"user role {context.user_role.value} may not send SRV {context.request.srv}",
        )
    return None


def srv_compatible_with_device(context: RequestContext) -> Rejection | None:
    """E11 when the SRV does not apply to this SMETS1 device type."""
    cls = SMETS1_DEVICE_CLASSES.get(context.device.device_type)
    srv = context.request.srv
    if cls is None or (srv not in S1SP_SRVS and srv not in cls.supported_srvs()):
        return Rejection(
            ResponseCode.SRV_NOT_COMPATIBLE_WITH_DEVICE,
            f"SRV {srv} is not compatible with SMETS1 {context.device.device_type}",
        )
    return None


def secmp0107_exempt(context: RequestContext) -> bool:
    """SECMP0107 Requirement 1 (SRPD clause 6.2(d), FIA 4.1 and 4.2.1): no RDP check for a SMETS1 6.15.1
    from an Electricity Distributor or Gas Transporter that targets the network-operator certificate,
    when the feature switch of this stage is on. Suppliers and every other role are still checked."""
    body = context.request.body
    switch = SWITCH_SECMP0107_DSP if context.stage is Stage.DSP else SWITCH_SECMP0107_S1SP
    return (
        context.request.srv == "6.15.1"
        and context.user_role in NETWORK_OPERATOR_ROLES
        and isinstance(body, UpdateSecurityCredentialsKrp)
        and body.remote_party_role is RemotePartyRole.NETWORK_OPERATOR
        and context.store.switch(switch)
    )


def registration_data(context: RequestContext) -> Rejection | None:
    """RDP check (SRPD 6.1(f) at the DSP, 16.1 at the S1SP): the sender must be the registered supplier
    or network operator for the device's MPAN/MPRN. Exempt: Other User (SRPD 6.2(c)) and SECMP0107.
    Failure is E4 at the DSP and S1VE4 at the S1SP."""
    if context.user_role is UserRole.OTHER_USER or secmp0107_exempt(context):
        return None
    code = (
        ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE
        if context.stage is Stage.DSP
        else ResponseCode.S1SP_REGISTRATION_DATA_CHECK_FAILED
    )
    registration = context.registration
    if registration is None:
        return Rejection(code, f"no Registration Data for MPxN {context.device.mpxn}")
    originator = context.request.originator
    if context.user_role in SUPPLIER_ROLES:
        ok, what = registration.supplier_id == originator, "supplier"
    else:
        ok, what = registration.network_operator_id == originator, "network operator"
    if not ok:
        return Rejection(code, f"sender is not the registered {what} for MPxN {registration.mpxn}")
    return None


def owned_slot_role(request: DuisRequest) -> RemotePartyRole:
    """The anchor slot the sender must own: the slot being replaced for Supplier and NetworkOperator,
    otherwise the Supplier slot (the supplier authorises other roles' certificates, GBCS 12)."""
    body = request.body
    if isinstance(body, UpdateSecurityCredentialsKrp) and body.remote_party_role in (
        RemotePartyRole.SUPPLIER,
        RemotePartyRole.NETWORK_OPERATOR,
    ):
        return body.remote_party_role
    return RemotePartyRole.SUPPLIER


def certificate_owner(context: RequestContext) -> Rejection | None:
    """S1VE64 (S1SR clause 4.2, SECMP0107 FIA 3.2): the Business Originator ID must match the entity of the
    certificate in the slot being replaced (6.15.1) or in the sender's slot (other critical SRVs)."""
    if context.request.srv not in CRITICAL_SRVS:
        return None
    role = owned_slot_role(context.request)
    slot = context.store.anchor(context.device.device_id, role.duis_name)
    if slot is None or slot.entity_id != context.request.originator:
        return Rejection(
            ResponseCode.S1SP_CERTIFICATE_OWNER_MISMATCH,
            f"the {role.duis_name} certificate on the device does not belong to the Business Originator",
        )
    return None


def cpl_firmware(context: RequestContext) -> Rejection | None:
    """DCC PPCT fast-track conclusions: the DSP checks that the firmware of SRV 11.1 (by version) and
    11.3 (by image hash) matches a Central Products List entry for the device model, else E110101."""
    body = context.request.body
    device = context.device
    entries = (context.cpl or context.store).cpl_entries(device.manufacturer, device.model)
    if isinstance(body, UpdateFirmware):
        if not any(e.firmware_version == body.firmware_version for e in entries):
            return Rejection(
                ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL,
                f"firmware version {body.firmware_version} is not on the CPL for {device.manufacturer}/{device.model}",
            )
    elif isinstance(body, ActivateFirmware):
        if not any(e.firmware_hash == body.firmware_hash for e in entries):
            return Rejection(
                ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL,
                f"no CPL entry for {device.manufacturer}/{device.model} has firmware hash {body.firmware_hash.hex()}",
            )
    return None


DSP_CHECKS: tuple[Check, ...] = (user_role_permitted, srv_compatible_with_device, registration_data, cpl_firmware)
"""DSP checks for a SMETS1 request, in SRPD clause 6.1 order."""
SMETS2_DSP_CHECKS: tuple[Check, ...] = (user_role_permitted, registration_data, cpl_firmware)
"""DSP checks before a request is turned into a GBCS command for a SMETS2 device (the device itself
then checks the command as GBCS requires)."""
S1SP_CHECKS: tuple[Check, ...] = (registration_data, certificate_owner)
"""S1SP checks, in the order SECMP0107 FIA 3.2 lists them (#2 RDP, #3 certificate owner)."""
