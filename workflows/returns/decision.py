"""The first phase: the policy's verdict on the request, and a person's when the policy holds the
return for review (or the shopper cancels while it waits)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.status import ReturnStatus as S
    from workflows.messages import AttentionKind, TimelineEvent
    from workflows.returns.journal import Journal
    from workflows.returns.patches import Patch
    from workflows.returns.state import Ending, ReturnState


async def decide(state: ReturnState, journal: Journal) -> Ending | None:
    """The policy's verdict, and a person's when the policy holds the return for review."""
    inp, quote = state.inp, state.quote
    journal.move(S.REQUESTED, TimelineEvent.REQUESTED, f"{len(inp.lines)} item(s) requested for {inp.resolution.value}")
    under = f"policy version {inp.policy_version}" if inp.policy_version else "the default policy"
    journal.note(
        TimelineEvent.POLICY,
        f"evaluated under {under}: " + (" ".join(quote.rules_fired) or "no special rules applied."),
    )
    if not state.lean:  # a lean return is first written with its label (or whatever ends or holds it first)
        await journal.flush()  # the return is readable from the first moment
    if not quote.eligible:
        state.decision_reasons = quote.reasons
        return Ending(S.REJECTED, TimelineEvent.POLICY, " ".join(quote.reasons))
    if not quote.needs_review:
        return None
    journal.move(S.PENDING_REVIEW, TimelineEvent.REVIEW, "held for manual review: " + "; ".join(quote.review_reasons))
    if held := state.patched(Patch.REVIEW_ATTENTION):  # GET /v1/attention and NeedsAttention show it waits
        journal.flag(AttentionKind.PENDING_REVIEW, "waiting for a person's review: " + "; ".join(quote.review_reasons))
    state.answered = True
    await journal.wait(lambda: state.review is not None or state.cancel is not None)
    if held:  # reviewed or cancelled: the item is closed by the projection once the status moves on
        journal.unflag(AttentionKind.PENDING_REVIEW)
    if state.cancel is not None:
        return Ending(S.CANCELLED, TimelineEvent.CANCEL, state.cancel.reason)
    review = state.review
    verdict = f"{review.decision}d by {review.reviewer}" + (f": {review.note}" if review.note else "")
    if review.decision == "reject":
        state.decision_reasons = [f"rejected in review{': ' + review.note if review.note else ''}"]
        return Ending(S.REJECTED, TimelineEvent.REVIEW, verdict)
    journal.note(TimelineEvent.REVIEW, verdict)
    return None
