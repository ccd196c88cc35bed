"""Money as integer minor units plus an ISO 4217 currency; never floats.

Rounding rule, stated once: a percentage of an amount is rounded down to the
minor unit (the merchant never pays out a fraction of a cent it does not owe).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from domain.validation import MAX_MONEY, currency_code, invalid

# ISO 4217 currencies whose minor unit is not the cent.
_EXPONENT = {
    **{
        c: 0
        for c in (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        )
    },
    **{c: 3 for c in ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")},
}


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(ge=0, description="integer minor units (cents)")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, upper case")

    @field_validator("currency")
    @classmethod
    def _upper(cls, v: str) -> str:
        return currency_code(v)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def percent(self, pct: int) -> Money:
        """`pct` percent of this amount, rounded down to the minor unit."""
        if not 0 <= pct <= 100:
            raise ValueError("percent must be between 0 and 100")
        return Money(amount=self.amount * pct // 100, currency=self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def display(self) -> str:
        """For people: "5.95 EUR", "500 JPY" (never used for arithmetic)."""
        exponent = _EXPONENT.get(self.currency, 2)
        if exponent == 0:
            return f"{self.amount} {self.currency}"
        whole, fraction = divmod(self.amount, 10**exponent)
        return f"{whole}.{fraction:0{exponent}d} {self.currency}"

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=0, currency=currency)

    @classmethod
    def total(cls, amounts: list[Money], currency: str) -> Money:
        result = cls.zero(currency)
        for m in amounts:
            result = result + m
        return result


def money_text(amount: int, currency: str) -> str:
    """An amount of minor units for people ("5.95 EUR"), as `Money.display` shows it."""
    return Money(amount=amount, currency=currency).display()


def _within_bounds(money: Money) -> Money:
    if money.amount > MAX_MONEY:
        raise invalid(
            "Money", [(("amount",), f"{money.amount} is above the limit of {MAX_MONEY} minor units", money.amount)]
        )
    return money


# Money a request sets (a catalog price, a label budget): bounded like every amount from outside
# (domain.validation.MAX_MONEY). Money itself is not: sums made here may exceed what one input may say.
MoneyIn = Annotated[
    Money,
    AfterValidator(_within_bounds),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {
                "amount": {"type": "integer", "minimum": 0, "maximum": MAX_MONEY, "description": "integer minor units"},
                "currency": {"type": "string", "minLength": 3, "maxLength": 3, "pattern": "^[A-Za-z]{3}$"},
            },
            "required": ["amount", "currency"],
        }
    ),
]
