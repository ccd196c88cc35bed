"""Local mail sandbox: an SMTP sink that keeps what it receives in memory and shows it over HTTP.

What a test or `make run` user needs to see the emails Returnflow sends, with no real mail
server: SMTP on one port (aiosmtpd), the messages as JSON on another (`/_sandbox/messages`).
See app.create_app and __main__.
"""
