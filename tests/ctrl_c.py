"""Child processes that Ctrl-C stops, whatever this test process's signal state."""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def popen_with_ctrl_c(command: list[str], **popen: Any) -> subprocess.Popen[str]:
    """``subprocess.Popen(command, **popen)`` whose child takes SIGINT as Ctrl-C.

    A child inherits an ignored SIGINT (a background job of a non-interactive shell, as under CI's make, has it
    ignored) and a blocked one: its Ctrl-C then does nothing and a test waits out its timeout (20 s each time
    CI stopped a ``sim serve``). A Python handler here becomes the default action in the child, where Python
    installs its own (KeyboardInterrupt); the mask is inherited as it is. Main thread only (``signal.signal``).
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        return subprocess.Popen(command, **popen)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
