"""Shoppers' photos of returned items: recorded at upload for (merchant, order, line), claimed by one return.

Every function takes the merchant id: another merchant's photo is, here, a photo that does not exist.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.tables import ReturnPhoto


class PhotosNotClaimable(Exception):
    """Some photo ids name nothing this return may claim; nothing was claimed (the transaction rolls back)."""

    def __init__(self, photo_ids: list[str]) -> None:
        super().__init__(", ".join(photo_ids))
        self.photo_ids = photo_ids


def new_photo_id() -> str:
    return "ph_" + secrets.token_hex(12)


def storage_key(merchant_id: str, photo_id: str) -> str:
    return f"{merchant_id}/{photo_id}"


def record_photo(session: Session, photo: ReturnPhoto) -> ReturnPhoto:
    session.add(photo)
    session.flush()
    return photo


def record_in_free_slot(session: Session, photo: ReturnPhoto, slots: int) -> ReturnPhoto | None:
    """Record the photo in the lowest of its line's `slots` that no unclaimed photo of its uploader holds, and
    commit; None when the line has `slots` unclaimed photos already. Two uploads taking the same slot at once: the
    unique index refuses the second, which counts again and takes the next free slot (or is refused)."""
    for _attempt in range(slots + 1):
        # one read decides (a count read first could see 4 and this one 5, once another upload commits between)
        taken = set(
            session.exec(
                select(ReturnPhoto.slot).where(
                    ReturnPhoto.merchant_id == photo.merchant_id,
                    ReturnPhoto.order_id == photo.order_id,
                    ReturnPhoto.line_id == photo.line_id,
                    ReturnPhoto.uploader == photo.uploader,
                    col(ReturnPhoto.return_id).is_(None),
                )
            ).all()
        )
        free = [n for n in range(1, slots + 1) if n not in taken]
        if not free:
            return None
        photo.slot = free[0]
        try:
            session.add(photo)
            session.commit()
            return photo
        except IntegrityError:
            session.rollback()  # another upload took that slot in the meantime: look again
    return None


def forget_photo(session: Session, merchant_id: str, photo_id: str) -> None:
    """A photo whose bytes could not be stored: its row goes too (and its slot with it)."""
    session.execute(delete(ReturnPhoto).where(ReturnPhoto.merchant_id == merchant_id, ReturnPhoto.id == photo_id))


def unclaimed_count(session: Session, merchant_id: str, order_id: str, line_id: str, uploader: str) -> int:
    """How many photos this uploader has for the line that no return holds yet (each uploader: up to 5)."""
    return session.exec(
        select(func.count())
        .select_from(ReturnPhoto)
        .where(
            ReturnPhoto.merchant_id == merchant_id,
            ReturnPhoto.order_id == order_id,
            ReturnPhoto.line_id == line_id,
            ReturnPhoto.uploader == uploader,
            col(ReturnPhoto.return_id).is_(None),
        )
    ).one()


def unclaimed_photos(session: Session, merchant_id: str, order_id: str, uploader: str) -> list[ReturnPhoto]:
    """This uploader's photos of the order no return holds yet, per line in upload order (the portal's list)."""
    return list(
        session.exec(
            select(ReturnPhoto)
            .where(
                ReturnPhoto.merchant_id == merchant_id,
                ReturnPhoto.order_id == order_id,
                ReturnPhoto.uploader == uploader,
                col(ReturnPhoto.return_id).is_(None),
            )
            .order_by(ReturnPhoto.line_id, ReturnPhoto.created_at, ReturnPhoto.id)
        ).all()
    )


def claim_photos(
    session: Session, merchant_id: str, order_id: str, return_id: str, wanted: dict[str, list[str]]
) -> int:
    """Give each photo to `return_id`: each must be this merchant's, this order's and that line's, and held by no
    other return (held by this one already: a retried create, fine). One conditional update per photo, so two
    creates claiming the same photo at once never both get it. Raises PhotosNotClaimable naming the ids refused;
    the caller's transaction then rolls back whatever was claimed. Answers how many photos the return holds."""
    refused: list[str] = []
    claimed = 0
    for line_id, photo_ids in wanted.items():
        for photo_id in dict.fromkeys(photo_ids):  # the same id twice on a line is one photo
            result = session.execute(
                update(ReturnPhoto)
                .where(
                    ReturnPhoto.id == photo_id,
                    ReturnPhoto.merchant_id == merchant_id,
                    ReturnPhoto.order_id == order_id,
                    ReturnPhoto.line_id == line_id,
                    or_(col(ReturnPhoto.return_id).is_(None), ReturnPhoto.return_id == return_id),
                )
                .values(return_id=return_id)
            )
            if result.rowcount == 1:
                claimed += 1
            else:
                refused.append(photo_id)
    if refused:
        raise PhotosNotClaimable(refused)
    return claimed


def release_photos(session: Session, merchant_id: str, return_id: str) -> int:
    """A return that never started gives its photos back to their lines (a new create may claim them). They come
    back without a slot (another photo may hold theirs by now); they still count against the line's 5."""
    result = session.execute(
        update(ReturnPhoto)
        .where(ReturnPhoto.merchant_id == merchant_id, ReturnPhoto.return_id == return_id)
        .values(return_id=None, slot=None)
    )
    return result.rowcount


def photos_of_return(session: Session, merchant_id: str, return_id: str) -> list[ReturnPhoto]:
    return list(
        session.exec(
            select(ReturnPhoto)
            .where(ReturnPhoto.merchant_id == merchant_id, ReturnPhoto.return_id == return_id)
            .order_by(ReturnPhoto.line_id, ReturnPhoto.created_at, ReturnPhoto.id)
        ).all()
    )


def photo_of_return(session: Session, merchant_id: str, return_id: str, photo_id: str) -> ReturnPhoto | None:
    return session.exec(
        select(ReturnPhoto).where(
            ReturnPhoto.id == photo_id, ReturnPhoto.merchant_id == merchant_id, ReturnPhoto.return_id == return_id
        )
    ).first()


def uploaded_photo(
    session: Session, merchant_id: str, order_id: str, uploader: str, photo_id: str
) -> ReturnPhoto | None:
    """One of this uploader's photos of the order, while no return holds it (the portal shows it back)."""
    return session.exec(
        select(ReturnPhoto).where(
            ReturnPhoto.id == photo_id,
            ReturnPhoto.merchant_id == merchant_id,
            ReturnPhoto.order_id == order_id,
            ReturnPhoto.uploader == uploader,
            col(ReturnPhoto.return_id).is_(None),
        )
    ).first()


def remove_unclaimed(
    session: Session, merchant_id: str, order_id: str, uploader: str, photo_id: str
) -> ReturnPhoto | None:
    """Take back one of the uploader's photos of the order while no return holds it (its slot frees); the removed
    row (its storage key: the caller deletes the bytes), or None when there is no such photo."""
    found = uploaded_photo(session, merchant_id, order_id, uploader, photo_id)
    if found is not None:
        session.delete(found)
        session.flush()
    return found
