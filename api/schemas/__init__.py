"""Request and response bodies of the public API (the contract merchants code against), one module per area."""
