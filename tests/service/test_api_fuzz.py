"""Hostile intake input never produces a 500: only the documented 2xx/4xx answers."""
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.service.helpers import auth

ALLOWED = {202, 400, 413, 415, 422}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_values = st.none() | st.integers() | st.text(max_size=60) | st.lists(st.text(max_size=5), max_size=2) | \
    st.dictionaries(st.sampled_from(["name", "email", "ip"]), st.text(max_size=20), max_size=2)
payloads = st.fixed_dictionaries({}, optional={
    name: field_values for name in ["thread", "body", "format", "parent", "author", "client", "thread_url"]})
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(payload=json_values | payloads)
def test_arbitrary_json_documents(client, site_key, payload):
    response = client.post("/api/v1/comments", data=json.dumps(payload), content_type="application/json",
                           headers=auth(site_key))
    assert response.status_code in ALLOWED, response.get_data(as_text=True)


@fuzz
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "application/merge-patch+json"]))
def test_arbitrary_bytes(client, site_key, raw, content_type):
    response = client.post("/api/v1/comments", data=raw, content_type=content_type, headers=auth(site_key))
    assert response.status_code in ALLOWED, response.get_data(as_text=True)
