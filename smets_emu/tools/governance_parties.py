"""Governance parties over HTTP: the lab operator registers organisations and issues their tokens.

Routes::

    POST /governance/parties                   lab operator: register a party, answer its token once
    POST /governance/parties/{org}/token       lab operator: a new token for a party (the old one stops working)
    GET  /governance/parties                   lab operator: every party
    GET  /governance/me                        who the token belongs to

A party token is shown once; the governance store keeps its SHA-256 only. The access middleware
(:mod:`smets_emu.tools.control_access`) resolves a token to its organisation with
:func:`party_resolver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from smets_emu.parties.governance import errors as gov_errors
from smets_emu.parties.governance.model import Organisation
from smets_emu.parties.governance.service import Governance
from smets_emu.tools.control_bodies import EMPTY_SCHEMA, read_json
from smets_emu.tools.governance_http import call, caller, gov, json_response, operator_only
from smets_emu.tools.governance_views import PARTY_SCHEMA, to_json

log = logging.getLogger(__name__)


def party_json(org: Organisation) -> dict[str, Any]:
    return to_json(org)  # type: ignore[no-any-return]


async def add_party(request: web.Request) -> web.Response:
    operator_only(request)
    body = await read_json(request, PARTY_SCHEMA, hint=' (a party is {"org_id", "name", "role", "manufacturer_id"})')
    key = body.get("signing_key_pem")
    org = await call(request, gov(request).add_organisation, body["org_id"], body["name"], body["role"],
                     manufacturer_id=body.get("manufacturer_id"),
                     signing_key_pem=None if key is None else key.encode())
    token = await call(request, gov(request).issue_token, org.org_id)
    log.info("governance party %s (%s) registered", org.org_id, org.role.value)
    return json_response({"party": party_json(org), "token": token,
                          "login": f"/governance/login?token={token}"}, 201)


async def new_token(request: web.Request) -> web.Response:
    operator_only(request)
    await read_json(request, EMPTY_SCHEMA, allow_empty=True)
    org = await call(request, gov(request).organisation, request.match_info["org"])
    token = await call(request, gov(request).issue_token, org.org_id)
    return json_response({"party": party_json(org), "token": token, "login": f"/governance/login?token={token}"})


async def list_parties(request: web.Request) -> web.Response:
    operator_only(request)
    orgs = await call(request, gov(request).organisations)
    return json_response({"parties": [party_json(o) for o in orgs]})


async def me(request: web.Request) -> web.Response:
    party = caller(request).party
    return json_response({"operator": party is None, "party": None if party is None else party_json(party)})


def party_resolver(governance: Governance) -> Callable[[str], Organisation | None]:
    """The access policy's party lookup: the organisation holding a token, or None."""

    def resolve(token: str) -> Organisation | None:
        try:
            return governance.authenticate(token)
        except gov_errors.GovernanceError:
            return None

    return resolve
