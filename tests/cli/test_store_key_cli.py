"""`returnflow keys create --scope store`: a key for a store's counter, which scans returns and reads nothing."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.alone import api_alone
from tests.cli.test_returnflow_cli import FIETS, cli  # noqa: F401  (the fixture)


def test_a_store_key_made_by_the_cli_scans_at_the_counter_and_reads_nothing(cli, sqlite_url):  # noqa: F811
    cli(*FIETS, "--json")
    made = json.loads(cli("keys", "create", "--merchant", "fiets", "--scope", "store", "--json").stdout)
    assert made["scope"] == "store" and made["key"].startswith("rf_test_")
    assert "store" in [k["scope"] for k in json.loads(cli("keys", "list", "--merchant", "fiets", "--json").stdout)]
    headers = {"Authorization": f"Bearer {made['key']}"}
    with TestClient(api_alone(sqlite_url)) as api:
        # Past the scope check: the starter registry has no store yet, so this one is not the merchant's.
        r = api.post("/v1/stores/st_nothing/receipts", json={"code": "RMA-RET_0A1B"}, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "store_not_found")
        r = api.get("/v1/returns", headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
