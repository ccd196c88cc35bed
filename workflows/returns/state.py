"""Everything a return knows, in one object: what was asked, what was decided, where it is now.

Handlers and phases change it; the `view` query and the projection read it (`ReturnState.view`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.inspection import amount_due
    from domain.money import Money
    from domain.policy import Quote
    from domain.returns import Resolution
    from domain.status import ReturnStatus
    from workflows.messages import (
        CancelRequest,
        ExchangeView,
        ItemView,
        Label,
        ReturnInput,
        ReturnView,
        ReviewDecision,
        Settlement,
        TimelineEvent,
        WorkOrderDone,
    )
    from workflows.returns.patches import Patch


class Ending(NamedTuple):
    """How the return ends: its last status, the timeline event and the words for it."""

    status: ReturnStatus
    event: TimelineEvent
    cause: str


@dataclass
class ReturnState:
    inp: ReturnInput
    # The policy's verdict, computed once from the input (pure and deterministic, so replay-safe).
    quote: Quote
    items: list[ItemView]
    # What the shopper gets: the requested resolution, or their second choice when an exchange
    # cannot happen (out of stock).
    resolution: Resolution
    updated_at: datetime
    status: ReturnStatus = ReturnStatus.REQUESTED
    decision_reasons: list[str] = field(default_factory=list)
    # The shopper's requests and the reviewer's verdict, as they arrive.
    cancel: CancelRequest | None = None
    review: ReviewDecision | None = None
    # The parcel: its label (several for a heavy return), what the carrier and the dock said.
    label: Label | None = None
    parcels: list[Label] = field(default_factory=list)
    parcels_received: set[str] = field(default_factory=set)
    tracking_status: str = "unknown"
    seen_events: set[str] = field(default_factory=set)
    relabel_reason: str | None = None  # set when the carrier cancels an unused label
    relabels: int = 0
    pickups_booked: int = 0
    received_at_facility: str | None = None
    # The money and the replacement.
    settlement: Settlement | None = None
    exchange: ExchangeView | None = None
    refund_failure: str | None = None
    owed: Money | None = None  # instant refund above what inspection allowed
    # After inspection: refurbishment work orders finished, by line.
    work_orders_done: dict[str, WorkOrderDone] = field(default_factory=dict)
    troubles: dict[str, int] = field(default_factory=dict)  # activity type -> attempt reported failing
    answered: bool = False  # the first projection (with the label, or the refusal) is written
    lean: bool = False  # Patch.LEAN_HISTORY or newer, asked once at the start of `run` (see `patched`)
    # The newest patch the return was started with (None: before Patch.LEAN_HISTORY, each patch asked on its own)
    started_with: str | None = None

    @classmethod
    def start(cls, inp: ReturnInput) -> ReturnState:
        return cls(
            inp=inp,
            quote=policy.evaluate(inp.policy, inp.context, inp.lines, inp.resolution, inp.requested_at),
            items=[ItemView(line_id=l.line_id, sku=l.sku, quantity=l.quantity, reason=l.reason) for l in inp.lines],
            resolution=inp.resolution,
            updated_at=inp.requested_at,
        )

    def view(self) -> ReturnView:
        inp = self.inp
        return ReturnView(
            return_id=inp.return_id,
            merchant_id=inp.merchant_id,
            order_id=inp.context.order.order_id,
            status=self.status,
            resolution=self.resolution,
            items=self.items,
            label=self.label,
            parcels=self.parcels,
            refund=self.settlement,
            exchange=self.exchange,
            decision_reasons=self.decision_reasons,
            request_fingerprint=inp.request_fingerprint,
            policy_version=inp.policy_version,
            created_at=inp.requested_at,
            updated_at=self.updated_at,
            received_at_facility=self.received_at_facility,
            label_expiry_days=inp.label_expiry_days,
        )

    def ask_patches(self) -> None:
        """At the start of `run`: the newest patch first, then the one before, so a new return records one
        marker and a return recorded with an older one replays as it was."""
        for patch in (Patch.LABEL_MAIL_OUTBOX, Patch.LEAN_HISTORY):
            if workflow.patched(patch):
                self.started_with, self.lean = patch, True
                return

    def patched(self, patch: str) -> bool:
        """`workflow.patched`, except on a lean return: every patch up to the one it started with holds there,
        and asking would cost a marker (and a TemporalChangeVersion upsert) per patch."""
        if self.started_with is not None and _ORDER[Patch(patch)] <= _ORDER[Patch(self.started_with)]:
            return True
        return workflow.patched(patch)

    @property
    def label_mail_in_outbox(self) -> bool:
        """The label email is the outbox's (written with the label), not an activity of this workflow."""
        return self.started_with == Patch.LABEL_MAIL_OUTBOX

    @property
    def cancel_won(self) -> bool:
        """A cancel accepted before the first scan is final: whatever the carrier or dock says later is for ops."""
        return self.cancel is not None and (self.status.is_cancellable or self.status.is_final)

    def item(self, line_id: str) -> ItemView:
        return next(i for i in self.items if i.line_id == line_id)

    def kept(self, line_id: str) -> bool:
        return next(q.keep_item for q in self.quote.items if q.line_id == line_id)

    def item_value(self, line_id: str) -> Money:
        """What the item is worth undamaged for this resolution: the quote's price net of fees."""
        quoted = next(q for q in self.quote.items if q.line_id == line_id)
        if self.resolution == Resolution.STORE_CREDIT:
            return quoted.store_credit_amount
        return quoted.refund_amount

    def refund_due(self) -> Money:
        """Inspected items at their graded amounts, kept items at full value, less the shipping fee."""
        amounts = [i.refund for i in self.items if i.refund is not None]
        amounts += [self.item_value(i.line_id) for i in self.items if self.kept(i.line_id)]
        return amount_due(amounts, self.quote.return_shipping_fee, self.inp.context.order.currency)


_ORDER = {patch: i for i, patch in enumerate(Patch)}
