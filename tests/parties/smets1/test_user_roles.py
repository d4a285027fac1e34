"""``UserRole.parse`` takes the DUIS codes and the CLI's role names alike."""

from __future__ import annotations

import pytest

from smets_emu.parties.smets1.validation import UserRole
from smets_emu.protocols.roles import RoleError


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("IS", UserRole.IMPORT_SUPPLIER),
        ("supplier", UserRole.IMPORT_SUPPLIER),
        ("import_supplier", UserRole.IMPORT_SUPPLIER),
        ("es", UserRole.EXPORT_SUPPLIER),
        ("Gas-Supplier", UserRole.GAS_SUPPLIER),
        ("network-operator", UserRole.ELECTRICITY_DISTRIBUTOR),
        ("ElectricityDistributor", UserRole.ELECTRICITY_DISTRIBUTOR),
        ("GT", UserRole.GAS_TRANSPORTER),
        ("gas-transporter", UserRole.GAS_TRANSPORTER),
        ("OU", UserRole.OTHER_USER),
    ],
)
def test_parse(text: str, role: UserRole) -> None:
    assert UserRole.parse(text) is role


@pytest.mark.parametrize("text", ["acb", "nonsense", ""])
def test_unknown_roles_list_the_valid_ones(text: str) -> None:
    with pytest.raises(RoleError, match=r"supplier \(IS\).*gas-transporter \(GT\).*other-user \(OU\)"):
        UserRole.parse(text)
