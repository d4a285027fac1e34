"""Who may use the control plane: the bearer token file and the aiohttp middlewares that check every request.

Access rules (:class:`AccessPolicy`, applied by :func:`access_middleware` before any handler):

- ``Host`` must name the address the connection reached, the configured HTTP host, ``localhost``,
  ``127.0.0.1`` or ``::1`` (with the listening port or none), else 421: a page whose DNS name was
  rebound to the lab's address cannot talk to it.
- a request carrying an ``Origin`` that is not the lab's own (``http://<such a host>:<port>``) is
  refused with 403: no cross-site request reaches a handler;
- every request but ``GET /healthz`` needs ``Authorization: Bearer <token>`` (compared in constant
  time), else 401; a browser gets the token once through ``GET /?token=<token>``, which answers
  with an HttpOnly, SameSite=Strict cookie and a redirect, and the cookie then stands for the token
  on GET and HEAD requests, and on a state-changing request only together with the header
  ``X-CSRF-Token`` carrying :func:`csrf_token` of that token (the dashboard pages put it in a
  ``<meta name="csrf-token">``; a wrong one gets 403);
- a request that changes state (any method but GET and HEAD) needs ``Content-Type:
  application/json`` (``application/xml`` or ``text/xml`` on ``/duis``), else 415.

Governance paths (``/governance`` and below) also take a party's own token (:class:`AccessPolicy`
``parties`` resolves it; the lab token there stands for the lab operator, who registers parties).
The handler finds who called in ``request[CALLER_KEY]`` (:class:`Caller`). A browser logs in as a
party once through ``GET /governance/login?token=<party token>``, which answers with an HttpOnly,
SameSite=Strict cookie (path ``/governance``) and a redirect; that cookie stands for the party token
on GET and HEAD, and on a state-changing request only together with the header ``X-CSRF-Token``
carrying :func:`csrf_token` of the session (the pages put it in a ``<meta name="csrf-token">``), so
a cross-site form can never act as the party even where SameSite and the Origin check would not stop it.

Bodies: JSON bodies are at most :data:`JSON_BODY_LIMIT` bytes (413 beyond), parsed with NaN,
Infinity and out-of-range numbers refused and validated against a JSON schema per route (400
with the reason); a request body is at most :data:`MAX_REQUEST_BYTES` (the DUIS XML limit here).
Errors are JSON ``{"error": reason, "status": code}``; an unexpected failure is logged and
answers 500 without a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from smets_emu.errors import SmetsError
from smets_emu.secure_files import FILE_MODE, tighten

log = logging.getLogger(__name__)

TOKEN_FILE = "control-token"
TOKEN_COOKIE = "smets_token"
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
JSON_TYPES = ("application/json",)
XML_TYPES = ("application/xml", "text/xml")
SAFE_METHODS = frozenset({"GET", "HEAD"})
GOVERNANCE_PREFIX = "/governance"
PARTY_COOKIE = "smets_party"
CSRF_HEADER = "X-CSRF-Token"


class ControlPlaneError(SmetsError):
    """The control plane cannot start (e.g. its token file is unreadable)."""


@dataclass(frozen=True)
class AccessPolicy:
    """Who may use the control plane: the bearer token (None: no authentication) and extra Host names.

    *parties* maps a party token to the party it belongs to (None when no party has it); it is
    consulted on governance paths only. *csrf_key* keys the pages' CSRF tokens (random per app).
    """

    token: str | None
    hosts: frozenset[str] = frozenset()
    parties: Callable[[str], Any | None] | None = None
    csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)


@dataclass(frozen=True)
class Caller:
    """Who sent a governance request: a registered party, or the lab operator (``party`` None).

    ``csrf`` is the CSRF token of a browser session (cookie login), None for bearer-token callers.
    """

    party: Any | None
    csrf: str | None = None

    @property
    def operator(self) -> bool:
        return self.party is None


POLICY_KEY: web.AppKey[AccessPolicy] = web.AppKey("policy", AccessPolicy)
CALLER_KEY: web.RequestKey[Caller] = web.RequestKey("caller", Caller)


# --------------------------------------------------------------------------- token file


def load_or_create_token(folder: str | Path) -> str:
    """The control-plane bearer token kept in ``<folder>/control-token``, created on first use.

    A new token is 32 random bytes (``secrets.token_urlsafe``) written to a file created
    exclusively with mode 0600; later runs read the same token. A file left empty by an
    interrupted first run is replaced; one readable by others is tightened.
    """
    path = Path(folder) / TOKEN_FILE
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ControlPlaneError(f"cannot create the control-plane token file {path}: {exc}") from exc
        else:
            token = secrets.token_urlsafe(32)
            try:
                os.write(fd, (token + "\n").encode())
            finally:
                os.close(fd)
            log.info("control-plane token written to %s", path)
            return token
        tighten(path)
        try:
            text = path.read_text(encoding="ascii", errors="replace")[:1024].strip()
        except OSError as exc:
            raise ControlPlaneError(f"cannot read the control-plane token file {path}: {exc}") from exc
        if text:
            if len(text) < 16 or any(c.isspace() or not c.isprintable() for c in text):
                raise ControlPlaneError(f"{path} does not hold a usable token (delete it to get a new one)")
            return text
        path.unlink(missing_ok=True)  # an interrupted first run: start again
    raise ControlPlaneError(f"cannot create the control-plane token file {path}")


def cookie_name(port: int | None) -> str:
    """The page's cookie (per port: browsers share cookies between ports of one host)."""
    return TOKEN_COOKIE if port is None else f"{TOKEN_COOKIE}_{port}"


def party_cookie_name(port: int | None) -> str:
    """The governance pages' party cookie (per port, like :func:`cookie_name`)."""
    return PARTY_COOKIE if port is None else f"{PARTY_COOKIE}_{port}"


def csrf_token(policy: AccessPolicy, credential: str) -> str:
    """The CSRF token of a browser session holding *credential* (HMAC-SHA256 under the policy's key)."""
    return hmac.new(policy.csrf_key, credential.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


def is_governance(path: str) -> bool:
    return path == GOVERNANCE_PREFIX or path.startswith(GOVERNANCE_PREFIX + "/")


# --------------------------------------------------------------------------- errors and access


def error_response(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error: ``{"error": reason, "status": status}``."""
    return web.json_response({"error": reason, "status": status}, status=status, headers=headers)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error as JSON with its reason; an unexpected exception is logged and answers 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
        return error_response(exc.status, exc.text or exc.reason, headers)
    except Exception:
        log.exception("control plane: %s %s failed", request.method, request.path)
        return error_response(500, "internal error (logged by the lab)")


def _normal_name(name: str) -> str:
    """A host name or IP address in one spelling (lower case, no trailing dot, IPv4-mapped IPv6 as IPv4)."""
    name = name.strip().lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return name
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6][:port]`` as (normalised name, port or None); None when malformed."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    elif value.count(":") == 1:
        name, port_text = value.split(":")
    else:
        name, port_text = value, None  # a name, or a bare IPv6 address
    port = None
    if port_text is not None:
        if not port_text.isdigit() or len(port_text) > 5:
            return None
        port = int(port_text)
    return _normal_name(name), port


def _local(request: web.Request) -> tuple[str | None, int | None]:
    """The address and port the connection reached."""
    sock = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if isinstance(sock, tuple) and len(sock) >= 2:
        return _normal_name(str(sock[0])), int(sock[1])
    return None, None


def _allowed_names(policy: AccessPolicy, local_name: str | None) -> set[str]:
    names = set(LOCAL_NAMES) | {_normal_name(h) for h in policy.hosts}
    if local_name is not None:
        names.add(local_name)
    return names


def _host_refusal(request: web.Request, policy: AccessPolicy) -> str | None:
    local_name, local_port = _local(request)
    value = request.headers.get("Host")
    if value is None:
        return "the request has no Host header"
    parsed = split_host(value)
    if parsed is None:
        return f"malformed Host header {value[:100]!r}"
    name, port = parsed
    if name not in _allowed_names(policy, local_name) or (port is not None and local_port is not None
                                                          and port != local_port):
        return (f"Host {value[:100]!r} is not this lab's address; use localhost, 127.0.0.1, ::1 or the "
                "address the control plane listens on")
    return None


def _origin_refusal(request: web.Request, policy: AccessPolicy) -> str | None:
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    local_name, local_port = _local(request)
    refusal = f"cross-origin request from {origin[:100]!r} refused"
    if not origin.startswith("http://") or "/" in origin[7:]:
        return refusal
    parsed = split_host(origin[7:])
    if parsed is None:
        return refusal
    name, port = parsed
    if name not in _allowed_names(policy, local_name) or (port or 80) != (local_port or port or 80):
        return refusal
    return None


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _token_redirect(request: web.Request, policy: AccessPolicy) -> web.StreamResponse:
    """``GET /?token=...``: keep the token in a cookie and show the page without it in the address."""
    _, port = _local(request)
    given = request.query.get("token", "")
    if policy.token is not None and not _same(given, policy.token):
        return error_response(401, "wrong token in ?token=; it is in the lab's control-token file",
                              {"WWW-Authenticate": 'Bearer realm="smets-emu"'})
    rest = [(k, v) for k, v in request.query.items() if k != "token"]
    response = web.Response(status=303, headers={"Location": request.path + ("?" + urlencode(rest) if rest else "")})
    if policy.token is not None:
        response.set_cookie(cookie_name(port), policy.token, httponly=True, samesite="Strict", path="/")
    return response


def _unauthorised(reason: str) -> web.Response:
    return error_response(401, reason, {"WWW-Authenticate": 'Bearer realm="smets-emu"'})


def _party(policy: AccessPolicy, given: str) -> Any | None:
    if not given or len(given) > 1024 or policy.parties is None:
        return None
    return policy.parties(given)


def _party_login(request: web.Request, policy: AccessPolicy) -> web.StreamResponse:
    """``GET /governance/login?token=...``: keep a party token in a cookie and go to the governance pages."""
    given = request.query.get("token", "")
    if _party(policy, given) is None:
        return _unauthorised("unknown party token in ?token= (the lab operator registers parties and hands "
                             "each its token)")
    response = web.Response(status=303, headers={"Location": GOVERNANCE_PREFIX + "/"})
    response.set_cookie(party_cookie_name(_local(request)[1]), given, httponly=True, samesite="Strict",
                        path=GOVERNANCE_PREFIX)
    return response


def _governance_caller(request: web.Request, policy: AccessPolicy) -> Caller | web.Response:
    """Who calls a governance path (module docstring), or the refusal."""
    port = _local(request)[1]
    safe = request.method in SAFE_METHODS
    given, csrf = _bearer(request), None
    if given is None:
        given = request.cookies.get(party_cookie_name(port))
        if given is not None:
            csrf = csrf_token(policy, given)
            if not safe and not hmac.compare_digest(request.headers.get(CSRF_HEADER, "").encode(
                    "utf-8", "replace"), csrf.encode()):
                return error_response(403, f"a request from a governance page needs its {CSRF_HEADER} header")
        elif safe:
            given = request.cookies.get(cookie_name(port))
    if given is None and policy.token is None:
        return Caller(None)
    if given is not None and policy.token is not None and _same(given, policy.token):
        return Caller(None, csrf)
    party = _party(policy, given or "")
    if party is None:
        return _unauthorised("missing or unknown token: governance requests carry 'Authorization: Bearer <party "
                             "token>' (or the lab token for the lab operator); browsers open "
                             "/governance/login?token=<party token> once")
    return Caller(party, csrf)


@web.middleware
async def access_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Host, Origin, token and Content-Type checks (module docstring), before any handler runs."""
    if request.path == "/healthz" and request.method in SAFE_METHODS:
        return await handler(request)
    policy = request.app[POLICY_KEY]
    refusal = _host_refusal(request, policy)
    if refusal is not None:
        return error_response(421, refusal)
    refusal = _origin_refusal(request, policy)
    if refusal is not None:
        return error_response(403, refusal)
    safe = request.method in SAFE_METHODS
    if is_governance(request.path):
        if safe and request.path == GOVERNANCE_PREFIX + "/login":
            return _party_login(request, policy)
        caller = _governance_caller(request, policy)
        if isinstance(caller, web.Response):
            return caller
        request[CALLER_KEY] = caller
    elif safe and "token" in request.query:
        return _token_redirect(request, policy)
    elif policy.token is not None:
        given = _bearer(request)
        if given is None:
            cookie = request.cookies.get(cookie_name(_local(request)[1]))
            sent_csrf = request.headers.get(CSRF_HEADER)
            if cookie is not None and not safe and sent_csrf is not None:
                if not hmac.compare_digest(sent_csrf.encode("utf-8", "replace"),
                                           csrf_token(policy, cookie).encode()):
                    return error_response(403, f"a request from a dashboard page needs its {CSRF_HEADER} header")
                given = cookie
            elif safe:
                given = cookie
        if given is None or not _same(given, policy.token):
            return error_response(
                401,
                "missing or wrong token: send 'Authorization: Bearer <token>' with the token from the lab's "
                f"{TOKEN_FILE} file (browsers: open /?token=<token> once)",
                {"WWW-Authenticate": 'Bearer realm="smets-emu"'},
            )
    if not safe:
        wanted = XML_TYPES if request.path == "/duis" else JSON_TYPES
        if request.content_type not in wanted:
            return error_response(415, f"{request.method} {request.path} takes Content-Type {' or '.join(wanted)}, "
                                       f"not {request.headers.get('Content-Type', '(none)')[:100]}")
    return await handler(request)
