"""Review of issue #11: the carrier activities now answer a VoidStatus (an open enum) instead of EasyPost's
refund_status string. A refund_status EasyPost leaves empty (null) used to come back as None, which the
workflow takes as "not voided" (Labels.void) or records as it is (the void follow-up); it must not
become a ValueError that fails the activity and is retried as if the carrier were down."""

from __future__ import annotations

from types import SimpleNamespace

from activities.carrier import CarrierActivities, VoidRequest
from workflows.messages import VoidStatus


class _Shipments:
    def __init__(self, retrieved: str | None, refunded: str | None) -> None:
        self._retrieved, self._refunded = retrieved, refunded

    def retrieve(self, shipment_id: str):
        return SimpleNamespace(id=shipment_id, refund_status=self._retrieved)

    def refund(self, shipment_id: str):
        return SimpleNamespace(id=shipment_id, refund_status=self._refunded)


def _carrier(retrieved: str | None, refunded: str | None) -> CarrierActivities:
    client = SimpleNamespace(shipment=_Shipments(retrieved, refunded))
    return CarrierActivities(None, lambda: client)


REQ = VoidRequest(return_id="ret_1", shipment_id="shp_1")


def test_a_void_answered_without_a_refund_status_is_none_as_before():
    assert _carrier(None, None).void_label(REQ) is None


def test_a_void_follow_up_that_finds_no_refund_status_is_none_as_before():
    assert _carrier(None, None).confirm_void(REQ) is None


def test_known_and_unknown_refund_statuses_still_decode():
    assert _carrier(None, "submitted").void_label(REQ) == VoidStatus.SUBMITTED
    assert _carrier("refunded", None).void_label(REQ) == VoidStatus.REFUNDED
    assert _carrier("something_new", None).confirm_void(REQ) == "something_new"
