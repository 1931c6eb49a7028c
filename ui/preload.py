"""Start loading plotly.js with the page instead of after the script: an ASGI middleware for ``st.App``.

Why: Streamlit ships plotly.js (4.7 MB) as a chunk it imports only when the first plotly element arrives over
the websocket, i.e. after the page's script has run. Every page load (a reload is a new document) then paid
fetch + compile + evaluation of that chunk (~300 ms of main thread in a Chromium profile) before the ticket's
chart could start drawing; the figure itself (120 candles, a few lines) costs tens of ms.

How: the HTML of the pages that open on a chart (Streamlit's index.html, served for every page URL; only the
ticket's URL here, ``CHART_PAGES``) gets one inline module script importing the
same chunk URL Streamlit's own code imports later, at the first idle moment after the first paint (the browser
waits for the websocket and the script then); the module map then holds it when the chart arrives. Measured on
the ticket (10-12 interleaved warm reloads, load ~3 on 2 cores): chart drawn ~150 ms sooner, first paint within
noise (imported at once instead, it cost ~75 ms of first paint for ~85 ms on the chart). A missing chunk (another
Streamlit build) leaves the HTML as it is; a failed import is ignored (Streamlit imports it again when needed).
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

CHUNK_GLOB = "PlotlyChart.*.js"
MAX_HTML_BYTES = 256 * 1024  # Streamlit's index.html is ~10 KB; anything bigger is passed on untouched


def plotly_chunk(static_dir: Path | None = None) -> str | None:
    """The file name of Streamlit's plotly chunk (``PlotlyChart.<hash>.js``), or None when not exactly one."""
    if static_dir is None:
        from streamlit.file_util import get_static_dir

        static_dir = Path(get_static_dir())
    found = sorted((static_dir / "static" / "js").glob(CHUNK_GLOB))
    if len(found) != 1:
        logger.info("plotly preload off: %d files match static/js/%s", len(found), CHUNK_GLOB)
        return None
    return found[0].name


def preload_tag(chunk: str) -> bytes:
    # Relative like Streamlit's own <script src="./static/js/...">: the same URL, so the same module instance.
    # at the first idle moment (1.5 s at the latest): after the first paint, before the chart needs it
    idle = f'requestIdleCallback(() => import("./static/js/{chunk}").catch(() => {{}}), {{timeout: 1500}});'
    return f'<script type="module">{idle}</script>'.encode()


# Page URLs whose first screen is a plotly chart. Only those: on a page without one, compiling plotly.js while
# the page loads cost every other page ~150-200 ms to main content (bench pages, quiet machine, 2026-11-29).
CHART_PAGES = frozenset({"/ticket"})


def chart_preload(static_dir: Path | None = None) -> list[Middleware]:
    """``st.App`` middleware to append after the gate; empty when this Streamlit build has no plotly chunk."""
    chunk = plotly_chunk(static_dir)
    return [Middleware(PlotlyPreload, tag=preload_tag(chunk), paths=CHART_PAGES)] if chunk else []


class PlotlyPreload:
    """Adds ``tag`` before ``</head>`` of the HTML page answered to a GET of one of ``paths`` (the small
    index.html only; plain or gzipped, as Streamlit sends it to a browser)."""

    def __init__(self, app: ASGIApp, tag: bytes, paths: frozenset[str] = CHART_PAGES) -> None:
        self.app = app
        self.tag = tag
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/")
        if scope["type"] != "http" or scope["method"] != "GET" or not any(path.endswith(p) for p in self.paths):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_patched(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                html = headers.get("content-type", "").startswith("text/html")
                small = int(headers.get("content-length") or MAX_HTML_BYTES + 1) <= MAX_HTML_BYTES
                encoding = headers.get("content-encoding", "identity")
                own_policy = "content-security-policy" in headers  # e.g. /login: no script of ours there
                if message["status"] == 200 and html and small and not own_policy and encoding in ("identity", "gzip"):
                    start = message  # held until the body is complete
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                headers = MutableHeaders(raw=start["headers"])
                body = b"".join(chunks)
                if headers.get("content-encoding") == "gzip":  # Streamlit gzips page HTML for browsers that accept it
                    body = gzip.compress(_inject(gzip.decompress(body), self.tag), mtime=0)
                else:
                    body = _inject(body, self.tag)
                headers["content-length"] = str(len(body))
                # the file's ETag / date describe the file, not this body: no 304 that would skip the rewrite
                for name in ("etag", "last-modified"):
                    if name in headers:
                        del headers[name]
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_patched)


def _inject(body: bytes, tag: bytes) -> bytes:
    at = body.find(b"</head>")
    return body if at < 0 else body[:at] + tag + body[at:]
