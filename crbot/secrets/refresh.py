"""The Binance transport that survives a rotated secret: after an authentication error it fetches the keys
from the store once more and, if they changed, retries the call once with fresh clients. No restart.

Retrying is safe even for an order: Binance checks the key (-2015 / -2014) and the signature (-1022)
before the matching engine, so a refused request placed nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from crbot.broker.binance_transport import ClientFactory, ClientPool, Transport
from crbot.errors import AuthError
from crbot.secrets.source import KeySource

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RefetchingTransport(Transport):
    def __init__(self, *, keys: KeySource, factory: ClientFactory, pool_size: int, **options: Any) -> None:
        super().__init__(factory=factory, pool_size=pool_size, **options)
        self._keys = keys
        self._factory, self._pool_size = factory, pool_size

    def call(
        self, what: str, fn: Callable[[Any], T], *, idempotent: bool, signed: bool = True, placing: str | None = None
    ) -> T:
        seen = self._keys.generation
        try:
            return super().call(what, fn, idempotent=idempotent, signed=signed, placing=placing)
        except AuthError:
            if not self._keys.refetchable or not self._keys.refetch(since=seen):
                raise
            logger.warning(
                "%s: the exchange refused the key; retrying once with the keys now in %s", what, self._keys.label
            )
            if self._keys.generation != seen:
                self._pool = ClientPool(self._factory, self._pool_size)  # clients built from the new keys
            return super().call(what, fn, idempotent=idempotent, signed=signed, placing=placing)
