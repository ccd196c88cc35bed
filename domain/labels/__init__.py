"""A merchant's return-label rules, and which of a carrier's rates they choose.

`LabelRules` says which carriers and services a merchant allows (empty: any),
how much a label may cost at most, and how to choose among what is left.
`choose_rate` applies them to the rates EasyPost quoted for one shipment.

Pure: no I/O and no clock; the same rules and rates always give the same choice,
whatever order the rates come in (a workflow can call this).

The rule, stated once:
- A rate is *allowed* when its carrier is in `carriers` and its service in
  `services` (an empty list allows any). Names compare ignoring case and
  surrounding spaces.
- An allowed rate *qualifies* when it is within `max_cost` (cost <= max_cost).
  A rate priced in another currency than `max_cost` does not qualify: costs in
  different currencies are never compared.
- Without a budget the rates are compared in one currency: the one most allowed
  rates are priced in (ties: the alphabetically first code). EasyPost quotes a
  shipment's rates in one currency, so this is a fallback.
- `cheapest`: the lowest cost; ties go to fewer delivery days (unknown days count
  as slowest), then carrier and service name, then rate id.
- `fastest_within_budget`: the fewest delivery days (unknown: slowest); ties go
  to the lower cost, then carrier and service name, then rate id.
- `preferred_carrier`: the first carrier in `preferred_carriers` with a
  qualifying rate, and its cheapest (as above); when no preferred carrier has
  one, the cheapest qualifying rate of any allowed carrier.
- The choice lists every other qualifying rate as `alternatives`, cheapest first
  (in the compared currency). A rate id counts once.
- When nothing qualifies the answer is `NoRate` with a code and the reason in
  words, never an error: `no_rates` (nothing quoted), `carrier_not_allowed`
  (no quoted rate has an allowed carrier and service) or `over_budget` (allowed
  rates exist, none within the budget).

Invalid rules raise pydantic's ValidationError (a ValueError), one error per
problem located at its field (carriers[1], preferred_carriers, ...).

Where things are: `rules` (LabelRules, RateOption), `choice` (choose_rate and its
outcomes). Everything public is importable from here.
"""

from domain.labels.choice import (
    LabelChoice,
    NoRate,
    NoRateCode,
    RateChoice,
    choose_rate,
)
from domain.labels.rules import LabelRules, RateOption, Selection, name_key

__all__ = [
    "LabelChoice",
    "LabelRules",
    "NoRate",
    "NoRateCode",
    "RateChoice",
    "RateOption",
    "Selection",
    "choose_rate",
    "name_key",
]
