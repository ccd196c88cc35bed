"""Checks a return request against the order it refers to (before any policy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel


class RequestedItem(BaseModel):
    line_id: str
    quantity: int


class RequestProblem(BaseModel):
    """One thing wrong with a request, naming the item it concerns."""

    field: str
    message: str


def check_request(
    order_quantities: Mapping[str, int],
    requested: Sequence[RequestedItem],
    already_returned: Mapping[str, int],
) -> list[RequestProblem]:
    """Lines must exist in the order, appear once, and not exceed what is left to return."""
    problems: list[RequestProblem] = []
    if not requested:
        problems.append(RequestProblem(field="items", message="a return needs at least one item"))
    seen: set[str] = set()
    for i, item in enumerate(requested):
        where = f"items[{i}]"
        if item.line_id not in order_quantities:
            problems.append(
                RequestProblem(field=f"{where}.line_id", message=f"line {item.line_id!r} is not in the order")
            )
            continue
        if item.line_id in seen:
            problems.append(
                RequestProblem(field=f"{where}.line_id", message=f"line {item.line_id!r} appears more than once")
            )
            continue
        seen.add(item.line_id)
        left = order_quantities[item.line_id] - already_returned.get(item.line_id, 0)
        if item.quantity > left:
            problems.append(
                RequestProblem(
                    field=f"{where}.quantity",
                    message=(
                        f"quantity {item.quantity} is more than the {left} left to return "
                        f"of line {item.line_id!r} (bought {order_quantities[item.line_id]})"
                    ),
                )
            )
    return problems
