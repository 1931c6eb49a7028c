"""The login gate: an ASGI middleware in front of every Streamlit route, and the /login and /logout pages.

Without a live session cookie nothing of the dashboard answers: a browser asking for a page is sent to
/login, any other request gets 401, and the websocket (/_stcore/stream, where the app actually runs) is
closed before the handshake completes (HTTP 403). An open websocket is closed at the first message after its
session ended. Only /_stcore/health (a load balancer's probe, no data)
and the login page itself are open. Password checks run in a worker thread: the event loop that carries
every open dashboard never waits for Argon2id.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote, urlsplit

from anyio import to_thread
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crbot.access.core import SET_PASSWORD, Access
from crbot.access.limiter import Verdict
from crbot.access.sessions import COOKIE_NAME

OPEN_PATHS = frozenset({"/_stcore/health", "/login", "/logout"})
ASSET_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/")
MAX_FORM_BYTES = 4096
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make the login form's Origin "null"
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}


def client_of(scope: Scope) -> str:
    """The peer address (uvicorn puts a trusted proxy's X-Forwarded-For there: see README)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def cookie_of(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return cookie_parser(value.decode("latin-1")).get(COOKIE_NAME)
    return None


class Gate:
    """ASGI middleware: ``Middleware(Gate, access=...)``."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        access = self.access
        if not access.enabled:  # no password and none required: loopback, not live
            await self.app(scope, receive, send)
            return
        fingerprint = access.store.fingerprint()  # a stat() per request; "" (nothing gets in) if unset
        cookie = cookie_of(scope)
        if fingerprint and access.sessions.check(cookie, fingerprint):
            if kind == "websocket":
                receive = self._watch(cookie, receive, send)
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            # Closing before accept: the server answers the handshake with 403 and no app code runs.
            await send({"type": "websocket.close", "code": 1008, "reason": "sign in first"})
            return
        await self._refuse(scope, receive, send, fingerprint)

    def _watch(self, cookie: str | None, receive: Receive, send: Send) -> Receive:
        """Every message the browser sends on the open websocket (a click, a rerun, a fragment's refresh) is
        checked and counts as activity: once the session has ended (signed out elsewhere, password changed,
        idle) the socket is closed before Streamlit sees the message, whatever the page is doing. The absolute
        limit is not applied here: a signed-in tab keeps STOP at hand however long it stays open."""
        access = self.access

        async def receive_checked() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and not access.sessions.check(
                cookie, access.store.fingerprint(), open_tab=True
            ):
                await send({"type": "websocket.close", "code": 1008, "reason": "session ended"})
                return {"type": "websocket.disconnect", "code": 1008}
            return message

        return receive_checked

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, fingerprint: str) -> None:
        path = scope["path"]
        if not fingerprint:
            response: Response = PlainTextResponse(
                f"The dashboard needs a password and none is set: run `{SET_PASSWORD}`.", status_code=503
            )
        elif scope["method"] in ("GET", "HEAD") and not path.startswith(ASSET_PREFIXES):
            target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
            response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            response = PlainTextResponse("Sign in first: /login", status_code=401)
        response.headers.update(SECURITY_HEADERS)
        await response(scope, receive, send)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, host or '//' trick): never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in OPEN_PATHS:
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    """A form posted from another site is refused (the browser says where it came from)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:  # every current browser sends it
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def login_page(
    message: str = "", *, next_path: str = "/", status: int = 200, headers: dict | None = None, tone: str = ""
) -> Response:
    note = f'<p class="msg {tone}" role="alert">{html.escape(message)}</p>' if message else ""
    body = _PAGE.format(note=note, next=html.escape(next_path, quote=True))
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.headers.update(SECURITY_HEADERS)
    return response


def _refusal(verdict: Verdict) -> str:
    wait = max(1, round(verdict.wait_s))
    if verdict.allowed:
        return "Wrong password."
    if verdict.overall:
        return f"Too many failed sign-ins on this dashboard: every sign-in is locked for {wait} s."
    if verdict.locked:
        return f"Too many failed sign-ins from your address: locked for {wait} s."
    if verdict.refused:
        return f"Too many failed sign-ins: wait {wait} s before the next try."
    return f"Wrong password. Wait {wait} s before the next try."


def routes(access: Access) -> list[Route]:
    """/login (GET form, POST check) and /logout, served by the same server and port."""

    def set_cookie(response: Response, request: Request, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    async def login(request: Request) -> Response:
        if not access.enabled:
            return RedirectResponse("/", status_code=303)  # nothing to sign in to
        if not access.store.is_set():
            return PlainTextResponse(f"No password is set: run `{SET_PASSWORD}`.", status_code=503)
        if request.method == "GET":
            return login_page(next_path=_safe_next(request.query_params.get("next")))
        client = client_of(request.scope)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return PlainTextResponse("form too large", status_code=413)
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
        next_path = _safe_next((form.get("next") or ["/"])[0])
        if not _same_origin(request):
            return PlainTextResponse("cross-site sign-in refused", status_code=403)
        password = (form.get("password") or [""])[0]
        cookie, verdict = await to_thread.run_sync(access.login, password, client)
        if cookie is None:
            assert verdict is not None
            status = 429 if verdict.refused else 401  # 429: not even checked, still waiting or locked out
            headers = {"Retry-After": str(max(1, round(verdict.wait_s)))} if not verdict.allowed else None
            return login_page(_refusal(verdict), next_path=next_path, status=status, headers=headers)
        response = RedirectResponse(next_path, status_code=303)
        response.headers.update(SECURITY_HEADERS)
        set_cookie(response, request, cookie)
        return response

    async def logout(request: Request) -> Response:
        await to_thread.run_sync(access.logout, request.cookies.get(COOKIE_NAME), client_of(request.scope))
        response = login_page("Signed out.", tone="info") if access.enabled else RedirectResponse("/", status_code=303)
        set_cookie(response, request, "", max_age=0)
        return response

    return [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout, methods=["GET", "POST"])]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRBOT control room — sign in</title>
<style>
body{{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
background:#0e1117;color:#fafafa;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}}
main{{box-sizing:border-box;width:min(360px,calc(100vw - 2rem));padding:2rem 1.5rem;
border:1px solid #31333f;border-radius:.75rem;background:#161a23}}
h1{{font-size:1.3rem;margin:0 0 1.25rem}}
label{{display:block;margin-bottom:.35rem;font-size:.9rem;color:#c7c9d1}}
input[type=password]{{box-sizing:border-box;width:100%;padding:.6rem .7rem;font-size:1rem;border-radius:.5rem;
border:1px solid #4a4d5a;background:#0e1117;color:#fafafa}}
button{{margin-top:1rem;width:100%;padding:.65rem;font-size:1rem;font-weight:600;border:0;border-radius:.5rem;
background:#ff4b4b;color:#fff;cursor:pointer}}
.msg{{margin:0 0 1rem;padding:.6rem .75rem;border-radius:.5rem;background:#3e1d1f;color:#ffb4b4}}
.msg.info{{background:#1d2b3e;color:#b4d4ff}}
</style></head>
<body><main>
<h1>CRBOT control room</h1>
{note}
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label for="password">Dashboard password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Sign in</button>
</form>
</main></body></html>
"""
