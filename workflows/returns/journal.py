"""The return's journal: every change is a timeline line; every line reaches the database.

`note` records, `move` changes the status (never raising: a move `domain.status` forbids is
flagged for ops, since raising would fail every workflow task forever), `flag` asks a person,
`flush` writes what is pending as one projection (a local activity), `wait` sleeps until a
condition holds while writing whatever handlers changed meanwhile, `attempt` runs a side effect
whose failure must not end the return. Batching means a burst of carrier events costs one write.

A lean return (Patch.LEAN_HISTORY) costs fewer Temporal actions: its search attributes go out in one upsert,
only those that changed, when `run` settles into a wait (or a person is needed, or the return closes); plain
notes wake nobody (the next write carries them); a wait already over writes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.store import StoreActivities
    from domain.status import InvalidTransition, ReturnStatus, check_transition
    from workflows import search_attributes as sa
    from workflows.activity_options import PROJECTION
    from workflows.ids import attention_key
    from workflows.messages import (
        AttentionEntry,
        AttentionKind,
        ReturnProjection,
        SideEffectTrouble,
        TimelineEntry,
        TimelineEvent,
    )
    from workflows.returns.state import ReturnState

T = TypeVar("T")


def cause(err: ActivityError | ChildWorkflowError) -> str:
    """What went wrong, in the words of the innermost error."""
    inner = err.cause
    return getattr(inner, "message", None) or str(inner or err)


def error_type(err: ActivityError) -> str | None:
    return getattr(err.cause, "type", None)


class Journal:
    def __init__(self, state: ReturnState) -> None:
        self._state = state
        self._seq = 0
        self._pending: list[TimelineEntry] = []
        self._attention_keys: set[str] = set()
        self._attention: list[AttentionEntry] = []  # flagged, not yet written
        self._urgent = False  # a line not yet written that is not `quiet` (a lean return wakes only for these)
        self._published: dict[str, object] = {}  # a lean return's search attributes as Temporal has them
        self._attributes: dict[str, tuple[object, object]] = {}  # name -> (key, value) to upsert next

    def start_attributes(self) -> None:
        """A lean return: what the API set at start is published already (free: part of the start); what it
        did not set goes out with the first upsert."""
        self._published = {pair.key.name: pair.value for pair in workflow.info().typed_search_attributes}
        inp = self._state.inp
        self.set_attribute(sa.MERCHANT_ID, inp.merchant_id)
        self.set_attribute(sa.ORDER_ID, inp.context.order.order_id)

    def set_attribute(self, key, value) -> None:
        """A search attribute: upserted at once (returns before Patch.LEAN_HISTORY), else kept for `publish`."""
        if not self._state.lean:
            workflow.upsert_search_attributes([key.value_set(value)])
        elif self._published.get(key.name) != value:
            self._attributes[key.name] = (key, value)
        else:
            self._attributes.pop(key.name, None)

    def publish(self) -> None:
        """One upsert of every search attribute that changed since the last (none: no command)."""
        if not self._attributes:
            return
        workflow.upsert_search_attributes([key.value_set(value) for key, value in self._attributes.values()])
        self._published.update({name: value for name, (_, value) in self._attributes.items()})
        self._attributes = {}

    @property
    def has_news(self) -> bool:
        return bool(self._pending)

    def note(self, event: TimelineEvent, cause: str, quiet: bool = False) -> None:
        """A timeline line; `quiet`: nobody outside waits for it, so a lean return writes it with the next write."""
        state = self._state
        self._urgent = self._urgent or not quiet
        self._seq += 1
        state.updated_at = workflow.now()
        self._pending.append(
            TimelineEntry(seq=self._seq, at=state.updated_at, status=state.status, event=event, cause=cause)
        )

    def move(self, target: ReturnStatus, event: TimelineEvent, cause: str, final: bool = False) -> None:
        """Change the return's status; a forbidden move is flagged and the status stays, unless the
        return is ending (`final`): then the end is recorded anyway, so nothing shows it still open."""
        state = self._state
        if target != state.status:
            try:
                check_transition(state.status, target)
            except InvalidTransition as err:
                self.flag(
                    AttentionKind.UNEXPECTED_TRANSITION, f"{err} ({event}: {cause})", about=f"{state.status}-{target}"
                )
                if not final:
                    return
            state.status = target
            self.set_attribute(sa.RETURN_STATUS, target.value)
        elif self._seq == 0:
            self.set_attribute(sa.RETURN_STATUS, target.value)
        self.note(event, cause)

    def flag(self, kind: AttentionKind, reason: str, line_id: str | None = None, about: str | None = None) -> None:
        """Needs a person: the NeedsAttention search attribute, a timeline line and a row for GET /v1/attention."""
        self.set_attribute(sa.NEEDS_ATTENTION, True)
        if self._state.lean:  # ops see it now, even while `run` awaits a slow call (a void, a refund)
            self.publish()
        key = attention_key(self._state.inp.return_id, kind, about or line_id or "")
        if key not in self._attention_keys:
            self._attention_keys.add(key)
            self._attention.append(
                AttentionEntry(key=key, kind=kind, line_id=line_id, reason=reason, at=workflow.now())
            )
        self.note(TimelineEvent.ATTENTION, reason)

    def unflag(self, kind: AttentionKind) -> None:
        """What `kind` asked a person for is done (the database closes its item): NeedsAttention goes back to
        false unless something else was flagged. (Callers guard it with the patch that added their flag.)"""
        if self._attention_keys <= {attention_key(self._state.inp.return_id, kind, "")}:
            self.set_attribute(sa.NEEDS_ATTENTION, False)

    def side_effect(self, trouble: SideEffectTrouble) -> bool:
        """A call kept failing (flagged once) or recovered (noted once); True if there is news to write."""
        troubles = self._state.troubles
        if trouble.recovered:
            if troubles.pop(trouble.activity, None) is None:
                return False
            self.note(TimelineEvent.SIDE_EFFECT, f"{trouble.activity} succeeded at attempt {trouble.attempt}")
        else:
            if trouble.activity in troubles:
                return False
            troubles[trouble.activity] = trouble.attempt
            self.flag(
                AttentionKind.SIDE_EFFECT_FAILING,
                f"{trouble.activity} keeps failing (attempt {trouble.attempt}): {trouble.error[:300]}; still retrying",
                about=trouble.activity,
            )
        return True

    async def flush(self) -> None:
        if sa.NEEDS_ATTENTION.name in self._attributes:  # a person is needed: ops see it now, not at the next wait
            self.publish()
        if not self._pending:
            return
        self._urgent = False
        entries, self._pending = self._pending, []
        attention, self._attention = self._attention, []
        await workflow.execute_local_activity_method(
            StoreActivities.record_return,
            ReturnProjection(
                view=self._state.view(),
                version=self._seq,
                new_entries=entries,
                new_attention=attention,
                label_mail=self._state.label_mail_in_outbox,
            ),
            **PROJECTION,
        )

    async def wait(
        self, done: Callable[[], bool], timeout: timedelta | None = None, summary: str | None = None
    ) -> bool:
        """Wait until `done()`, writing the projection whenever handlers changed state; False if
        `timeout` (a timer named `summary` in the Temporal UI) passed first."""
        deadline = workflow.now() + timeout if timeout else None
        lean = self._state.lean
        while True:
            if lean and done():
                if self._attention or sa.NEEDS_ATTENTION.name in self._attributes:
                    await self.flush()  # a person is needed: not left for after a slow call (a refund's day)
                return True  # nothing waited for: what is pending rides on the next write
            await self.flush()
            if done():
                return True
            if lean:
                self.publish()
            remaining = (deadline - workflow.now()) if deadline else None
            if remaining is not None and remaining <= timedelta(0):
                return False
            try:
                await workflow.wait_condition(
                    lambda: done() or (self._urgent if lean else self.has_news),
                    timeout=remaining,
                    timeout_summary=summary,
                )
            except asyncio.TimeoutError:
                await self.flush()
                return done()

    async def attempt(
        self, kind: AttentionKind, what: str, call: Awaitable[T], about: str | None = None, ok: bool = False
    ) -> T | None:
        """A side effect whose failure (after its retries) must not end the return: flagged for ops,
        and None (or False with `ok`) returned so the story goes on."""
        try:
            result = await call
            return True if ok else result
        except (ActivityError, ChildWorkflowError) as err:
            self.flag(kind, f"{what} failed: {cause(err)}", about=about)
            return False if ok else None
