"""The warehouse's inspection applied to the return: each item graded, valued and given its
disposition by the merchant's rules (`domain.inspection`); inspected when every item is."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.disposition import DispositionPolicy
    from domain.inspection import item_outcome
    from domain.status import ReturnStatus as S
    from workflows.messages import AttentionKind, ErrorType, Inspection, InspectionResult, ItemStage, TimelineEvent
    from workflows.returns.journal import Journal
    from workflows.returns.patches import Patch
    from workflows.returns.state import ReturnState


def apply_inspection(state: ReturnState, journal: Journal, inspection: Inspection) -> InspectionResult:
    outcomes = []
    lines = {l.line_id: l for l in state.inp.lines}
    rules = inspection.disposition_rules or DispositionPolicy()
    by = f" by {inspection.inspector}" if inspection.inspector else ""
    for inspected in inspection.items:
        outcome = item_outcome(
            lines[inspected.line_id],
            inspected.grade,
            state.item_value(inspected.line_id),
            rules,
            matches_reason=inspected.matches_reason,
            problem=inspected.problem,
        )
        item = state.item(inspected.line_id)
        item.grade, item.disposition, item.refund = outcome.grade, outcome.disposition, outcome.refund
        item.findings, item.recovery_value = outcome.findings, outcome.recovery_value
        item.notes, item.photo_urls = inspected.notes, list(inspected.photo_urls)  # state only: no command
        if item.disposition is None:
            item.stage = ItemStage.NOT_RECEIVED
        outcomes.append(outcome)
        graded = f"graded {outcome.grade}: {outcome.disposition}" if outcome.grade else "missing from the parcel"
        rule = f" (rule {outcome.rule})" if outcome.rule else ""
        journal.note(TimelineEvent.INSPECTION, f"line {item.line_id} {graded}{rule}{by}")
        if outcome.findings and state.patched(Patch.WAREHOUSE_ROUTING):
            journal.flag(
                AttentionKind.INSPECTION_FINDING,
                f"line {item.line_id}: "
                + "; ".join(f.words for f in outcome.findings)
                + f" (refund {outcome.refund.display()})",
                item.line_id,
            )
    if all(i.grade is not None or i.stage == ItemStage.NOT_RECEIVED or state.kept(i.line_id) for i in state.items):
        journal.move(S.INSPECTED, TimelineEvent.INSPECTION, f"all {len(state.items)} items inspected")
    return InspectionResult(items=outcomes, refund=state.refund_due(), status=state.status)


def check_inspection(state: ReturnState, inspection: Inspection) -> None:
    """The update's validator: refused before it enters history, with a type the API maps to HTTP."""
    if state.status != S.RECEIVED:
        raise ApplicationError(
            f"the return is {state.status.value}; inspection needs it received", type=ErrorType.WRONG_STATE
        )
    known = {i.line_id: i for i in state.items}
    seen: set[str] = set()
    for inspected in inspection.items:
        line = inspected.line_id
        if line not in known:
            raise ApplicationError(f"line {line!r} is not in this return", type=ErrorType.UNKNOWN_LINE)
        if state.kept(line):
            raise ApplicationError(
                f"line {line!r} is kept by the shopper; nothing comes back to inspect", type=ErrorType.UNKNOWN_LINE
            )
        if (inspected.grade is None) != (inspected.problem == "missing"):
            raise ApplicationError(
                f"line {line!r}: a grade is required unless the item is missing (and only then omitted)",
                type=ErrorType.INVALID_INSPECTION,
            )
        if line in seen or known[line].grade is not None or known[line].stage:
            raise ApplicationError(f"line {line!r} is already inspected", type=ErrorType.ALREADY_INSPECTED)
        seen.add(line)
