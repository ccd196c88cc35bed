"""A photo goes to one return only, of its own merchant, order and line; on SQLite and PostgreSQL alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import Engine

from db.photos import (
    PhotosNotClaimable,
    claim_photos,
    new_photo_id,
    photo_of_return,
    photos_of_return,
    record_in_free_slot,
    record_photo,
    release_photos,
    storage_key,
    unclaimed_count,
    unclaimed_photos,
    uploaded_photo,
)
from db.session import session_scope
from db.tables import ReturnPhoto


def photo(engine: Engine, merchant: str = "m_a", order: str = "o1", line: str = "L1", uploader: str = "api") -> str:
    photo_id = new_photo_id()
    with session_scope(engine) as s:
        record_photo(
            s,
            ReturnPhoto(
                id=photo_id,
                merchant_id=merchant,
                order_id=order,
                line_id=line,
                uploader=uploader,
                content_type="image/jpeg",
                size=100,
                storage_key=storage_key(merchant, photo_id),
            ),
        )
    return photo_id


def claim(engine: Engine, return_id: str, wanted: dict[str, list[str]], merchant: str = "m_a", order: str = "o1"):
    with session_scope(engine) as s:
        return claim_photos(s, merchant, order, return_id, wanted)


def holder(engine: Engine, photo_id: str) -> str | None:
    with session_scope(engine) as s:
        return s.get(ReturnPhoto, photo_id).return_id


def test_a_return_claims_its_lines_photos_and_a_retry_finds_them_its_own(engine: Engine):
    p1, p2, p3 = photo(engine), photo(engine), photo(engine, line="L2")
    assert claim(engine, "ret_1", {"L1": [p1, p2, p1], "L2": [p3]}) == 3  # an id twice is one photo
    assert claim(engine, "ret_1", {"L1": [p1, p2], "L2": [p3]}) == 3  # the same create, retried
    with session_scope(engine) as s:
        assert [p.id for p in photos_of_return(s, "m_a", "ret_1")] == [p1, p2, p3]
        assert photo_of_return(s, "m_a", "ret_1", p3).line_id == "L2"
        assert photo_of_return(s, "m_b", "ret_1", p3) is None  # another merchant: nothing
        assert photos_of_return(s, "m_b", "ret_1") == []


@pytest.mark.parametrize(
    "why",
    ["another merchant", "another order", "another line", "another return", "unknown"],
)
def test_a_photo_not_this_lines_or_held_elsewhere_is_refused_and_nothing_is_claimed(engine: Engine, why: str):
    good = photo(engine)
    bad = {
        "another merchant": lambda: photo(engine, merchant="m_b"),
        "another order": lambda: photo(engine, order="o2"),
        "another line": lambda: photo(engine, line="L2"),
        "another return": lambda: _held_by_another(engine),
        "unknown": lambda: "ph_000000000000000000000000",
    }[why]()
    with pytest.raises(PhotosNotClaimable) as refused:
        claim(engine, "ret_1", {"L1": [good, bad]})
    assert refused.value.photo_ids == [bad]
    assert holder(engine, good) is None  # all or nothing
    if why == "another return":
        assert holder(engine, bad) == "ret_other"


def _held_by_another(engine: Engine) -> str:
    taken = photo(engine)
    claim(engine, "ret_other", {"L1": [taken]})
    return taken


def test_two_returns_claiming_one_photo_at_once_one_gets_it(engine: Engine):
    for _ in range(5):
        contested = photo(engine)

        def attempt(return_id: str) -> bool:
            try:
                claim(engine, return_id, {"L1": [contested]})
                return True
            except PhotosNotClaimable:
                return False

        with ThreadPoolExecutor(2) as pool:
            won = list(pool.map(attempt, ["ret_x", "ret_y"]))
        assert won.count(True) == 1, won
        assert holder(engine, contested) == ("ret_x" if won[0] else "ret_y")


def test_released_photos_go_back_to_their_line_and_their_uploader_counts_only_unclaimed_ones(engine: Engine):
    mine = [photo(engine, uploader="s:me") for _ in range(3)]
    photo(engine, uploader="s:someone-else")
    with session_scope(engine) as s:
        assert unclaimed_count(s, "m_a", "o1", "L1", "s:me") == 3
        assert uploaded_photo(s, "m_a", "o1", "s:me", mine[0]).id == mine[0]
        assert uploaded_photo(s, "m_a", "o1", "s:someone-else", mine[0]) is None
    claim(engine, "ret_1", {"L1": mine[:2]})
    with session_scope(engine) as s:
        assert unclaimed_count(s, "m_a", "o1", "L1", "s:me") == 1
        assert [p.id for p in unclaimed_photos(s, "m_a", "o1", "s:me")] == [mine[2]]
        assert uploaded_photo(s, "m_a", "o1", "s:me", mine[0]) is None  # a return's now
        assert release_photos(s, "m_b", "ret_1") == 0  # another merchant releases nothing
        assert release_photos(s, "m_a", "ret_1") == 2
    assert holder(engine, mine[0]) is None


def test_uploads_at_the_same_moment_never_keep_more_than_five_unclaimed_photos_of_a_line(engine: Engine):
    def upload(_: int) -> bool:
        photo_id = new_photo_id()
        row = ReturnPhoto(
            id=photo_id,
            merchant_id="m_a",
            order_id="o1",
            line_id="L1",
            uploader="portal",
            content_type="image/png",
            size=1,
            storage_key=storage_key("m_a", photo_id),
        )
        with session_scope(engine) as s:
            return record_in_free_slot(s, row, 5) is not None

    with ThreadPoolExecutor(8) as pool:
        kept = list(pool.map(upload, range(8)))
    assert kept.count(True) == 5
    with session_scope(engine) as s:
        assert unclaimed_count(s, "m_a", "o1", "L1", "portal") == 5
        assert sorted(p.slot for p in unclaimed_photos(s, "m_a", "o1", "portal")) == [1, 2, 3, 4, 5]
    taken = [p.id for p in _unclaimed(engine)]
    claim(engine, "ret_1", {"L1": taken[:2]})  # claimed photos free their slots
    assert [upload(0) for _ in range(3)] == [True, True, False]
    claim(engine, "ret_1", {"L1": taken[:2]})
    with session_scope(engine) as s:
        assert release_photos(s, "m_a", "ret_1") == 2  # given back without a slot, still counted
        assert unclaimed_count(s, "m_a", "o1", "L1", "portal") == 7
    assert upload(0) is False


def _unclaimed(engine: Engine) -> list[ReturnPhoto]:
    with session_scope(engine) as s:
        return unclaimed_photos(s, "m_a", "o1", "portal")
