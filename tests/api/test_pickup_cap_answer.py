"""The workflow's refusal of a booking past domain.carrier.MOST_PICKUPS_PER_RETURN is the JSON API's 409
`too_many_pickups` (the portal's POST /portal/{token}/pickup words it as 'A pickup can no longer be booked')."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.errors import ApiError
from api.returns_gateway import _update
from workflows.messages import ErrorType


async def test_too_many_pickups_is_a_409_saying_so():
    async def refused():
        cause = ApplicationError("this return has booked 3 pickups, the most", type=ErrorType.TOO_MANY_PICKUPS)
        raise WorkflowUpdateFailedError(cause)

    with pytest.raises(ApiError) as answer:
        await _update(refused(), "label_created")
    assert (answer.value.status, answer.value.code) == (409, "too_many_pickups")
    assert "booked 3 pickups" in answer.value.message


def test_the_portal_tells_the_shopper_why_in_their_language():
    from activities.translations import gettext_for
    from api.errors import ApiError
    from api.shopper.return_actions import REFUSAL_WORDS, _refusal

    refused = ApiError(409, "too_many_pickups", "this return already booked 3 pickups")
    assert _refusal(refused, "book") == "too_many_pickups"
    dutch = gettext_for("nl")(REFUSAL_WORDS["too_many_pickups"])
    assert "afgiftepunt" in dutch and dutch != REFUSAL_WORDS["too_many_pickups"]
