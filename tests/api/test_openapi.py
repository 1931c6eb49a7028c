"""The OpenAPI document validates, names every path and the bearer scheme; the interactive docs are served."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.api.conftest import Server

GUIDE = [  # the integration guide's seven endpoints, at its paths
    ("get", "/api/broker/ping"),
    ("get", "/api/broker/balance"),
    ("get", "/api/broker/positions"),
    ("post", "/api/broker/order/create"),
    ("post", "/api/broker/order/cancel"),
    ("get", "/api/broker/order/{client_order_id}"),
    ("get", "/api/broker/account/info"),
]
CRBOT = [
    ("get", "/api/broker/orders"),
    ("post", "/api/broker/stop"),
    ("post", "/api/broker/resume"),
    ("get", "/api/broker/status"),
    ("get", "/api/broker/metrics"),
]


def test_the_openapi_document_validates_and_lists_every_path(api: Server) -> None:
    reply = api.call("GET", "/openapi.json", None)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    spec = reply.json()
    validate(spec)  # raises on an invalid document
    for method, path in GUIDE + CRBOT:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"HTTPBearer": []}], path
    assert spec["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a token from `python -m crbot api token create`",
    }
    create = spec["components"]["schemas"]["OrderCreate"]["properties"]
    assert {"symbol", "side", "type", "quantity", "quote_quantity", "price", "stop_loss", "take_profit"} <= set(create)
    assert "client_order_id" in create


def test_the_interactive_docs_are_served(api: Server) -> None:
    docs = api.call("GET", "/docs", None)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
