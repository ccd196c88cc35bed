"""Attack on the codec endpoint's "no header from this machine" rule (api/routers/temporal_codec.py): DNS
rebinding. A page at rebind.attacker.example, its name then pointed at 127.0.0.1, makes the developer's browser
call http://rebind.attacker.example:8000/temporal-codec/decode: same-origin for the browser, from loopback for
the API. Browsers that follow the Fetch spec add an Origin the endpoint refuses, but one that sends none (older
ones, some form posts, an extension) got every shopper's decrypted data. The Host header the browser sends names
the attacker's domain: without an Authorization header, only a loopback Host is this machine."""

from __future__ import annotations

from tests.api.test_temporal_codec_endpoint import SECRET, api, as_json, encrypted, from_json


async def test_a_rebound_host_without_origin_is_not_this_machine(sqlite_url):
    body = as_json(await encrypted())
    with api(sqlite_url) as client:  # make run: not exposed, the API on loopback, the caller on loopback
        for host in ("rebind.attacker.example:8000", "rebind.attacker.example", "127.0.0.1.attacker.example:8000"):
            r = client.post("/temporal-codec/decode", json=body, headers={"Host": host})
            assert r.status_code == 401 and "Maria" not in r.text, host
        # The UI and the temporal CLI on this machine, by a loopback name, still need no key.
        for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "localhost"):
            r = client.post("/temporal-codec/decode", json=body, headers={"Host": host})
            assert r.status_code == 200 and from_json(r.json()) == [SECRET], host
