"""The connector bench's local exchange in a process of its own: ``python -m bench.exchange_process``.

It prints ``{"url": ..., "home": ...}`` (one JSON line), then reads one command per line on stdin and answers
each with one JSON line: ``latency MS`` (delay every answer from now on and start counting requests),
``summary`` (what it was asked since), ``stop``. A fresh interpreter, not multiprocessing's spawn: spawn
re-imports the parent's ``__main__``, which an AppTest run earlier in the same process may have replaced.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.connector import local_exchange


def _say(value: Any) -> None:
    print(json.dumps(value), flush=True)


def main() -> int:
    with local_exchange() as local:
        _say({"url": local.url, "home": str(local.home)})
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "stop":
                break
            if command == "summary":
                _say(local.requests_summary())
            elif command == "latency":
                local.exchange.faults.latency_ms = int(arg)
                local.count_requests()
                _say(None)
            else:
                _say({"error": f"unknown command {line.strip()!r}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
