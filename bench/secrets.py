"""What the encrypted keys cost: settings load (lazy: nothing decrypted), the decrypt per connector start, and
a fetch from AWS Secrets Manager (moto's server) and Vault (OpenBao's dev server), beside plain-text keys
measured in the same run. ``python -m bench secrets``."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import pct
from crbot.broker.binance import BinanceBroker
from crbot.config import Settings
from crbot.secrets import masterkey, stores
from crbot.secrets.source import KeySource
from tests.secrets.servers import AWS_ENV, ROOT_TOKEN, bao_server, moto_server

KEY = "Fa7tS0kLm3NpQr5TuVw8XyZ1aB2cD4eF6gH9iJ0kL2mN4oP6qR8sT0uV2wX4yZ6a"
SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
N_FAST, N_STORE = 2000, 200


def timed(fn: Callable[[], object], n: int) -> list[float]:
    fn()  # warm-up: imports, first connection
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def show(label: str, samples: list[float], baseline: list[float] | None = None) -> None:
    median = statistics.median(samples)
    extra = f"   ({median - statistics.median(baseline):+.3f} ms vs plain text)" if baseline else ""
    print(f"  {label:<58} p50 {median:8.3f} ms   p95 {pct(samples, 95):8.3f} ms{extra}")


def run() -> None:
    root = Path(tempfile.mkdtemp(prefix="crbot-bench-secrets-"))
    key_file = root / "config" / "master.key"
    base = {"CRBOT_HOME": str(root / "home"), "CRBOT_MODE": "testnet", "CRBOT_BINANCE_BASE_URL": "http://127.0.0.1:9"}
    base["CRBOT_MASTER_KEY_FILE"] = str(key_file)
    master, _ = masterkey.load(Settings.load(base, dotenv=False).secrets, create=True)
    plain = {**base, "BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET}
    enc = {**base, "BINANCE_API_KEY": master.encrypt(KEY), "BINANCE_API_SECRET": master.encrypt(SECRET)}
    s_plain, s_enc = Settings.load(plain, dotenv=False), Settings.load(enc, dotenv=False)

    print("settings load (nothing is decrypted here)")
    load_plain = timed(lambda: Settings.load(plain, dotenv=False), N_FAST)
    show("plain-text keys (baseline)", load_plain)
    show("enc: keys", timed(lambda: Settings.load(enc, dotenv=False), N_FAST), load_plain)

    print("keys resolved at connector start (KeySource.current)")
    keys_plain = timed(lambda: KeySource(s_plain).current(), N_FAST)
    show("plain-text keys (baseline)", keys_plain)
    show(
        "enc: keys (key file read, 0600 check, 2 Fernet decrypts)",
        timed(lambda: KeySource(s_enc).current(), N_FAST),
        keys_plain,
    )

    print("connector start (BinanceBroker: keys + python-binance Client, no network)")
    start_plain = timed(lambda: BinanceBroker(s_plain), N_STORE)
    show("plain-text keys (baseline)", start_plain)
    show("enc: keys", timed(lambda: BinanceBroker(s_enc), N_STORE), start_plain)

    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    try:
        with moto_server() as url:
            import boto3

            sm = boto3.client("secretsmanager", endpoint_url=url, region_name=AWS_ENV["AWS_REGION"])
            sm.create_secret(
                Name="crbot/binance/testnet", SecretString=json.dumps({"api_key": KEY, "api_secret": SECRET})
            )
            aws = Settings.load(
                {**base, "USE_AWS_SECRETS_MANAGER": "true", "AWS_REGION": "us-east-1", "CRBOT_AWS_ENDPOINT_URL": url},
                dotenv=False,
            )
            print("secret store fetch at connector start, 127.0.0.1 (a real store adds its network round trip)")
            show(
                "AWS Secrets Manager (moto; boto3 client + GetSecretValue)",
                timed(lambda: KeySource(aws).current(), N_STORE // 4),
                keys_plain,
            )
            client = stores.aws_client(aws.secrets)
            show(
                "  the same, boto3 client reused (GetSecretValue only)",
                timed(lambda: stores.aws_fetch(aws.secrets, client), N_STORE // 4),
                keys_plain,
            )
        with bao_server() as url:
            import hvac

            hvac.Client(url=url, token=ROOT_TOKEN).secrets.kv.v2.create_or_update_secret(
                path="crbot/binance", secret={"api_key": KEY, "api_secret": SECRET}
            )
            vault = Settings.load(
                {**base, "CRBOT_SECRET_STORE": "vault", "VAULT_ADDR": url, "VAULT_TOKEN": ROOT_TOKEN}, dotenv=False
            )
            show("Vault KV v2 (OpenBao dev; token)", timed(lambda: KeySource(vault).current(), N_STORE), keys_plain)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
