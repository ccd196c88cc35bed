"""The workflows' contract with everything outside them: inputs, signals, updates, views, and the
names of their statuses. Pydantic models and enums only (no Temporal, no I/O), so activities, the
API and the workers can import it; `workflows.messages` re-exports all of it under one name.

Modules by concern: `requests` (what a return is asked), `events` (facts sent to it), `view`
(what it shows and projects), `items` (after inspection: routing, transfers, work orders),
`notifications` (merchant webhooks), `errors` (error types) and `statuses` (status and kind names).
"""
