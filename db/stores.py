"""A merchant's stores (facilities of kind `store`: shoppers hand returns in there), and what a store's
scan of a return's code finds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from db.registry import load_registry, replace_registry
from db.return_choices import choices_of
from db.returns import get_return
from db.tables import ReturnChoice, ReturnRecord, TimelineRecord
from domain.facilities import Facility, FacilityRegistry
from domain.rma import parse_rma_code
from workflows.contract.statuses import TimelineEvent


def stores_of(session: Session, merchant_id: str) -> list[Facility]:
    """The merchant's stores, by id (with address and opening hours, for the store list)."""
    return [f for f in load_registry(session, merchant_id).facilities if f.is_store]


def store_of(session: Session, merchant_id: str, facility_id: str) -> Facility | None:
    """The merchant's store by that id; None for an unknown id, another kind of facility or another merchant's."""
    facility = load_registry(session, merchant_id).get(facility_id)
    return facility if facility is not None and facility.is_store else None


def add_missing_stores(session: Session, merchant_id: str, stores: list[dict]) -> list[str]:
    """Add the stores whose ids the merchant's registry lacks (a seed run on every start); the ids added.
    The registry is checked whole again (one currency, unique ids): a ValueError changes nothing."""
    registry = load_registry(session, merchant_id)
    new = [s for s in stores if registry.get(s["id"]) is None]
    if new:
        document = registry.model_dump(mode="json")
        replace_registry(
            session, merchant_id, FacilityRegistry.model_validate({"facilities": document["facilities"] + new})
        )
    return [s["id"] for s in new]


def return_id_in(code: str) -> str:
    """The return a scanned code names: an RMA code ("RMA-RET_…", any case) or the return id as is."""
    return parse_rma_code(code) or code.strip()


# The workflow's timeline line for a store's receipt (workflows/returns/hand_in.py HandIn.receive) names the store.
# A facility id has no space or comma (domain.validation.ID_PATTERN): what follows it is " (…" or ", scanned …".
HANDED_IN_AT = re.compile(r"^handed in at store ([A-Za-z0-9][A-Za-z0-9_.:-]*)")


@dataclass(frozen=True)
class Scanned:
    """What a store's scan found: the return, how the shopper chose to send it, and which store has it."""

    row: ReturnRecord
    choices: ReturnChoice | None
    received_at: str | None  # the store that received it (None: no store has it yet)

    @property
    def handed_in(self) -> bool:
        return self.received_at is not None


def scanned_at_store(session: Session, merchant_id: str, code: str) -> Scanned | None:
    """The merchant's return the code names (None: none of this merchant's)."""
    row = get_return(session, merchant_id, return_id_in(code))
    if row is None:
        return None
    cause = session.exec(
        select(TimelineRecord.cause).where(
            TimelineRecord.return_id == row.id,
            TimelineRecord.event == TimelineEvent.HAND_IN.value,
            TimelineRecord.status == "received",
        )
    ).first()
    received_at = None if cause is None else (m.group(1) if (m := HANDED_IN_AT.match(cause)) else "")
    return Scanned(row, choices_of(session, merchant_id, row.id), received_at)
