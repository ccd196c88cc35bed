"""The derived ids and keys are in stored rows, idempotency records and workflow histories: pinned here."""

from __future__ import annotations

import hashlib

from workflows import ids


def test_workflow_ids_and_names():
    assert ids.return_workflow_id("ret_1") == "return-ret_1"
    assert ids.transfer_workflow_id("ret_1", "l1") == "transfer-ret_1-l1"
    assert ids.notification_workflow_id("evt_ret_1_return_refunded") == "notify-evt_ret_1_return_refunded"
    assert ids.submit_update_id("ab" * 32) == "submit-" + "ab" * 16
    assert ids.store_receipt_update_id("ret_1") == "store-receipt-ret_1"
    assert ids.requested_return_id("m_1", "key-1") == "ret_" + hashlib.sha256(b"m_1\0key-1").hexdigest()[:24]
    assert (ids.TASK_QUEUE, ids.CARRIER_TASK_QUEUE) == ("returns", "carrier")
    assert ids.MERCHANT_NOTIFICATION_WORKFLOW == "MerchantNotificationWorkflow"
    assert (ids.TRANSFER_OVERDUE_SIGNAL, ids.SIDE_EFFECT_TROUBLE_SIGNAL) == ("transfer_overdue", "side_effect_trouble")


def test_the_workflows_answer_to_the_names_in_ids():
    from workflows.merchant_notification import MerchantNotificationWorkflow
    from workflows.returns import ReturnWorkflow

    assert (
        getattr(MerchantNotificationWorkflow, "__temporal_workflow_definition").name
        == ids.MERCHANT_NOTIFICATION_WORKFLOW
    )
    signals = getattr(ReturnWorkflow, "__temporal_workflow_definition").signals
    assert {ids.TRANSFER_OVERDUE_SIGNAL, ids.SIDE_EFFECT_TROUBLE_SIGNAL} <= set(signals)


def test_references_and_keys():
    assert ids.merchant_event_id("ret_1", "return.refunded") == "evt_ret_1_return_refunded"
    # A key with a subject adds a digest of the whole key: subjects differing by "." and "_" are two events.
    dot, underscore = (ids.merchant_event_id("ret_1", f"return.needs_attention:ret_1:k:SKU{c}1") for c in "._")
    assert dot != underscore and dot.startswith("evt_ret_1_return_needs_attention_") and len(dot) < 128
    assert ids.return_label_reference("ret_1") == "ret_1"
    assert ids.return_label_reference("ret_1", parcel=2) == "ret_1-parcel-2"
    assert ids.return_label_reference("ret_1", attempt=1) == "ret_1-relabel-1"
    assert ids.return_label_reference("ret_1", parcel=3, attempt=2) == "ret_1-parcel-3-relabel-2"
    assert ids.replacement_shipment_reference("ret_1", "l1") == "exchange-ret_1-l1"
    assert ids.transfer_shipment_reference("ret_1", "l1") == "transfer-ret_1-l1"
    assert ids.pickup_reference("ret_1", 2) == "pickup-ret_1-2"
    assert ids.refund_idempotency_key("ret_1") == "returnflow-ret_1-refund"
    assert ids.store_credit_idempotency_key("ret_1") == "returnflow-ret_1-credit"
    assert ids.exchange_charge_idempotency_key("ret_1") == "returnflow-ret_1-exchange-charge"
    assert ids.store_credit_reference(7) == "credit-7"
    assert ids.work_order_id("ret_1", "l1") == "wo_" + hashlib.sha256(b"ret_1/l1").hexdigest()[:20]
    assert ids.certificate_id("ret_1", "l1") == "cert_" + hashlib.sha256(b"ret_1/l1").hexdigest()[:20]
    assert ids.inventory_movement_key("ret_1", "l1", "received") == "ret_1:l1:received"
    assert ids.attention_key("ret_1", "item_held", "l1") == "ret_1:item_held:l1"
    assert ids.attention_key("ret_1", "inspection_overdue") == "ret_1:inspection_overdue:"
    assert ids.label_email_key("ret_1", "EZ 1/2") == "label-ret_1-EZ_1_2"
    assert ids.unidentified_parcel_key("parcel_1") == "unidentified:parcel_1"
    assert ids.store_credit_redeem_key("order-9") == "redeem:order-9"
    new = ids.new_return_id()
    assert new.startswith("ret_") and len(new) == 28 and new != ids.new_return_id()


def test_activities_workers_and_the_contract_build_no_ids_inline():
    """Ids are made by workflows.ids only, so one change of format can never miss a copy."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    made_elsewhere = (
        'f"return-{',
        'f"transfer-{',
        'f"notify-{',
        'f"evt_{',
        'f"exchange-{',
        'f"pickup-{',
        'f"returnflow-{',
        'f"label-{',
        '"wo_"',
        '"cert_"',
        'f"submit-{',
        'f"credit-{',
        "-parcel-",
        "-relabel-",
    )
    files = [
        *(root / "activities").rglob("*.py"),
        *(root / "workers").rglob("*.py"),
        *(root / "workflows").glob("*.py"),
        *(root / "workflows" / "contract").rglob("*.py"),
    ]
    offenders = [
        (p.relative_to(root).as_posix(), pattern)
        for p in files
        if p.name != "ids.py"
        for pattern in made_elsewhere
        if pattern in p.read_text()
    ]
    assert offenders == []
