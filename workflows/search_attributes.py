"""Custom search attributes: how ops find returns in Temporal's visibility store."""

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

RETURN_STATUS = SearchAttributeKey.for_keyword("ReturnStatus")
MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")
# What a merchant tells ops about a return (ids, never customer data): set behind Patch.LOOKUP_ATTRIBUTES.
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")  # at start
TRACKING_CODE = SearchAttributeKey.for_keyword("TrackingCode")  # the current label's (the first parcel's); relabels

ALL = (RETURN_STATUS, MERCHANT_ID, NEEDS_ATTENTION, ORDER_ID, TRACKING_CODE)


def at_start(merchant_id: str, order_id: str) -> TypedSearchAttributes:
    """What a return's workflow is started with: free (part of the start, where an upsert is a billed action);
    a return since Patch.LEAN_HISTORY upserts none of these again."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(MERCHANT_ID, merchant_id),
            SearchAttributePair(ORDER_ID, order_id),
            SearchAttributePair(RETURN_STATUS, "requested"),
        ]
    )


def cli_type(key: SearchAttributeKey) -> str:
    """The type name `temporal server start-dev --search-attribute NAME=TYPE` expects."""
    return {"KEYWORD": "Keyword", "BOOL": "Bool"}[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
