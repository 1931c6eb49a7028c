"""The logging filter: anything shaped like a key, a secret, a signature, a token or an encrypted value is
blanked in the message, its arguments and its traceback, for every logger once installed."""

from __future__ import annotations

import base64
import io
import logging

import pytest
from cryptography.fernet import Fernet

from crbot.secrets import redact
from crbot.secrets.masterkey import MasterKey

KEY = "Fa7tS0kLm3NpQr5TuVw8XyZ1aB2cD4eF6gH9iJ0kL2mN4oP6qR8sT0uV2wX4yZ6a"
SIGNATURE = "3c1f2b8f6a0e4d9c7b5a3f1e0d2c4b6a8f9e7d5c3b1a0f2e4d6c8b0a9f7e5d3c"
MASTER = base64.urlsafe_b64encode(bytes(range(32))).decode()  # a master key's shape; fixed: xdist ids must agree
ED25519_SIG = "A" * 86 + "=="


@pytest.mark.parametrize(
    "secret, text",
    [
        (KEY, f"X-MBX-APIKEY: {KEY}"),
        (KEY, f"using key {KEY} now"),
        ("hunter2-secret-value", "api_secret=hunter2-secret-value&x=1"),
        ("hunter2-secret-value", '{"api_secret": "hunter2-secret-value"}'),
        (SIGNATURE, f"GET /api/v3/account?timestamp=1&signature={SIGNATURE}"),
        (SIGNATURE, f"signed {SIGNATURE}"),
        ("s3cr3t-passw0rd", "password: s3cr3t-passw0rd"),
        ("hvs.CAESIJx8b2k4Y2d5a3Jmb3Zw", "vault token hvs.CAESIJx8b2k4Y2d5a3Jmb3Zw expired"),
        ("root-token-1234", "X-Vault-Token: root-token-1234"),
        (MASTER, f"master key {MASTER}"),
        (ED25519_SIG, f"sig {ED25519_SIG}"),
        ("MC4CAQAwBQYDK2VwBCIEI", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----"),
    ],
)
def test_redact_blanks_secret_shapes(secret: str, text: str) -> None:
    cleaned = redact.redact(text)
    assert secret not in cleaned and redact.MASK in cleaned


def test_redact_blanks_encrypted_values_and_fernet_tokens() -> None:
    master = MasterKey((Fernet.generate_key(),), "t")
    value = master.encrypt(KEY)
    token = value.split(":", 2)[2]
    assert token not in redact.redact(f"BINANCE_API_KEY={value}") and token not in redact.redact(f"t={token}")


def test_ordinary_lines_are_left_alone() -> None:
    line = "BUY LIMIT BTCUSDT order web-abc123 accepted: NEW order id 42; clock offset +12 ms"
    assert redact.redact(line) == line


def _logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_the_filter_cleans_args_and_tracebacks() -> None:
    logger, stream = _logger("tests.secrets.filter")
    logger.handlers[0].addFilter(redact.RedactingFilter())
    logger.info("key %s secret %s", KEY, f"api_secret={SIGNATURE}")
    try:
        raise ValueError(f"bad signature={SIGNATURE}")
    except ValueError:
        logger.exception("failed with key=%s", KEY)
    out = stream.getvalue()
    assert KEY not in out and SIGNATURE not in out and "ValueError" in out and out.count(redact.MASK) >= 4


def test_install_cleans_every_logger_even_handlers_added_later() -> None:
    redact.install()
    redact.install()  # idempotent: one wrapper, not two
    factory = logging.getLogRecordFactory()
    assert getattr(factory, "_crbot_redacting", False)
    logger, stream = _logger("tests.secrets.later")  # no filter on this handler at all
    logger.warning("Invalid API-key %s, signature=%s", KEY, SIGNATURE)
    assert KEY not in stream.getvalue() and SIGNATURE not in stream.getvalue()
    assert "Invalid API-key" in stream.getvalue()
