"""Reporting for merchants: what return labels cost, and what voiding unused ones saved."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import DbDep, Reader
from api.schemas.reports import LabelReport, LabelSpend
from db.returns import labelled_returns
from domain.validation import Instant

router = APIRouter(tags=["merchant: reports"])


@router.get("/v1/reports/labels", response_model=LabelReport)
async def label_report(principal: Reader, db: DbDep, since: Instant | None = Query(None)) -> LabelReport:
    """Label cost and void savings, per currency, for returns created since `since` (default: all)."""
    totals: dict[str, LabelSpend] = {}
    for row in await db.run(labelled_returns, principal.merchant_id, since):
        for label in row.parcels or [row.label]:
            rate = label["rate"]
            spend = totals.setdefault(
                rate["currency"],
                LabelSpend(
                    currency=rate["currency"], labels_bought=0, spent=0, labels_voided=0, saved=0, void_rejected=0
                ),
            )
            spend.labels_bought += 1
            spend.spent += rate["amount"]
            if label.get("void_status") == "refunded":
                spend.labels_voided += 1
                spend.saved += rate["amount"]
            elif label.get("void_status") == "rejected":
                spend.void_rejected += 1
    return LabelReport(since=since, by_currency=sorted(totals.values(), key=lambda s: s.currency))
