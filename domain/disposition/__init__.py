"""What happens to a returned item after inspection, and what the merchant gets back for it.

A `DispositionPolicy` is a merchant's rules (grade x category x reason ->
disposition, with a recovery estimate) on top of defaults. `decide` picks the
disposition for one item and estimates its recovery value. The routing of the
item to a facility is `domain.facilities.route_item`, with the decision's
`capability` (`capability_for(disposition)`, the one mapping between the two).

Pure: no I/O and no clock.

Decisions:
- A rule matches an item when each criterion it gives matches (grades, categories,
  reasons; within one criterion any listed value does; an empty list: any).
  Categories compare ignoring case and surrounding spaces; an item without a
  category only matches rules without `categories`.
- The merchant's rules always come before the defaults: the defaults decide only
  items no merchant rule matches.
- Among matching rules (of one list) the highest priority wins, then the most
  specific: specificity is how many of grades, categories and reasons a rule
  constrains (0..3). So "grade B & apparel -> donate" beats "grade B ->
  refurbish" at the same priority without needing one.
- Two rules of one list that can match the same item with the same priority and
  the same specificity must have the same outcome (disposition and
  recovery_percent), or the policy is invalid: the error is at the later rule's
  priority. Same outcome: the earlier rule is the one reported. The check is per
  pair of rules (as in domain.policy), so such a pair is an error even when a
  higher rule shadows both: the error stays where the clash is.
- `defaults` must decide every grade and reason for any category (so `decide`
  always has an answer): each grade x reason needs a default rule without
  `categories` that matches it.
- Recovery value = unit_value.percent(recovery_percent): rounded down to the
  minor unit (Money's rule), so never above the unit value, never negative. It is
  an estimate of what the merchant recovers from the item, not a refund amount.

Default rules (DEFAULT_RULES; category names are the common ones, a merchant with
other names adds rules):
- grade A -> restock, 100%.
- grade B -> restock, 90%, for categories sold "like new" as they are
  (books, media, toys, games, home, sports); otherwise refurbish, 70%.
- grade C -> donate, 0%, for apparel (apparel, clothing): mending clothes rarely
  pays and a donation keeps them in use; refurbish, 40%, for electronics;
  otherwise recycle, 5%. (Apparel of grade B is not donated: like-new clothes
  are resold after refurbishing, which here means laundering and repacking.)
- grade D -> dispose, 0%, for hazardous categories (hazardous, batteries,
  chemicals, aerosols); otherwise recycle, 2%.
The return reason does not change a default (the grade says what the item is
now); merchants add reason rules, e.g. defective electronics -> liquidate.

Invalid policies raise pydantic's ValidationError (a ValueError) with one error
per problem, each located at its field (rules[1].recovery_percent,
rules[2].priority, defaults, ...).

Where things are: `rules` (the kinds, their capabilities, one rule), `defaults`,
`decision` (the policy and `decide`). Everything public is importable from here.
"""

from domain.disposition.decision import DispositionDecision, DispositionPolicy, decide
from domain.disposition.defaults import (
    APPAREL_CATEGORIES,
    DEFAULT_RULES,
    ELECTRONICS_CATEGORIES,
    HAZARDOUS_CATEGORIES,
    LIKE_NEW_SELLABLE_CATEGORIES,
)
from domain.disposition.rules import (
    CAPABILITY_FOR_DISPOSITION,
    DispositionKind,
    DispositionRule,
    capability_for,
)

__all__ = [
    "APPAREL_CATEGORIES",
    "CAPABILITY_FOR_DISPOSITION",
    "DEFAULT_RULES",
    "ELECTRONICS_CATEGORIES",
    "HAZARDOUS_CATEGORIES",
    "LIKE_NEW_SELLABLE_CATEGORIES",
    "DispositionDecision",
    "DispositionKind",
    "DispositionPolicy",
    "DispositionRule",
    "capability_for",
    "decide",
]
