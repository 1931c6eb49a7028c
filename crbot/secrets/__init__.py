"""Exchange keys that are never in plain text: a Fernet master key outside the repository, ``enc:`` values
in ``.env``, or a secret store (AWS Secrets Manager, HashiCorp Vault / OpenBao KV v2).

Contract: settings only hold references (``enc:...`` or the store's name); the keys are decrypted or
fetched inside the Binance connector when it starts (``source.KeySource``), and never reach a log line
(``redact``), a repr, an exception message, Streamlit's session state or a cache key. Paper mode never
loads them. ``python -m crbot keys ...`` (``cli``) manages them; ``live`` holds live mode's guard rails.
"""
