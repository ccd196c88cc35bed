"""The shopper portal's signed links: they open one return, and nothing else opens anything."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from api.portal_links import portal_token, portal_url, read_portal_token
from settings import Settings

SECRET = "test-portal-secret"
ids = st.text(min_size=1, max_size=128)
token_chars = string.ascii_letters + string.digits + "-_."


@given(return_id=ids, merchant_id=ids)
def test_a_token_reads_back_its_ids(return_id, merchant_id):
    token = portal_token(return_id, merchant_id, SECRET)
    assert read_portal_token(token, SECRET) == (merchant_id, return_id)
    assert token.startswith("v1.") and set(token) <= set(token_chars)  # fits in a URL path as is


@given(return_id=ids, merchant_id=ids, data=st.data())
def test_any_change_to_a_token_is_refused(return_id, merchant_id, data):
    token = portal_token(return_id, merchant_id, SECRET)
    at = data.draw(st.integers(0, len(token) - 1))
    char = data.draw(st.sampled_from(token_chars + "é=/").filter(lambda c: c != token[at]))
    assert read_portal_token(token[:at] + char + token[at + 1 :], SECRET) is None
    assert read_portal_token(token[:at] + token[at + 1 :], SECRET) is None  # a character dropped
    assert read_portal_token(token + data.draw(st.sampled_from(token_chars)), SECRET) is None  # one added


@given(garbage=st.text(max_size=300) | st.from_regex(r"v1\.[A-Za-z0-9_-]{0,80}\.[A-Za-z0-9_-]{0,60}", fullmatch=True))
def test_garbage_is_refused_without_raising(garbage):
    assert read_portal_token(garbage, SECRET) is None


def test_another_secret_or_swapped_parts_are_refused():
    token = portal_token("ret_1", "shop-a", SECRET)
    assert read_portal_token(token, "another-secret") is None
    other = portal_token("ret_1", "shop-b", SECRET)
    version, payload, _ = token.split(".")
    assert read_portal_token(f"{version}.{payload}.{other.split('.')[2]}", SECRET) is None  # other return's signature
    assert read_portal_token(token.replace("v1.", "v2.", 1), SECRET) is None
    assert read_portal_token("v1..", SECRET) is None and read_portal_token("", SECRET) is None
    assert read_portal_token("v1." + "A" * 5000, SECRET) is None


def test_ids_that_look_like_separators_stay_apart():
    assert portal_token("a", "b,c", SECRET) != portal_token("b", "a,c", SECRET)
    assert read_portal_token(portal_token('r"]', '["m', SECRET), SECRET) == ('["m', 'r"]')


def test_the_url_is_absolute_on_the_public_base():
    local = Settings(api_port=8123)
    url = portal_url(local, "ret_1", "demo")
    assert url.startswith("http://127.0.0.1:8123/portal/v1.")
    assert read_portal_token(url.rsplit("/", 1)[1], local.portal_secret) == ("demo", "ret_1")
    public = Settings(public_base_url="https://returns.example.com/", portal_secret="prod-secret")
    url = portal_url(public, "ret_1", "demo")
    assert url.startswith("https://returns.example.com/portal/v1.")
    assert read_portal_token(url.rsplit("/", 1)[1], "prod-secret") == ("demo", "ret_1")
    assert read_portal_token(url.rsplit("/", 1)[1], local.portal_secret) is None
    assert "prod-secret" not in repr(public)  # a SecretStr: never printed or logged
