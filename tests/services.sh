#!/usr/bin/env bash
# Make sure the machine has what the suite needs: a running PostgreSQL on
# 127.0.0.1:5432, Debian's docker-compose (to check docker-compose.yml) and Debian's
# chromium (the portal's browser test drives it with Playwright, which never downloads one).
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 || echo "warning: PostgreSQL is not reachable; the PostgreSQL tests will fail" >&2
fi

if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing docker-compose (Debian package; parses compose files, needs no engine)"
    (apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; })
  else
    echo "warning: docker-compose is missing; install it (apt-get install docker-compose)" >&2
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium (Debian package; the portal's browser test)"
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; })
  else
    echo "warning: /usr/bin/chromium is missing; install it (apt-get install chromium)" >&2
  fi
fi
