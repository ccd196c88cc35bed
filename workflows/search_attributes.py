"""Custom search attributes: how ops find returns in Temporal's visibility store."""

from temporalio.common import SearchAttributeKey

RETURN_STATUS = SearchAttributeKey.for_keyword("ReturnStatus")
MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")
NEEDS_ATTENTION = SearchAttributeKey.for_bool("NeedsAttention")
# What a merchant tells ops about a return (ids, never customer data): set behind Patch.LOOKUP_ATTRIBUTES.
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")  # at start
TRACKING_CODE = SearchAttributeKey.for_keyword("TrackingCode")  # the current label's (the first parcel's); relabels

ALL = (RETURN_STATUS, MERCHANT_ID, NEEDS_ATTENTION, ORDER_ID, TRACKING_CODE)


def cli_type(key: SearchAttributeKey) -> str:
    """The type name `temporal server start-dev --search-attribute NAME=TYPE` expects."""
    return {"KEYWORD": "Keyword", "BOOL": "Bool"}[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
