"""Console sign-in through the organisation's OpenID provider (docs/sign-in.md).

`/auth/login` starts the authorization code flow with PKCE, `/auth/callback` finishes it and
opens a server-side session (an HttpOnly, SameSite=Strict cookie with a signed id), `/auth/logout`
ends it and hands back the provider's logout page when it has one. The API accepts the session
as a Principal beside bearer tokens (`session_principal`, used by app.api.auth).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.adapters.oidc import Pending, Provider, SignInError
from app.api.errors import ApiError
from app.api.sessions import ConsoleSessions
from app.config.signin import load_mapping
from app.core.access import Principal
from app.core.claims import RoleRule, principal_from_claims, user_pseudonym
from app.settings import Settings

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)

SESSION_COOKIE = "rollekort_session"
SIGN_IN_COOKIE = "rollekort_sign_in"
CSRF_HEADER = "X-Rollekort-Console"
"""Sent by the console with every request. A write carried by the session cookie must have it:
another site's page cannot add a custom header without a CORS preflight, which is never granted."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class SignIn:
    """What the sign-in routes share: the provider, the mapping and the sessions."""

    provider: Provider
    rules: tuple[RoleRule, ...]
    sessions: ConsoleSessions[Pending]
    settings: Settings


def build_sign_in(settings: Settings) -> SignIn | None:
    """None when no issuer is configured; a clear error at start when the rest is missing."""
    if not settings.oidc_issuer:
        return None
    if not settings.oidc_client_id:
        raise ValueError("ROLLEKORT_OIDC_ISSUER is set but ROLLEKORT_OIDC_CLIENT_ID is not")
    if settings.oidc_mapping is None:
        raise ValueError("ROLLEKORT_OIDC_ISSUER is set but ROLLEKORT_OIDC_MAPPING is not")
    provider = Provider(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_scopes,
    )
    sessions: ConsoleSessions[Pending] = ConsoleSessions(settings.session_hours * 3600)
    return SignIn(provider, load_mapping(settings.oidc_mapping), sessions, settings)


def _sign_in(request: Request) -> SignIn | None:
    found: SignIn | None = getattr(request.app.state, "sign_in", None)
    return found


def session_principal(request: Request) -> Principal | None:
    """The principal of the console session whose cookie the request carries, if any; a write
    without the console's header is refused (403), so another site cannot ride the cookie."""
    sign_in = _sign_in(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if sign_in is None or not cookie:
        return None
    session = sign_in.sessions.find(cookie)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != "1":
        raise ApiError(403, "forbidden", f"a console write must send {CSRF_HEADER}: 1")
    return session.principal


def _base(request: Request, settings: Settings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _secure(request: Request, settings: Settings) -> bool:
    return _base(request, settings).startswith("https://")


def _page(status: int, message: str) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Rollekort sign-in</title>'
        f'<p data-testid="sign-in-refused">{html.escape(message)}</p>'
        '<p><a href="/console">Back to the console</a></p></html>'
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/auth/config")
async def auth_config(request: Request) -> JSONResponse:
    """What the console's sign-in panel offers."""
    sign_in = _sign_in(request)
    label = sign_in.settings.oidc_label if sign_in else ""
    return JSONResponse({"oidc": sign_in is not None, "label": label})


@router.get("/auth/login")
async def login(request: Request) -> Response:
    sign_in = _sign_in(request)
    if sign_in is None:
        return _page(404, "Sign-in through an identity provider is not configured.")
    settings = sign_in.settings
    try:
        url, pending = await sign_in.provider.start(f"{_base(request, settings)}/auth/callback")
    except SignInError as err:
        log.warning("console sign-in: provider unavailable", reason=str(err))
        return _page(502, f"The identity provider cannot be reached: {err}.")
    response = RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        SIGN_IN_COOKIE,
        sign_in.sessions.remember(pending.state, pending),
        max_age=600,
        path="/auth",
        httponly=True,
        samesite="lax",  # comes back on the provider's top-level redirect to /auth/callback
        secure=_secure(request, settings),
    )
    return response


@router.get("/auth/callback")
async def callback(request: Request) -> Response:
    sign_in = _sign_in(request)
    if sign_in is None:
        return _page(404, "Sign-in through an identity provider is not configured.")
    response = await _finish(request, sign_in)
    response.delete_cookie(SIGN_IN_COOKIE, path="/auth")
    return response


async def _finish(request: Request, sign_in: SignIn) -> Response:
    query = request.query_params
    state, code = query.get("state", ""), query.get("code", "")
    pending = sign_in.sessions.take(state, request.cookies.get(SIGN_IN_COOKIE)) if state else None
    if pending is None:
        log.warning("console sign-in refused", reason="unknown state or another browser's")
        return _page(400, "This sign-in was not started here or has expired. Please try again.")
    if "error" in query or not code:
        reason = query.get("error", "no code")[:100]
        log.warning("console sign-in refused by the provider", reason=reason)
        return _page(403, f"The identity provider did not sign you in ({reason}).")
    try:
        verified = await sign_in.provider.finish(code, pending)
    except SignInError as err:
        log.warning("console sign-in refused", reason=str(err))
        return _page(401, f"Sign-in refused: {err}.")
    user = user_pseudonym(sign_in.provider.issuer, str(verified.claims["sub"]))
    running = getattr(request.app.state, "services", None)
    if running is None:  # a standby replica (issue 14)
        return _page(503, "This server is not leading just now. Please try again.")
    served = running.offices.offices
    who = principal_from_claims(verified.claims, sign_in.rules, served, user)
    if who is None:
        log.warning("console sign-in refused", user=user, reason="no role in the mapping")
        return _page(403, "Your account has no role in Rollekort. Ask your administrator.")
    log.info("console sign-in", user=user, role=str(who.role), offices=sorted(who.offices))
    response = RedirectResponse("/console", status_code=302, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        SESSION_COOKIE,
        sign_in.sessions.open(who, verified.id_token),
        max_age=int(sign_in.sessions.lifetime_s),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request, sign_in.settings),
    )
    return response


@router.post("/auth/logout")
async def logout(request: Request) -> JSONResponse:
    """Ends the session here; `redirect` is the provider's logout page (or the console)."""
    sign_in = _sign_in(request)
    redirect = "/console"
    if sign_in is not None:
        if request.headers.get(CSRF_HEADER) != "1":
            raise ApiError(403, "forbidden", f"sign-out must send {CSRF_HEADER}: 1")
        session = sign_in.sessions.close(request.cookies.get(SESSION_COOKIE))
        if session is not None:
            log.info("console sign-out", user=session.principal.user_id)
            after = f"{_base(request, sign_in.settings)}/console"
            redirect = await sign_in.provider.logout_url(session.id_token, after) or redirect
    response = JSONResponse({"redirect": redirect}, headers={"Cache-Control": "no-store"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
