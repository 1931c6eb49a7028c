"""ui/preload.py: page HTML gets the plotly chunk's import; nothing else is touched."""

from __future__ import annotations

import asyncio
import gzip as gz
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from crbot.access.gate import login_page
from ui.preload import PlotlyPreload, chart_preload, plotly_chunk, preload_tag

PAGE = "<!doctype html><html><head><title>t</title></head><body>" + "x" * 2000 + "</body></html>"
TAG = preload_tag("PlotlyChart.abc123.js")


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: Headers
    content: bytes

    @property
    def text(self) -> str:
        body = gz.decompress(self.content) if self.headers.get("content-encoding") == "gzip" else self.content
        return body.decode()


class Client:
    """Drives the ASGI app in-process (starlette's TestClient needs a package we do not install)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Answer:
        # its own thread: a test process that also drives playwright's sync API has a loop running in this one
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self._call(method, path, headers or {})).result()

    def head(self, path: str) -> Answer:
        return self.get(path, method="HEAD")

    async def _call(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        sent: list[dict] = []
        requested, done = [], asyncio.Event()

        async def receive() -> dict:
            if not requested:
                requested.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # a file response listens for the client leaving while it streams
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                done.set()

        await self.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Answer(start["status"], Headers(raw=start["headers"]), body)


def _client(tmp_path: Path, *, gzip: bool) -> Client:
    index = tmp_path / "index.html"
    index.write_text(PAGE)
    routes = [
        Route("/ticket", lambda request: FileResponse(index)),  # as Streamlit serves a page URL: a file, ETag
        Route("/risk", lambda request: FileResponse(index)),  # a page that opens without a chart
        Route("/data.json", lambda request: JSONResponse({"head": "</head>"})),
        Route("/big", lambda request: Response("<head></head>" + "y" * 300_000, media_type="text/html")),
        Route("/login", lambda request: login_page()),  # the gate's own page, with its strict policy
    ]
    middleware = [Middleware(PlotlyPreload, tag=TAG)]
    if gzip:  # inside ours, like Streamlit's own gzip middleware
        middleware.append(Middleware(GZipMiddleware, minimum_size=500))
    return Client(Starlette(routes=routes, middleware=middleware))


def test_page_html_gets_the_import_before_head_end(tmp_path: Path) -> None:
    response = _client(tmp_path, gzip=False).get("/ticket", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.text == PAGE.replace("</head>", TAG.decode() + "</head>")
    assert response.headers["content-length"] == str(len(response.content))
    assert "etag" not in response.headers  # the file's ETag would let a 304 skip the rewrite
    assert "last-modified" not in response.headers


def test_gzipped_page_html_is_rewritten_and_stays_gzipped(tmp_path: Path) -> None:
    response = _client(tmp_path, gzip=True).get("/ticket", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert TAG.decode() + "</head>" in response.text  # the client decodes it
    assert PAGE.split("<head>")[1].split("</head>")[0] in response.text


def test_other_responses_pass_untouched(tmp_path: Path) -> None:
    client = _client(tmp_path, gzip=False)
    assert client.get("/data.json").text == '{"head":"</head>"}'
    big = client.get("/big")
    assert b"PlotlyChart" not in big.content and len(big.content) == len("<head></head>") + 300_000
    risk = client.get("/risk", headers={"accept-encoding": "identity"})
    assert risk.text == PAGE and "etag" in risk.headers  # no chart on it: plotly.js is not its cost
    login = client.get("/login")
    assert login.status_code == 200 and "<form" in login.text and "PlotlyChart" not in login.text
    head = client.head("/ticket")
    assert head.status_code == 200 and "etag" in head.headers  # HEAD: Streamlit's answer as it is


def test_the_chunk_is_found_in_the_installed_streamlit_and_nowhere_else(tmp_path: Path) -> None:
    chunk = plotly_chunk()
    assert chunk is not None and chunk.startswith("PlotlyChart.") and chunk.endswith(".js")
    assert len(chart_preload()) == 1
    (tmp_path / "static" / "js").mkdir(parents=True)
    assert plotly_chunk(tmp_path) is None  # another build without the chunk: no middleware, pages as they are
    assert chart_preload(tmp_path) == []
