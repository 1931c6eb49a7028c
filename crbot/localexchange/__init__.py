"""The local exchange: a Binance-compatible HTTP server over the paper engine (``server.py``), with its
authentication, rate limits, fault injection, routes and handlers, and ``python -m crbot sim serve``
(``cli.py``). A test and development tool; the paper engine never imports it.
"""
