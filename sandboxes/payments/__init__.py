"""Local Stripe-compatible payments sandbox (refunds).  See `app.py` for the overview."""
