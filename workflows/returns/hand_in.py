"""A return the shopper hands in at one of the merchant's stores: no label is bought; the store's
receipt (its staff scan the return's code) is the parcel's arrival, and the rest is the usual path.

The return waits in `awaiting_hand_in` for as long as a label would stay valid (`label_expiry_days`);
a cancel before the receipt ends it, as does the deadline. A second scan changes nothing: the first
store's receipt stands (the API sends every scan of a return under one update id, too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.status import ReturnStatus as S
    from workflows.messages import ErrorType, StoreReceipt, TimelineEvent
    from workflows.returns.exchange import Exchange
    from workflows.returns.journal import Journal
    from workflows.returns.state import Ending, ReturnState

HAND_IN_TIMER = "hand-in deadline"


class HandIn:
    def __init__(self, state: ReturnState, journal: Journal, exchange: Exchange) -> None:
        self._state = state
        self._journal = journal
        self._exchange = exchange
        self.store_id: str | None = None  # the store that received it, once one has
        # Set when the wait ends without a store: closing awaits activities (an exchange's unwind, an advance
        # exchange's charge) before the final status: a scan then must not make an ending return a received one.
        self.closed = False

    async def until_handed_in(self, original_not_back: Callable[[datetime], Awaitable[Ending]]) -> Ending | None:
        """`run`'s phase instead of the label's: None once a store has the return, else how it ends (cancel,
        expiry; an advance exchange's original missing ends as `original_not_back` says, as with a label)."""
        state, inp, exchange = self._state, self._state.inp, self._exchange
        await self.announce()
        deadline, timer = timedelta(days=inp.label_expiry_days), HAND_IN_TIMER
        started = workflow.now()
        if exchange.advance:  # the replacement leaves now; the original has a deadline of its own
            await exchange.ship()
            deadline, timer = timedelta(days=inp.exchange.advance_deadline_days), "advance exchange: original due"
        if await self.wait(deadline, timer):
            return None
        self.closed = True
        if state.cancel is not None:
            return Ending(S.CANCELLED, TimelineEvent.CANCEL, state.cancel.reason)
        if exchange.advance:
            return await original_not_back(started)
        return Ending(S.EXPIRED, TimelineEvent.EXPIRY, f"not handed in at a store within {inp.label_expiry_days} days")

    async def announce(self) -> None:
        """The return is accepted and waits for the shopper: what the create request answers."""
        state, inp = self._state, self._state.inp
        self._journal.move(
            S.AWAITING_HAND_IN,
            TimelineEvent.HAND_IN,
            f"to be handed in at store {inp.store_id} within {inp.label_expiry_days} days: no label bought",
        )
        await self._journal.flush()
        state.answered = True

    async def wait(self, deadline: timedelta, summary: str) -> bool:
        """Until a store receives the return (True), or the shopper cancels or the deadline passes (False)."""
        state = self._state
        await self._journal.wait(
            lambda: state.cancel is not None or state.status != S.AWAITING_HAND_IN, timeout=deadline, summary=summary
        )
        # A cancel accepted while waiting wins; a dock scan at a warehouse (sent by post anyway) counts too.
        return state.status != S.AWAITING_HAND_IN

    def check(self, receipt: StoreReceipt) -> None:
        """The update's validator: a store takes a return sent to a store and still waiting (or, again, its own)."""
        state = self._state
        if not state.inp.at_a_store:
            raise ApplicationError(
                f"return {state.inp.return_id} is not sent to a store; it goes back with its label",
                type=ErrorType.WRONG_STATE,
            )
        if self.store_id is not None:
            return  # received already: the same answer again
        if self.closed and state.cancel is None:
            raise ApplicationError(
                f"the hand-in deadline of return {state.inp.return_id} has passed; it is closing",
                type=ErrorType.WRONG_STATE,
            )
        if state.cancel is not None or state.status != S.AWAITING_HAND_IN:
            said = "being cancelled" if state.cancel is not None and not state.status.is_final else state.status.value
            raise ApplicationError(
                f"the return is {said}; a store can receive it only while it waits to be handed in",
                type=ErrorType.WRONG_STATE,
            )

    def receive(self, receipt: StoreReceipt) -> None:
        """The first store's receipt moves the return to `received` there; any later scan changes nothing."""
        state, inp = self._state, self._state.inp
        if self.store_id is not None or self.closed or state.status != S.AWAITING_HAND_IN:
            return
        self.store_id = state.received_at_facility = receipt.store_id
        chosen = "" if receipt.store_id == inp.store_id else f" (the shopper had chosen store {inp.store_id})"
        by = f", scanned with store key {receipt.scanned_by}…" if receipt.scanned_by else ""
        self._journal.move(S.RECEIVED, TimelineEvent.HAND_IN, f"handed in at store {receipt.store_id}{chosen}{by}")
