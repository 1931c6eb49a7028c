"""Request bodies, in the CLI's names (snake case). Amounts are Binance DECIMALs: send them as strings
("0.001"); plain JSON numbers are read as the digits written, never through a float's binary value."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from crbot.binance.params import CLIENT_ID

# Binance's DECIMAL parameter (^([0-9]{1,20})(\.[0-9]{1,20})?$), as the CLI checks it.
_NUMBER = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")


def _plain_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a decimal number written as a string, e.g. "0.001"')
    text = repr(value) if isinstance(value, float) else str(value).strip()  # repr: the shortest exact digits
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not a plain decimal number: ASCII digits and at most one dot")
    amount = Decimal(text)
    if amount <= 0:
        raise ValueError(f"{text!r} must be greater than zero")
    return amount


Amount = Annotated[Decimal, BeforeValidator(_plain_decimal), Field(json_schema_extra={"type": "string"})]
Symbol = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,20}$", examples=["BTCUSDT"])]
ClientOrderId = Annotated[str, Field(pattern=CLIENT_ID.pattern, examples=["my-bot-0001"])]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # a misspelt field is an error


class OrderCreate(_Body):
    symbol: Symbol
    side: Literal["BUY", "SELL"]
    type: Literal["LIMIT", "MARKET"] = "LIMIT"
    quantity: Amount | None = None
    quote_quantity: Amount | None = Field(None, description="quote amount (USDT) instead of quantity")
    price: Amount | None = None
    stop_loss: Amount | None = None
    take_profit: Amount | None = None
    client_order_id: ClientOrderId | None = Field(
        None, description="your own id: a retry with the same id never sends twice"
    )

    @model_validator(mode="after")
    def _together(self) -> OrderCreate:
        if (self.quantity is None) == (self.quote_quantity is None):
            raise ValueError("give exactly one of quantity or quote_quantity")
        if self.type == "MARKET" and self.price is not None:
            raise ValueError("price does not apply to a MARKET order (it fills at the market price)")
        return self


class OrderCancel(_Body):
    symbol: Symbol
    client_order_id: ClientOrderId


class StopBody(_Body):
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    flatten: bool = Field(False, description="also sell CRBOT's own positions to USDT at market")
    all_balances: bool = Field(False, description="with flatten: sell EVERY coin on the account")

    @model_validator(mode="after")
    def _together(self) -> StopBody:
        if self.all_balances and not self.flatten:
            raise ValueError("all_balances only makes sense with flatten")
        return self


class ResumeBody(_Body):
    confirmation: Annotated[str, Field(description="the word RESUME", examples=["RESUME"], max_length=40)]
    reason: Annotated[str, Field(max_length=500)] = "resumed through the API"


class LimitsBody(_Body):
    changes: dict[str, str | int | list[str]] = Field(
        description='risk limits to change, e.g. {"max_order_notional": "500"}', min_length=1
    )
    reason: Annotated[str, Field(min_length=1, max_length=500)]
