"""Binance's spot wire format, both directions: the JSON codec (``codec.py`` and its parts), request
parameters (``params.py``) and the error-code table (``errors.py``); which fields each order type carries
is ``crbot.domain.OrderType``'s.
The connector (crbot.broker.binance) and the local exchange (crbot.localexchange) both speak through it;
it imports neither them nor the paper engine.
"""
