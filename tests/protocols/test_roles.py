"""Role spellings: DUIS User Roles and GBCS remote party roles, either spelling, any case."""

from __future__ import annotations

import pytest

from smets_emu.protocols import roles
from smets_emu.protocols.roles import RoleError, duis_user_role, parse_role, remote_party_role


@pytest.mark.parametrize(
    ("text", "user_role", "remote_party"),
    [
        ("supplier", "IS", roles.SUPPLIER),
        ("IS", "IS", roles.SUPPLIER),
        ("is", "IS", roles.SUPPLIER),
        ("Import-Supplier", "IS", roles.SUPPLIER),
        ("ImportSupplier", "IS", roles.SUPPLIER),
        ("export_supplier", "ES", roles.SUPPLIER),
        ("gas-supplier", "GS", roles.SUPPLIER),
        ("GS", "GS", roles.SUPPLIER),
        ("network-operator", "ED", roles.NETWORK_OPERATOR),
        ("ED", "ED", roles.NETWORK_OPERATOR),
        ("electricity distributor", "ED", roles.NETWORK_OPERATOR),
        ("gas-transporter", "GT", roles.NETWORK_OPERATOR),
        ("gt", "GT", roles.NETWORK_OPERATOR),
        ("other-user", "OU", roles.OTHER),
        ("acb", None, roles.ACCESS_CONTROL_BROKER),
        ("Access-Control-Broker", None, roles.ACCESS_CONTROL_BROKER),
        ("recovery", None, roles.RECOVERY),
        ("transitional-cos", None, roles.TRANSITIONAL_COS),
        ("WAN-provider", None, roles.WAN_PROVIDER),
        ("load-controller", None, roles.LOAD_CONTROLLER),
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
