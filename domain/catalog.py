"""The merchant's catalog: the variants an exchange can send instead of a returned item.

Invalid catalogs raise pydantic's ValidationError (a ValueError) with one error per
problem, located at its field (variants[1].sku, variants[2].price.currency, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.money import MoneyIn
from domain.validation import MAX_NAMES, MAX_VARIANTS, Loc, Sku, invalid, repeats, text

__all__ = ["Catalog", "Variant"]

_FORBID = ConfigDict(frozen=True, extra="forbid")


class Variant(BaseModel):
    """One sellable variant of a product: {"size": "M", "colour": "navy"}."""

    model_config = _FORBID

    sku: Sku
    product_id: text(128, 1)
    title: text(200) = ""
    options: dict[text(64), text(200)] = Field(default_factory=dict, max_length=MAX_NAMES)
    price: MoneyIn  # per unit
    discontinued: bool = False
    category: text(100) = ""

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, str]) -> dict[str, str]:
        problems: list[tuple[Loc, str, Any]] = []
        for name, value in v.items():
            if not name.strip():
                problems.append(((name,), "an option needs a name", name))
            elif not value.strip():
                problems.append(((name,), f"option {name!r} needs a value", value))
        if problems:
            raise invalid("Variant", problems)
        return {name.strip(): value.strip() for name, value in v.items()}

    def describe(self) -> str:
        """For people: "Trail jacket (size M, colour navy)"."""
        name = self.title.strip() or f"sku {self.sku}"
        options = ", ".join(f"{k} {v}" for k, v in self.options.items())
        return f"{name} ({options})" if options else name


class Catalog(BaseModel):
    """The merchant's variants: skus unique, prices in one currency."""

    model_config = _FORBID

    variants: list[Variant] = Field(default_factory=list, max_length=MAX_VARIANTS)

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        problems: list[tuple[Loc, str, Any]] = []
        again = repeats(v.sku for v in self.variants)
        currency = self.currency
        for i, variant in enumerate(self.variants):
            if i in again:
                problems.append(
                    (("variants", i, "sku"), f"sku {variant.sku!r} is already variants[{again[i]}]", variant.sku)
                )
            if variant.price.currency != currency:
                problems.append(
                    (
                        ("variants", i, "price", "currency"),
                        f"{variant.price.currency} differs from variants[0]'s {currency}: a catalog is priced in one currency",
                        variant.price.currency,
                    )
                )
        if problems:
            raise invalid("Catalog", problems)
        return self

    @property
    def currency(self) -> str | None:
        """The catalog's currency; None when it is empty."""
        return self.variants[0].price.currency if self.variants else None

    def get(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)
