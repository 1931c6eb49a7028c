"""The broker endpoints of the integration guide as an HTTP API (FastAPI), for scripts and bots in any language.

    client --Bearer token--> guard.py (token, scope, rate limit, body size) -> routes.py -> TradingService

* No second order path: every route calls the same ``TradingService`` as the dashboard and the CLI (the same
  risk manager, journal, idempotency per client order id and kill switch).
* Every request needs a token (``tokens.py``: random secrets stored only as SHA-256 hashes, scopes
  read < trade < admin); every call that acts is an audit event naming the token (``api:NAME``).
* CRBOT's errors map to HTTP statuses in one table (``errors.py``), beside the CLI's exit codes.
* STOP, cancel and resume act before any start-up work (as in the CLI); the server runs the start-up once in
  the background and stays up, degraded, while it fails (``server.py``).
"""
