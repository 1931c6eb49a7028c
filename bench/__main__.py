"""Run every benchmark and print its figures: ``make bench`` (or ``python -m bench NAME ...``)."""

from __future__ import annotations

import importlib
import logging
import sys

# any order works: the connector bench's exchange is a fresh `python -m` process, untouched by fills' AppTest
ALL = (
    "order_path",
    "stop",
    "weight",
    "connector",
    "fills",
    "api",
    "metrics",
    "monitor",
    "load",
    "access",
    "secrets",
    "ticket_chart",
    "golive",
    "pages",  # a real dashboard in Chromium: run it alone (`python -m bench pages`) for steady figures
)


def main(names: list[str]) -> int:
    logging.disable(logging.CRITICAL)
    for name in names or ALL:
        print(f"== {name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
