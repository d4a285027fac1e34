"""Role spellings: DUIS User Roles and GBCS remote party roles, either spelling, any case."""

from __future__ import annotations

import pytest

from smets_emu.protocols import roles
from smets_emu.protocols.roles import RoleError, duis_user_role, parse_role, remote_party_role


@pytest.mark.parametrize(
    ("text", "user_role", "remote_party"),
    [
        ("supplier", "IS", roles.Role.SUPPLIER),
        ("IS", "IS", roles.Role.SUPPLIER),
        ("is", "IS", roles.Role.SUPPLIER),
        ("Import-Supplier", "IS", roles.Role.SUPPLIER),
        ("ImportSupplier", "IS", roles.Role.SUPPLIER),
        ("export_supplier", "ES", roles.Role.SUPPLIER),
        ("gas-supplier", "GS", roles.Role.SUPPLIER),
        ("GS", "GS", roles.Role.SUPPLIER),
        ("network-operator", "ED", roles.Role.NETWORK_OPERATOR),
        ("ED", "ED", roles.Role.NETWORK_OPERATOR),
        ("electricity distributor", "ED", roles.Role.NETWORK_OPERATOR),
        ("gas-transporter", "GT", roles.Role.NETWORK_OPERATOR),
        ("gt", "GT", roles.Role.NETWORK_OPERATOR),
        ("other-user", "OU", roles.Role.OTHER),
        ("acb", None, roles.Role.ACCESS_CONTROL_BROKER),
        ("Access-Control-Broker", None, roles.Role.ACCESS_CONTROL_BROKER),
        ("recovery", None, roles.Role.RECOVERY),
        ("transitional-cos", None, roles.Role.TRANSITIONAL_COS),
        ("WAN-provider", None, roles.Role.WAN_PROVIDER),
        ("load-controller", None, roles.Role.LOAD_CONTROLLER),
    ],
)
def test_every_spelling(text: str, user_role: str | None, remote_party: int) -> None:
    role = parse_role(text)
    assert (role.user_role, role.remote_party) == (user_role, remote_party)
    assert remote_party_role(text) == remote_party
    if user_role is not None:
        assert duis_user_role(text) == user_role


def test_spellings_never_collide() -> None:
    keys: dict[str, roles.RoleSpelling] = {}
    for spelling, role in roles.ROLE_ALIASES.items():
        key = spelling.replace("-", "").replace("_", "").lower()
        assert keys.setdefault(key, role) == role, spelling


def test_errors_list_the_valid_roles() -> None:
    with pytest.raises(RoleError) as info:
        parse_role("plumber")
    assert "supplier (IS)" in str(info.value) and "load-controller" in str(info.value)
    with pytest.raises(ValueError) as info:  # RoleError is a ValueError too
        duis_user_role("acb")
    assert "gas-transporter (GT)" in str(info.value) and "acb" not in str(info.value).split(":", 1)[1]
