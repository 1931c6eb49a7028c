"""Binance's spot wire format, both directions: the JSON codec (``codec.py`` and its parts), request
parameters (``params.py`` out, ``request.py`` in), the order-type properties and the error-code table.
The connector (crbot.broker.binance) and the local exchange (crbot.localexchange) both speak through it;
it imports neither them nor the paper engine.
"""
