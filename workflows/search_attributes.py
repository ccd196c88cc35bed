"""Custom search attributes: how ops find returns in Temporal's visibility store."""

from temporalio.common import SearchAttributeKey

RETURN_STATUS = SearchAttributeKey.for_keyword("ReturnStatus")
MERCHANT_ID = SearchAttributeKey.for_keyword("MerchantId")

ALL = (RETURN_STATUS, MERCHANT_ID)
