"""Local EasyPost-v2-compatible sandbox server (see app.create_app and __main__)."""
