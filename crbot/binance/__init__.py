"""Binance's spot wire format, both directions: the JSON codec (``codec.py`` and its parts), order
parameters both ways (``params.py``; an incoming request's parameters read by ``query.py``), the
error-code table (``errors.py``), the rate-limit policy (``retry.py``: 429 / 418, Retry-After, bans,
backoff) and the public-data client (``public.py``); which fields each order type carries is
``crbot.domain.OrderType``'s.
The connector (crbot.broker.binance) and the local exchange (crbot.localexchange) both speak through it;
it imports neither them nor the paper engine.
"""
