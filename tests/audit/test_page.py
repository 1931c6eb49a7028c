"""AppTest of the Audit trail page: every action of the session, filters, CSV export."""

from __future__ import annotations

from tests.app.helpers import place_resting_buy, texts


def test_audit_page_lists_filters_and_exports(page, app_runtime) -> None:
    from crbot.killswitch import RESUME_WORD

    cid = place_resting_buy(app_runtime)
    app_runtime.service.cancel("BTCUSDT", cid, actor="tester (dashboard)")
    app_runtime.service.stop(reason="practice", actor="cli:tester")
    app_runtime.service.resume(confirmation=RESUME_WORD, actor="cli:tester", reason="done")

    at = page("audit").run()
    assert not at.exception
    table = at.dataframe[0].value
    actions = set(table["Action"])
    assert {"order_place", "order_cancel", "trading_state", "stop_completed"} <= actions
    resumed = table[(table["Action"] == "trading_state") & (table["After"] == "ACTIVE")]
    assert resumed["Before"].tolist() == ["HALTED"] and resumed["From"].tolist() == ["cli"]
    assert any("entries" in m for m in texts(at, "markdown"))

    at.multiselect(key="audit_kinds").select("order").run()
    assert set(at.dataframe[0].value["Kind"]) == {"order"}
    at.text_input(key="audit_actor").input("dashboard").run()
    filtered = at.dataframe[0].value
    assert filtered["Action"].tolist() == ["order_cancel"]

    at.text_input(key="audit_actor").input("nobody").run()
    assert any("No audit event matches" in i for i in texts(at, "info"))
