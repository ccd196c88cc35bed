"""python -m sandboxes.mail --host 127.0.0.1 --port 8030 --smtp-port 8025

SMTP on --smtp-port, the inbox over HTTP on --port (`GET /_sandbox/messages`). Both stop together
on SIGINT/SIGTERM. Messages live in memory only.
"""

from __future__ import annotations

import argparse

import uvicorn

from sandboxes.mail.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandboxes.mail", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8030, help="HTTP: the inbox")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    app = create_app(smtp_host=args.host, smtp_port=args.smtp_port)
    # lifespan "on": an SMTP port already taken fails the start instead of being skipped
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on")


if __name__ == "__main__":
    main()
