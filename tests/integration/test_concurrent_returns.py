"""Concurrent creates for the same units, over HTTP against the embedded stack: a unit of an order
line is in at most one open or completed return, however many requests race for it."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.factories import LINES, create_payment, order_body
from tests.integration.conftest import Running
from tests.integration.test_end_to_end import labels_for, wait_status

pytestmark = __import__("pytest").mark.integration


def put_order(run: Running, lines: list[dict]) -> str:
    total = sum(line["unit_price"] * line["quantity"] for line in lines)
    pi = create_payment(run.settings.stripe_base_url, amount=total)
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    r = run.api.put(
        f"/v1/orders/{order_id}",
        json=order_body(pi, lines=lines),
        headers=run.merchant(),
    )
    assert r.status_code == 201, r.text
    return order_id


def one_unit(order_id: str, line_id: str = "L2") -> dict:
    item = {"line_id": line_id, "quantity": 1, "reason": "defective"}
    return {"order_id": order_id, "items": [item], "resolution": "refund"}


def post_return(run: Running, body: dict, client: httpx.Client | None = None) -> httpx.Response:
    headers = {**run.merchant(), "Idempotency-Key": f"race-{uuid.uuid4().hex}"}
    return (client or run.api).post("/v1/returns", json=body, headers=headers)


def at_once(run: Running, n: int, body: dict) -> list[httpx.Response]:
    """n creates with different Idempotency-Keys, each on its own connection, released together."""
    start = threading.Barrier(n)

    def go(_: int) -> httpx.Response:
        with httpx.Client(base_url=run.settings.api_base_url, timeout=120) as client:
            start.wait()
            return post_return(run, body, client)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


def returns_of(run: Running, order_id: str) -> list[dict]:
    listed = run.api.get("/v1/returns", params={"limit": 100}, headers=run.merchant()).json()["data"]
    return [r for r in listed if r["order_id"] == order_id]


def assert_no_units_left(r: httpx.Response, line_id: str, bought: int) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_items"
    assert f"more than the 0 left to return of line {line_id!r} (bought {bought})" in error["message"]
    assert [d["field"] for d in error["details"]] == ["items[0].quantity"]


def test_twenty_concurrent_creates_for_one_unit_accept_exactly_one(running: Running):
    run = running
    order_id = put_order(run, LINES)  # L2: quantity 1
    results = at_once(run, 20, one_unit(order_id))
    accepted = [r for r in results if r.status_code in (201, 202)]
    assert len(accepted) == 1, [(r.status_code, r.text[:200]) for r in results]
    for r in results:
        if r is not accepted[0]:
            assert_no_units_left(r, "L2", 1)
    winner = accepted[0].json()
    wait_status(run, winner["id"], "label_created")
    assert [r["id"] for r in returns_of(run, order_id)] == [winner["id"]]
    assert len(labels_for(run, winner["id"])) == 1
    # Later, one after the other, the same: nothing of L2 is left.
    assert_no_units_left(post_return(run, one_unit(order_id)), "L2", 1)


def test_a_cancelled_return_frees_its_unit(running: Running):
    run = running
    order_id = put_order(run, LINES)
    first = post_return(run, one_unit(order_id))
    assert first.status_code == 201, first.text
    assert_no_units_left(post_return(run, one_unit(order_id)), "L2", 1)
    r = run.api.post(
        f"/v1/returns/{first.json()['id']}/cancel",
        json={"reason": "changed mind"},
        headers=run.merchant(),
    )
    assert r.status_code == 200, r.text
    wait_status(run, first.json()["id"], "cancelled")
    second = post_return(run, one_unit(order_id))
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]


def test_a_quantity_three_line_takes_three_single_unit_returns_and_refuses_the_fourth(
    running: Running,
):
    run = running
    three = [{**LINES[0], "quantity": 3}]
    order_id = put_order(run, three)
    created = [post_return(run, one_unit(order_id, "L1")) for _ in range(3)]
    assert [r.status_code for r in created] == [201, 201, 201], [r.text for r in created]
    assert_no_units_left(post_return(run, one_unit(order_id, "L1")), "L1", 3)
    quote = run.api.post("/v1/returns/quote", json=one_unit(order_id, "L1"), headers=run.merchant())
    assert quote.status_code == 422 and "0 left to return" in quote.json()["error"]["message"]


def test_a_retry_with_the_same_key_is_the_same_return_not_a_second_one(
    running: Running,
):
    run = running
    order_id = put_order(run, LINES)
    headers = {**run.merchant(), "Idempotency-Key": f"same-{uuid.uuid4().hex}"}
    start = threading.Barrier(5)

    def go(_: int) -> httpx.Response:
        with httpx.Client(base_url=run.settings.api_base_url, timeout=120) as client:
            start.wait()
            return client.post("/v1/returns", json=one_unit(order_id), headers=headers)

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(go, range(5)))
    assert {r.status_code for r in results} <= {200, 201, 202}, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    # A 202 (the workers slow to answer) may come before the workflow's first projection write: wait for it.
    wait_status(run, results[0].json()["id"], "label_created")
    assert len(returns_of(run, order_id)) == 1


def test_one_key_with_two_bodies_at_the_same_moment_is_one_return_and_a_409(
    running: Running,
):
    """Three creates for line L1 and three for line L2 with one Idempotency-Key, released together:
    one body becomes the return, the other is 409 idempotency_conflict and holds nothing."""
    run = running
    order_id = put_order(run, LINES)
    headers = {**run.merchant(), "Idempotency-Key": f"two-bodies-{uuid.uuid4().hex}"}
    bodies = [one_unit(order_id, "L1"), one_unit(order_id, "L2")] * 3
    start = threading.Barrier(len(bodies))

    def go(body: dict) -> tuple[str, httpx.Response]:
        with httpx.Client(base_url=run.settings.api_base_url, timeout=120) as client:
            start.wait()
            return body["items"][0]["line_id"], client.post("/v1/returns", json=body, headers=headers)

    with ThreadPoolExecutor(len(bodies)) as pool:
        results = list(pool.map(go, bodies))
    seen = [(line, r.status_code, r.text[:200]) for line, r in results]
    won = {line for line, r in results if r.status_code in (200, 201, 202)}
    assert len(won) == 1, seen
    [line] = won
    lost = "L2" if line == "L1" else "L1"
    won_ids = {r.json()["id"] for ln, r in results if ln == line}
    assert len(won_ids) == 1, seen
    [won_id] = won_ids
    for ln, r in results:
        if ln == lost:
            assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict", seen
    wait_status(run, won_id, "label_created")  # a 202 may come before the return is projected
    [created] = returns_of(run, order_id)
    assert [i["line_id"] for i in created["items"]] == [line]
    # The losing body reserved nothing: with a key of its own it is a return of its own.
    again = post_return(run, one_unit(order_id, lost))
    assert again.status_code == 201, again.text
