"""Role spellings shared by every command: DUIS User Roles and GBCS remote party roles.

DUIS service requests are sent in a *User Role* (``IS`` Import Supplier, ``ES`` Export Supplier,
``GS`` Gas Supplier, ``ED`` Electricity Distributor, ``GT`` Gas Transporter, ``OU`` Other User);
GBCS commands are signed by a *remote party role* (the ``RemotePartyRole`` of GBCS 13.3.2 and of
the certificate OU: recovery 1, supplier 2, networkOperator 3, accessControlBroker 4,
transitionalCoS 5, wanProvider 6, loadController 8, other 127). People write either, in any case,
with or without hyphens: ``--as supplier``, ``--as IS``, ``--as gas-supplier``, ``--as ED``.

:func:`parse_role` accepts every spelling in :data:`ROLE_ALIASES` case-insensitively (``-``,
``_``, spaces and dots ignored) and answers a :class:`RoleSpelling` carrying both views: the DUIS
User Role code when the role can send DUIS requests, and the GBCS remote party role code that
signs the commands. Errors list every valid spelling.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from smets_emu.errors import SmetsError


class Role(enum.IntEnum):
    """RemotePartyRole (GBCS 13.3.2.x ASN.1; the OU of organisation certificates): the one role type."""

    ROOT = 0
    RECOVERY = 1
    SUPPLIER = 2
    NETWORK_OPERATOR = 3
    ACCESS_CONTROL_BROKER = 4
    TRANSITIONAL_COS = 5
    WAN_PROVIDER = 6
    ISSUING_AUTHORITY = 7
    LOAD_CONTROLLER = 8
    OTHER = 127



class RoleError(SmetsError, ValueError):
    """A role name that is none of the accepted spellings."""


@dataclass(frozen=True)
class RoleSpelling:
    """One role: its canonical name, DUIS User Role code (None if it sends no DUIS) and GBCS role code."""

    name: str
    user_role: str | None
    remote_party: Role


_ROLES: tuple[tuple[RoleSpelling, tuple[str, ...]], ...] = (
    (RoleSpelling("supplier", "IS", Role.SUPPLIER), ("IS", "import-supplier", "ImportSupplier")),
    (RoleSpelling("export-supplier", "ES", Role.SUPPLIER), ("ES", "ExportSupplier")),
    (RoleSpelling("gas-supplier", "GS", Role.SUPPLIER), ("GS", "GasSupplier")),
    (RoleSpelling("network-operator", "ED", Role.NETWORK_OPERATOR),
     ("ED", "electricity-distributor", "ElectricityDistributor", "NetworkOperator")),
    (RoleSpelling("gas-transporter", "GT", Role.NETWORK_OPERATOR),
     ("GT", "GasTransporter", "gas-network-operator")),
    (RoleSpelling("other-user", "OU", Role.OTHER), ("OU", "OtherUser", "other")),
    (RoleSpelling("recovery", None, Role.RECOVERY), ()),
    (RoleSpelling("acb", None, Role.ACCESS_CONTROL_BROKER), ("access-control-broker", "AccessControlBroker")),
    (RoleSpelling("transitional-cos", None, Role.TRANSITIONAL_COS), ("TransitionalCoS",)),
    (RoleSpelling("wan-provider", None, Role.WAN_PROVIDER), ("WANProvider",)),
    (RoleSpelling("load-controller", None, Role.LOAD_CONTROLLER), ("LoadController",)),
)


def _key(text: str) -> str:
    return re.sub(r"[-_ .]", "", text).lower()


ROLE_ALIASES: dict[str, RoleSpelling] = {}
"""Every accepted spelling (as written here; matching ignores case, ``-``, ``_``, spaces and dots)."""
for _role, _aliases in _ROLES:
    for _spelling in (_role.name, *_aliases):
        ROLE_ALIASES[_spelling] = _role
_BY_KEY: dict[str, RoleSpelling] = {_key(s): r for s, r in ROLE_ALIASES.items()}

ROLES: tuple[RoleSpelling, ...] = tuple(r for r, _ in _ROLES)
"""Every role once, DUIS user roles first."""


def valid_roles(*, duis_only: bool = False) -> str:
    """The accepted spellings for error messages: ``supplier (IS), export-supplier (ES), ...``."""
    parts = []
    for role in ROLES:
        if duis_only and role.user_role is None:
            continue
        parts.append(f"{role.name} ({role.user_role})" if role.user_role else role.name)
    return ", ".join(parts)


def parse_role(text: str, *, duis_only: bool = False) -> RoleSpelling:
    """The role a name stands for, in any accepted spelling; RoleError listing the valid ones otherwise.

    With ``duis_only`` the role must be one a DUIS request can be sent in (it has a User Role code).
    """
    role = _BY_KEY.get(_key(str(text)))
    if role is None or (duis_only and role.user_role is None):
        what = "DUIS user role" if duis_only else "role"
        raise RoleError(f"unknown {what} {str(text)[:40]!r}: use one of {valid_roles(duis_only=duis_only)}")
    return role


def duis_user_role(text: str) -> str:
    """The DUIS User Role code (``IS``, ``ES``, ``GS``, ``ED``, ``GT``, ``OU``) for any accepted spelling."""
    code = parse_role(text, duis_only=True).user_role
    assert code is not None
    return code


def remote_party_role(text: str) -> int:
    """The GBCS remote party role code (2 supplier, 3 network operator, ...) for any accepted spelling."""
    return parse_role(text).remote_party
