"""``SecretStr``: a string that never shows itself (settings hold keys, passwords and references in it)."""

from __future__ import annotations


class SecretStr:
    """A string that refuses to print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    __str__ = __repr__

    def __reduce__(self) -> object:  # never pickled into a cache
        raise TypeError("secrets are not picklable")
