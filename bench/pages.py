"""First paint and time to main content of every dashboard page in real Chromium, cold and warm.

A real ``streamlit run app.py`` (paper mode, synthetic feed, its own CRBOT_HOME, as tests/e2e/conftest.py starts
it) and Debian's Chromium through playwright. For each page of app.py's navigation:
- cold: the page's first load after the server started (a fresh browser context: no cache, a new session);
- warm: a reload of the same page (3 times, median), target <= 1 s.
First paint is the browser's first-contentful-paint; main content is the page's title shown, its script done
(``data-test-script-state=notRunning``) and every plotly chart drawn (on the ticket, its candlestick chart must
have arrived first: ``CHARTS_EXPECTED``). Baseline (same run, same machine load):
a one-line Streamlit app served and measured the same way. The ticket's chart refresh: ``bench ticket_chart``.
Then the server's CPU while three ticket tabs sit idle, beside the same server with Streamlit's default of a
full garbage collection after every run (each page load and each fragment refresh).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import Page, sync_playwright

from tests.access.serve import free_port, healthy  # one way to start and poll a dashboard

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CRBOT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
# app.py's navigation: (url path, the page's title)
PAGES = (
    ("", "Balance"),
    ("positions", "Positions & orders"),
    ("ticket", "Order ticket"),
    ("performance", "Performance"),
    ("risk", "Risk & controls"),
    ("connection", "Connection"),
    ("monitoring", "Monitoring"),
    ("golive", "Go-live checklist"),
    ("audit", "Audit trail"),
)
WARM_ROUNDS = 3
TIMEOUT_MS = 60_000
BASELINE_APP = 'import streamlit as st\nst.title("Baseline")\nst.write("one line")\n'

# pages whose main content always includes a chart (a fresh paper account draws the ticket's candles; other
# pages' charts need data): "every chart drawn" must not pass before the chart element has even arrived
CHARTS_EXPECTED = {"ticket": 1}
# at least that many plotly charts in the main area, each with its svg drawn (the content, not its empty frame)
CHARTS_DRAWN = """(expected) => {
    const charts = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stPlotlyChart"]')];
    return charts.length >= expected && charts.every(c => c.querySelector('.main-svg'));
}"""
IDLE_SESSIONS, IDLE_SECONDS = 3, 30
FCP = """() => (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: null}).startTime"""


class Served(NamedTuple):
    url: str
    pid: int  # the idle CPU figure reads /proc/<pid>


@contextmanager
def _server(app: Path, *options: str) -> Iterator[Served]:
    """``streamlit run`` on a free port in paper mode with the committed config; stopped (by its pid) after."""
    home = Path(tempfile.mkdtemp(prefix="crbot-bench-pages-"))
    (home / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", home / ".streamlit" / "config.toml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRBOT_", "BINANCE_"))}
    env.update(
        CRBOT_HOME=str(home),
        CRBOT_MODE="paper",
        CRBOT_PRICE_FEED="synthetic",
        CRBOT_PAPER_BALANCES="USDT=10000",
        CRBOT_ACTOR="bench",
    )
    port = free_port()
    log = (home / "streamlit.log").open("wb")
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), *options]
    proc = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {(home / 'streamlit.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield Served(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _load(tab: Page, url: str, title: str, *, reload: bool, charts: int = 0) -> tuple[float, float]:
    """(first paint, main content) in ms from the navigation's start; main content waits for ``charts`` charts."""
    started = time.perf_counter()
    if reload:
        tab.reload(wait_until="commit")
    else:
        tab.goto(url, wait_until="commit")
    tab.get_by_role("heading", name=title).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    tab.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)
    tab.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=TIMEOUT_MS)
    main_ms = (time.perf_counter() - started) * 1000
    paint = tab.evaluate(FCP)
    return (float(paint) if paint is not None else float("nan")), main_ms


def _measure(url: str, pages: tuple[tuple[str, str], ...]) -> list[tuple[str, float, float, float, float]]:
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for path, title in pages:
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                tab = context.new_page()
                charts = CHARTS_EXPECTED.get(path, 0)
                cold_paint, cold_main = _load(tab, f"{url}/{path}", title, reload=False, charts=charts)
                warm = [_load(tab, f"{url}/{path}", title, reload=True, charts=charts) for _ in range(WARM_ROUNDS)]
                context.close()
                warm_paint = statistics.median(p for p, _ in warm)
                warm_main = statistics.median(m for _, m in warm)
                rows.append((path or "/ (default page)", cold_paint, cold_main, warm_paint, warm_main))
        finally:
            browser.close()
    return rows


def _print(rows: list[tuple[str, float, float, float, float]]) -> None:
    print(
        f"{'page':<24}{'cold paint':>12}{'cold main':>12}{'warm paint':>12}{'warm main':>12}"
        "   target: warm main <= 1000 ms"
    )
    for name, cp, cm, wp, wm in rows:
        verdict = "ok" if wm <= 1000 else "MISSED"
        print(f"{name:<24}{cp:>10.0f}ms{cm:>10.0f}ms{wp:>10.0f}ms{wm:>10.0f}ms   {verdict}", flush=True)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _idle_cpu(*options: str) -> float:
    """The dashboard server's CPU, % of one core, while IDLE_SESSIONS ticket tabs sit idle for IDLE_SECONDS
    (their sidebar refreshes every 3 s, the ticket's price every 5 s)."""
    with _server(ROOT / "app.py", *options) as served, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for _ in range(IDLE_SESSIONS):
                tab = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                _load(tab, f"{served.url}/ticket", "Order ticket", reload=False, charts=1)
            time.sleep(5)
            cpu, started = _cpu_seconds(served.pid), time.monotonic()
            time.sleep(IDLE_SECONDS)
            return 100 * (_cpu_seconds(served.pid) - cpu) / (time.monotonic() - started)
        finally:
            browser.close()


def run() -> None:
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    base_dir = Path(tempfile.mkdtemp(prefix="crbot-bench-baseline-"))
    (base_dir / "baseline.py").write_text(BASELINE_APP)
    with _server(base_dir / "baseline.py") as served:
        _print([("baseline: 1-line app", *row[1:]) for row in _measure(served.url, (("", "Baseline"),))])
    with _server(ROOT / "app.py") as served:
        _print(_measure(served.url, PAGES))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    # baseline: Streamlit's default, a full garbage collection after every run (.streamlit/config.toml turns it off)
    before, now = _idle_cpu("--runner.postScriptGC", "true"), _idle_cpu()
    print(
        f"server CPU, {IDLE_SESSIONS} idle ticket sessions for {IDLE_SECONDS} s: {now:.1f}% of a core"
        f"  (baseline, a full GC after every run: {before:.1f}%)",
        flush=True,
    )
    print("the ticket's chart refresh cost: python -m bench ticket_chart", flush=True)
