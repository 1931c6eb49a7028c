"""The python-binance ``Client`` set up safely, and the one path every Binance call takes.

Thread safety: ``client.response`` (the weight headers) and ``requests.Session`` are per-client
state, so each call borrows a whole ``Client`` from a small pool and reads its headers before
giving it back. Parallel calls (a STOP cancelling on many symbols) use different clients; the
shared facts (clock offset, used weight, ban) live in lock-protected objects.

Every call: gate (no request during a 418 ban / 429 cool-down) -> clock sync for signed calls ->
the call -> weight header recorded -> failures translated; -1021 resyncs the clock and retries
once; transient failures of idempotent calls are retried with backoff and jitter.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException, BinanceRequestException
from requests import RequestException

from crbot.binance.retry import RateState, RetryPolicy
from crbot.broker.binance_errors import Call, translate
from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.errors import ConfigError, CrbotError

logger = logging.getLogger(__name__)

T = TypeVar("T")
ClientFactory = Callable[[], Client]
_LIBRARY_FAILURES = (BinanceAPIException, BinanceRequestException, RequestException)
_HOSTS = {
    Mode.TESTNET: Client.API_TESTNET_URL,
    Mode.DEMO: Client.API_DEMO_URL,
    Mode.LIVE: "https://api.binance.com/api",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    mode: Mode
    api_url: str  # ".../api"
    timeout_s: float

    @property
    def host(self) -> str:
        return urlsplit(self.api_url).netloc

    @property
    def label(self) -> str:
        return f"Binance {self.mode.value} ({self.host})"


def endpoint_for(settings: Settings, *, timeout_s: float) -> Endpoint:
    if settings.mode is Mode.PAPER:
        raise ConfigError(
            "the Binance connector cannot run in paper mode", hint="set CRBOT_MODE to testnet, demo or live"
        )
    base = settings.binance_base_url.rstrip("/")
    return Endpoint(mode=settings.mode, api_url=f"{base}/api" if base else _HOSTS[settings.mode], timeout_s=timeout_s)


def make_client(settings: Settings, endpoint: Endpoint) -> Client:
    """A Client for ``settings``: no ping, our recvWindow and timeout, any base URL, /sapi only in live."""
    key, secret = settings.api_key.get().strip(), settings.api_secret.get().strip()
    if not key or not secret:
        raise ConfigError(
            f"BINANCE_API_KEY and BINANCE_API_SECRET are required in {endpoint.mode.value} mode",
            hint="create a key for this mode (testnet.binance.vision for testnet) and set both in .env",
        )
    pem = secret.startswith("-----BEGIN")  # an Ed25519/RSA private key signs instead of the HMAC secret
    client = Client(
        api_key=key,
        api_secret=None if pem else secret,
        private_key=secret if pem else None,
        requests_params={"timeout": (min(5.0, endpoint.timeout_s), endpoint.timeout_s)},
        testnet=endpoint.mode is Mode.TESTNET,
        demo=endpoint.mode is Mode.DEMO,
        ping=False,
    )
    if settings.binance_base_url:
        base = settings.binance_base_url.rstrip("/")
        # testnet/demo pick API_TESTNET_URL / API_DEMO_URL, so all three point at the base
        client.API_URL = client.API_TESTNET_URL = client.API_DEMO_URL = f"{base}/api"  # type: ignore[misc]
        client.MARGIN_API_URL = f"{base}/sapi"  # type: ignore[misc]
    client.REQUEST_RECVWINDOW = settings.recv_window_ms  # trap 1: the library default (10000) overrides ours
    client.REQUEST_TIMEOUT = endpoint.timeout_s
    _read_environment_once(client.session, client.API_URL)
    if endpoint.mode is not Mode.LIVE:
        client._request_margin_api = _sapi_refused  # type: ignore[method-assign]
    return client


def _read_environment_once(session: requests.Session, url: str) -> None:
    """requests reads the environment (proxies, no_proxy, CA bundle, netrc) again on every request: a sixth of
    a request's CPU on a machine with a large environment, twenty times over in a STOP. Read it once here and
    keep what it says (a proxy or a company CA bundle set in the environment still applies)."""
    found = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.trust_env = False


def _sapi_refused(*_args: Any, **_kwargs: Any) -> Any:
    """/sapi goes to PRODUCTION even with testnet=True or demo=True: never let it leave."""
    raise ConfigError(
        "refused a /sapi call outside live mode (it would reach production Binance)",
        hint="testnet and demo keys have no /sapi; this is a CRBOT bug if you see it",
    )


class ClientPool:
    """At most ``size`` clients; a call holds one client for itself from request to header read."""

    def __init__(self, factory: ClientFactory, size: int) -> None:
        self._factory = factory
        self._size = max(1, size)
        self._idle: list[Client] = []
        self._created = 0
        self._cond = threading.Condition()

    @contextmanager
    def client(self) -> Iterator[Client]:
        with self._cond:
            while not self._idle and self._created >= self._size:
                self._cond.wait()
            if self._idle:
                client = self._idle.pop()
            else:
                self._created += 1
                client = None
        if client is None:
            try:
                client = self._factory()
            except BaseException:
                with self._cond:
                    self._created -= 1
                    self._cond.notify()
                raise
        try:
            yield client
        finally:
            with self._cond:
                self._idle.append(client)
                self._cond.notify()


class Transport:
    def __init__(
        self,
        *,
        endpoint: Endpoint,
        factory: ClientFactory,
        clock: Clock,
        retry: RetryPolicy,
        sleep: Callable[[float], None],
        rng: random.Random,
        pool_size: int,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint = endpoint
        self.limits = RateState(clock)
        self._pool = ClientPool(factory, pool_size)
        self._clock = clock
        self._retry = retry
        self._sleep = sleep
        self._rng = rng
        self._wall = wall  # python-binance stamps requests with time.time(); the offset is against it
        self._lock = threading.Lock()
        self._offset_ms: int | None = None

    @property
    def clock_offset_ms(self) -> int | None:
        """Binance's clock minus ours, in ms (None until the first sync)."""
        with self._lock:
            return self._offset_ms

    def sync_time(self) -> int:
        """Measure Binance's clock (GET /api/v3/time) and stamp signed requests with it."""

        def measure(client: Client) -> int:
            before = self._wall()
            server = int(client.get_server_time()["serverTime"])
            after = self._wall()
            return server - round((before + after) * 500)  # against the midpoint of the round trip

        offset = self.call("the server time query", measure, idempotent=True, signed=False)
        with self._lock:
            changed, self._offset_ms = self._offset_ms != offset, offset
        if changed:
            logger.info("%s clock offset %+d ms", self.endpoint.label, offset)
        return offset

    def call(
        self,
        what: str,
        fn: Callable[[Client], T],
        *,
        idempotent: bool,
        signed: bool = True,
        placing: str | None = None,
    ) -> T:
        """Run ``fn(client)`` under every rule in the module docstring; failures are crbot errors."""
        attempt = 0
        while True:
            try:
                self.limits.gate(self.endpoint.label)
                return self._once(what, fn, signed=signed, placing=placing)
            except CrbotError as error:
                delay = self._retry.delay(attempt, error, self._rng) if idempotent else None
                if delay is None:
                    raise
                logger.warning("%s; retry %d in %.2f s", error, attempt + 1, delay)
                attempt += 1
                self._sleep(delay)

    def _once(self, what: str, fn: Callable[[Client], T], *, signed: bool, placing: str | None) -> T:
        resynced = False
        while True:
            if signed and self.clock_offset_ms is None:
                self.sync_time()
            try:
                return self._raw(fn)
            except BinanceAPIException as exc:
                if exc.code == -1021 and signed and not resynced:  # rejected before the engine: safe to resend
                    logger.warning("%s: %s; resyncing the clock", what, exc.message)
                    resynced = True
                    self.sync_time()
                    continue
                raise self._failed(exc, what, placing) from exc
            except _LIBRARY_FAILURES as exc:
                raise self._failed(exc, what, placing) from exc

    def _raw(self, fn: Callable[[Client], T]) -> T:
        with self._pool.client() as client:
            client.timestamp_offset = self.clock_offset_ms or 0
            client.response = None  # so a failed call never reports the previous call's headers
            try:
                return fn(client)
            finally:
                response = client.response
                self.limits.observe_headers(getattr(response, "headers", None))

    def _failed(self, exc: BaseException, what: str, placing: str | None) -> CrbotError:
        call = Call(
            what=what,
            venue=self.endpoint.label,
            now=self._clock.now(),
            placing=placing,
            timeout_s=self.endpoint.timeout_s,
        )
        error = translate(exc, call)
        self.limits.observe_error(error)
        logger.warning("%s", error)
        return error
