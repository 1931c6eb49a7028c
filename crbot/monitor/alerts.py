"""Alerts through apprise: one URL per target (Telegram ``tgram://``, Slack, Discord, a JSON webhook ``json://``).

Targets come from ``CRBOT_ALERT_URLS`` (comma-separated) and from the Monitoring page (kept in the journal). A URL
carries its token, so it is a secret: only ``mask(url)`` is ever logged, stored in the alert log or shown.

``Notifier.send`` only puts the alert on a queue: a background thread delivers it, retrying a failing target with
exponential backoff, and records the outcome. Nothing that trades or stops ever waits for a notification.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import apprise

from crbot.clock import Clock
from crbot.errors import InvalidInput
from crbot.monitor.store import AlertRecord, MonitorStore

logger = logging.getLogger(__name__)
# apprise's own log lines may quote a target URL, token and all: only ours (masked) are kept
logging.getLogger("apprise").setLevel(logging.CRITICAL)

ENV_URLS = "CRBOT_ALERT_URLS"
SETTING_URLS = "alert_urls"
ATTEMPTS = 4
BACKOFF_S = (1.0, 3.0, 9.0)  # waits between the attempts of one target
QUEUE_MAX = 200
_HOST_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}  # a webhook: the host alone is not a secret


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    kind: str  # test, stop, kill, breach, ban, unprotected, resume
    title: str
    body: str
    level: str = "warning"  # info, success, warning, failure (apprise's notify types)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    target: str  # masked
    ok: bool
    attempts: int
    error: str


def mask(url: str) -> str:
    """``json://127.0.0.1:8080/…`` for a webhook (scheme and host), ``tgram://…`` otherwise: never the token."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "…"
    scheme = (parts.scheme or "?").lower()
    if scheme in _HOST_SCHEMES and parts.hostname:
        port = f":{parts.port}" if _port(parts) else ""
        return f"{scheme}://{parts.hostname}{port}/…"
    return f"{scheme}://…"


def _port(parts) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def parse_urls(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated URLs, each one apprise understands; InvalidInput names the bad one (masked)."""
    urls = tuple(dict.fromkeys(u.strip() for u in text.replace("\n", ",").split(",") if u.strip()))
    for url in urls:
        if not apprise.Apprise().add(url):
            raise InvalidInput(
                f"{mask(url)} is not an alert URL apprise understands",
                hint="use e.g. tgram://BOT_TOKEN/CHAT_ID, slack://…, discord://…, json://host:port/path",
            )
    return urls


def configured_urls(store: MonitorStore, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The environment's targets, then the journal's (set on the Monitoring page), without duplicates."""
    env = os.environ if env is None else env
    from_env = [u.strip() for u in env.get(ENV_URLS, "").split(",") if u.strip()]
    saved = [u.strip() for u in store.settings().get(SETTING_URLS, "").split(",") if u.strip()]
    return tuple(dict.fromkeys([*from_env, *saved]))


def save_urls(store: MonitorStore, urls: tuple[str, ...], *, actor: str, clock: Clock) -> None:
    """Replace the journal's targets (the environment's stay); audited with masked targets only."""
    store.save_settings({SETTING_URLS: ",".join(urls)}, actor=actor, now=clock.now())
    shown = ", ".join(mask(u) for u in urls) or "none"
    store.journal.audit(actor=actor, action="alert_targets", detail=f"alert targets: {shown}")


def deliver(url: str, alert: Alert, *, sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Send to one target, retrying with backoff; never raises."""
    error = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            target = apprise.Apprise()
            if not target.add(url):
                return Delivery(target=mask(url), ok=False, attempts=attempt, error="not a valid alert URL")
            if target.notify(body=alert.body, title=alert.title, notify_type=alert.level):
                return Delivery(target=mask(url), ok=True, attempts=attempt, error="")
            error = "the target did not accept the notification"
        except Exception as exc:  # a plugin failing in an unexpected way must not kill the sender
            error = f"{type(exc).__name__}"
        logger.warning("alert %r to %s failed (attempt %d of %d)", alert.title, mask(url), attempt, ATTEMPTS)
        if attempt < ATTEMPTS:
            sleep(BACKOFF_S[min(attempt - 1, len(BACKOFF_S) - 1)])
    return Delivery(target=mask(url), ok=False, attempts=ATTEMPTS, error=error)


class Notifier:
    """A queue and one daemon thread that delivers alerts to every target; ``send`` never blocks."""

    def __init__(
        self,
        *,
        store: MonitorStore,
        clock: Clock,
        urls: Callable[[], tuple[str, ...]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.clock = clock
        self._urls = urls or (lambda: configured_urls(store))
        self._sleep = sleep
        self._queue: queue.Queue[Alert] = queue.Queue(maxsize=QUEUE_MAX)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        """Queue ``alert`` for every target and return at once (a full queue drops it, logged)."""
        logger.warning("ALERT %s: %s — %s", alert.kind, alert.title, alert.body)
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            logger.error("alert queue full: %r not delivered", alert.title)
            return
        self._ensure_thread()

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued alert was delivered or gave up (``--once`` before exiting); True if done."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self._queue.unfinished_tasks

    def deliver_now(self, alert: Alert) -> list[Delivery]:
        """Deliver synchronously to every target (the test alert) and record each outcome."""
        return [self._record(alert, deliver(url, alert, sleep=self._sleep)) for url in self._urls()]

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="crbot-alerts", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            try:
                urls = self._urls()
                if not urls:
                    logger.info("no alert target configured: %r only logged", alert.title)
                for url in urls:
                    self._record(alert, deliver(url, alert, sleep=self._sleep))
            except Exception:
                logger.exception("alert delivery failed")
            finally:
                self._queue.task_done()

    def _record(self, alert: Alert, delivery: Delivery) -> Delivery:
        if not delivery.ok:
            logger.error("alert %r NOT delivered to %s: %s", alert.title, delivery.target, delivery.error)
        try:
            self.store.record_alert(
                AlertRecord(
                    time=self.clock.now(),
                    kind=alert.kind,
                    title=alert.title[:200],
                    target=delivery.target,
                    ok=delivery.ok,
                    attempts=delivery.attempts,
                    error=delivery.error[:300],
                )
            )
        except Exception as exc:
            logger.warning("alert outcome not recorded: %s", exc)
        return delivery
