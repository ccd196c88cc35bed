"""A merchant's return policy, versioned: every save is a new version, returns keep the one they began with."""

from __future__ import annotations

from sqlmodel import Session, col, select

from db.tables import PolicyVersion


def current_policy(session: Session, merchant_id: str) -> PolicyVersion | None:
    return session.exec(
        select(PolicyVersion)
        .where(PolicyVersion.merchant_id == merchant_id)
        .order_by(col(PolicyVersion.version).desc())
    ).first()


def save_policy(session: Session, merchant_id: str, document: dict) -> PolicyVersion:
    """Version N+1; two saves at once both want it, and the loser's flush is an IntegrityError."""
    latest = current_policy(session, merchant_id)
    row = PolicyVersion(merchant_id=merchant_id, version=(latest.version + 1) if latest else 1, document=document)
    session.add(row)
    session.flush()
    return row


def policy_versions(session: Session, merchant_id: str) -> list[PolicyVersion]:
    """Newest first."""
    q = select(PolicyVersion).where(PolicyVersion.merchant_id == merchant_id)
    return list(session.exec(q.order_by(col(PolicyVersion.version).desc())).all())


def policy_version(session: Session, merchant_id: str, version: int) -> PolicyVersion | None:
    """Version `version` of this merchant's policy; another merchant's numbers are not looked at."""
    return session.get(PolicyVersion, (merchant_id, version))
