# -*- coding: utf-8 -*-
# Copyright (c) snapfleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of the response handling (hypothesis).

(a) Answers generated from the API contract itself (the OpenAPI file the
    project carries in tests/contract/api) parse, and ids and fields come back
    unchanged, directly and through the client over HTTP; the Droplet-scoped
    model too.
(b) Corrupted answers (random JSON, wrong types, cut bytes, random statuses,
    headers and bodies, garbage instead of HTTP) never make anything but the
    collection's own SnapfleetError subclasses escape Client.list/get_snapshot.
(c) The shortcuts of the common answer agree with the careful checks:
    normalize_snapshot with checked_snapshot on any snapshot-shaped dict, and
    decode_json refuses exactly the numbers that overflow a float.

When the contract is not reachable (tests/contract/api, or SNAPFLEET_API_SPEC),
the schema-driven tests skip. HTTP goes to a tiny loopback server that sends
whatever bytes it is given.
"""

from __future__ import annotations

import copy
import datetime
import functools
import gzip
import json
import typing as t

import hypothesis
import pytest
import yaml
from hypothesis import strategies as st

from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.client import Client
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import (
    normalize_snapshot as normalize,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import (
    parse_list_body,
    parse_snapshot_body,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.errors import (
    APIError,
    SnapfleetError,
)
from ansible_collections.snapfleet.digitalocean.plugins.module_utils.http.bodies import ContractError, NonFiniteNumberError, decode_json
from ansible_collections.snapfleet.digitalocean.tests.unit.plugins.helpers import (
    SPEC_NAME,
    TOKEN,
    RawServer,
    api_spec_path,
    http_answer,
)

given, settings, HealthCheck = hypothesis.given, hypothesis.settings, hypothesis.HealthCheck

# Modest example counts: the whole unit suite must stay fast.
FAST = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HTTP = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

LIST_PATH = "/v2/snapshots"
VOLUME_PATH = "/v2/volumes/{volume_id}/snapshots"
DROPLET_PATH = "/v2/droplets/{droplet_id}/snapshots"
GET_PATH = "/v2/snapshots/{snapshot_id}"


# -- strategies from the contract ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _contract() -> t.Optional[dict]:
    path = api_spec_path()
    if path is None:
        return None
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _schema(path: str, status: str) -> dict:
    """The JSON schema of one answer of the contract; skips the test when the contract is not reachable."""
    contract = _contract()
    if contract is None:
        pytest.skip("API contract not found: neither SNAPFLEET_API_SPEC nor tests/contract/api/%s in the collection "
                    "holding %s" % (SPEC_NAME, __file__))
    return contract["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]


def _merge(schemas: t.Iterable[dict]) -> dict:
    """allOf: one object schema with every branch's properties and required keys."""
    merged: dict = {"properties": {}, "required": []}
    for schema in schemas:
        schema = _flatten(schema)
        for key, value in schema.items():
            if key == "properties":
                merged["properties"].update(value)
            elif key == "required":
                merged["required"] += [r for r in value if r not in merged["required"]]
            else:
                merged.setdefault(key, value)
    return merged


def _flatten(schema: dict) -> dict:
    return _merge(schema["allOf"]) if "allOf" in schema else schema


def _instant() -> t.Any:
    """ISO 8601 date-times in the API's form and in others the format allows (offsets, fractions)."""
    moments = st.datetimes(min_value=datetime.datetime(2012, 1, 1), max_value=datetime.datetime(2035, 1, 1),
                           timezones=st.sampled_from([datetime.timezone.utc,
                                                      datetime.timezone(datetime.timedelta(hours=2)),
                                                      datetime.timezone(datetime.timedelta(hours=-5, minutes=-30))]))
    return moments.map(lambda m: m.isoformat().replace("+00:00", "Z"))


def from_schema(schema: dict, force: t.Sequence[str] = ()) -> t.Any:
    """A hypothesis strategy for the instances of an OpenAPI 3.0 schema (the subset this contract uses).

    ``force`` names optional top-level properties to always generate: the
    contract forgets to mark ``snapshots`` (list) and ``snapshot`` (get) as
    required although every answer has them. Numbers the schema leaves
    unbounded are drawn from 0..10**6: counts and sizes, never negative in practice.
    """
    schema = _flatten(schema)
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of([from_schema(branch) for branch in schema.get("anyOf", schema.get("oneOf"))])
    if "enum" in schema:
        base = st.sampled_from(schema["enum"])
    else:
        kind = schema.get("type", "object" if "properties" in schema else None)
        if kind == "object":
            properties = schema.get("properties", {})
            required = set(schema.get("required", ())) | set(force)
            base = st.fixed_dictionaries(
                {k: from_schema(v) for k, v in properties.items() if k in required},
                optional={k: from_schema(v) for k, v in properties.items() if k not in required})
        elif kind == "array":
            base = st.lists(from_schema(schema.get("items", {})), max_size=4)
        elif kind == "string":
            base = _instant() if schema.get("format") == "date-time" else st.text(max_size=12)
        elif kind == "integer":
            base = st.integers(schema.get("minimum", 0), schema.get("maximum", 10 ** 6))
        elif kind == "number":
            base = st.floats(0, 10 ** 6, allow_nan=False) | st.integers(0, 10 ** 6)
        elif kind == "boolean":
            base = st.booleans()
        else:  # {}: anything; the contract uses it for an empty links.pages
            base = st.just({})
    if schema.get("nullable"):
        base = st.none() | base
    return base


def _validator(schema: dict) -> t.Optional[t.Callable[[t.Any], None]]:
    """Validate instances against the schema with openapi-schema-validator, when installed: checks the generator."""
    try:
        from openapi_schema_validator import OAS30Validator  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return OAS30Validator(schema).validate


def _expected(snapshot: dict) -> dict:
    """What the client makes of one snapshot object: ids as strings, tags null as []."""
    result = dict(snapshot, id=str(snapshot["id"]))
    if result.get("tags") is None:
        result["tags"] = []
    return result


@st.composite
def list_bodies(draw: t.Any, path: str = LIST_PATH) -> dict:
    """A list answer of the contract, with its snapshot ids unique (the API's are)."""
    body = draw(from_schema(_schema(path, "200"), force=("snapshots",)))
    seen: t.Set[str] = set()
    body["snapshots"] = [s for s in body["snapshots"] if not (s["id"] in seen or seen.add(s["id"]))]
    return body


# -- (a) valid answers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [LIST_PATH, VOLUME_PATH])
def test_generated_list_answers_are_valid_and_parse(path):
    schema = _schema(path, "200")
    validate = _validator(schema)

    @FAST
    @given(body=list_bodies(path))
    def check(body: dict) -> None:
        if validate is not None:
            validate(body)
        snapshots, total, links = parse_list_body(json.loads(json.dumps(body)))
        assert [s["id"] for s in snapshots] == [str(s["id"]) for s in body["snapshots"]]
        assert snapshots == [_expected(s) for s in body["snapshots"]]
        assert total == body["meta"]["total"]
        assert links == (body.get("links") or {})

    check()


def test_generated_droplet_scoped_answers_are_valid_and_parse():
    schema = _schema(DROPLET_PATH, "200")
    validate = _validator(schema)

    @FAST
    @given(body=list_bodies(DROPLET_PATH))
    def check(body: dict) -> None:
        if validate is not None:
            validate(body)
        snapshots, total, _links = parse_list_body(json.loads(json.dumps(body)), droplet_scoped=True)
        wanted = [{k: (str(v) if k == "id" else v) for k, v in s.items()} for s in body["snapshots"]]
        assert snapshots == wanted  # id a string, type kept (the route leaves backups out), nothing invented
        assert not any({"resource_id", "resource_type", "tags"} & set(s) for s in snapshots)
        assert total == body["meta"]["total"]

    check()


def test_generated_get_answers_are_valid_and_parse():
    schema = _schema(GET_PATH, "200")
    validate = _validator(schema)

    @FAST
    @given(body=from_schema(schema, force=("snapshot",)))
    def check(body: dict) -> None:
        if validate is not None:
            validate(body)
        assert parse_snapshot_body(json.loads(json.dumps(body))) == _expected(body["snapshot"])

    check()


@pytest.fixture(name="server", scope="module")
def fixture_server() -> t.Iterator[RawServer]:
    """One raw server for every example of a module (hypothesis reruns a test body many times)."""
    server = RawServer()
    yield server
    server.close()


def _json_answer(body: t.Any, status: int = 200) -> bytes:
    headers = {"Content-Type": "application/json; charset=utf-8", "ratelimit-limit": "5000",
               "ratelimit-remaining": "4999", "ratelimit-reset": "4102444800"}
    return http_answer(status, json.dumps(body).encode(), headers)


def test_generated_list_answers_round_trip_through_the_client(server):
    _schema(LIST_PATH, "200")  # skip early without the contract

    @HTTP
    @given(body=list_bodies())
    def check(body: dict) -> None:
        # One page holding everything, its total agreeing: what the API sends for a short list.
        body["meta"]["total"] = len(body["snapshots"])
        server.payload = _json_answer(body)
        with Client(TOKEN, api_url=server.url, retries=0, retry_backoff=0) as client:
            listing = client.list(LIST_PATH, {"resource_type": "volume"})
        assert listing.snapshots == [_expected(s) for s in body["snapshots"]]
        assert listing.total == len(body["snapshots"])

    check()


def test_generated_get_answers_round_trip_through_the_client(server):
    schema = _schema(GET_PATH, "200")

    @HTTP
    @given(body=from_schema(schema, force=("snapshot",)))
    def check(body: dict) -> None:
        server.payload = _json_answer(body)
        with Client(TOKEN, api_url=server.url, retries=0, retry_backoff=0) as client:
            assert client.get_snapshot("6372321") == _expected(body["snapshot"])

    check()


def test_generated_error_answers_are_reported_as_they_came(server):
    schema = _schema(GET_PATH, "404")
    statuses = st.sampled_from([400, 401, 403, 404, 405, 409, 410, 418, 422, 429, 500, 501, 502, 503, 504, 599])

    @HTTP
    @given(body=from_schema(schema), status=statuses)
    def check(body: dict, status: int) -> None:
        server.payload = _json_answer(body, status)
        with Client(TOKEN, api_url=server.url, retries=0, retry_backoff=0, retry_max_wait=0) as client:
            with pytest.raises(APIError) as caught:
                client.get_snapshot("1")
        error = caught.value
        assert (error.status, error.attempts, error.path) == (status, 1, "/v2/snapshots/1")
        # An empty field is no field (bodies.error_fields).
        wanted = (body["id"] or None, body["message"] or None, body.get("request_id") or None)
        assert (error.api_id, error.api_message, error.request_id) == wanted

    check()


# -- (b) corrupted answers -------------------------------------------------------------------------------------

JSON_SCALARS = st.none() | st.booleans() | st.integers(-10, 1000) | st.floats(allow_nan=True) | st.text(max_size=8)
# Bodies as bytes may hold NaN, Infinity or 1e999: decode_json refuses them (a ContractError, a ValueError).
NON_FINITE = st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400"])
ANY_JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
KEYS = ("snapshots", "snapshot", "meta", "total", "links", "pages", "id", "tags", "regions", "name")


def _valid_list_body() -> dict:
    return {"snapshots": [{"id": "6372321", "name": "web-01", "created_at": "2020-07-28T16:47:44Z",
                           "regions": ["nyc3"], "resource_id": "200776916", "resource_type": "droplet",
                           "min_disk_size": 25, "size_gigabytes": 2.34, "tags": None},
                          {"id": "fbe805e8-866b-11e6-96bf-000f53315a41", "name": "pvc-01",
                           "created_at": "2019-09-28T23:14:30Z", "regions": [], "resource_id": "89bcc42f",
                           "resource_type": "volume", "min_disk_size": 2, "size_gigabytes": 0.1, "tags": ["k8s"]}],
            "links": {}, "meta": {"total": 2}}


@st.composite
def damaged_bodies(draw: t.Any) -> t.Any:
    """A valid list body with one value somewhere replaced by arbitrary JSON, or a key renamed or removed."""
    body = _valid_list_body()
    if draw(st.booleans()):
        body["snapshot"] = body["snapshots"][0]  # a get answer too
    containers: t.List[t.Any] = []

    def walk(node: t.Any) -> None:
        if isinstance(node, (dict, list)):
            containers.append(node)
            for child in (node.values() if isinstance(node, dict) else node):
                walk(child)

    walk(body)
    target = draw(st.sampled_from(containers))
    if isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["replace", "delete", "rename"]))
        if action == "replace":
            target[key] = draw(ANY_JSON)
        elif action == "delete":
            del target[key]
        else:
            target[draw(st.sampled_from(KEYS))] = target.pop(key)
    elif isinstance(target, list) and target:
        target[draw(st.integers(0, len(target) - 1))] = draw(ANY_JSON)
    else:
        return draw(ANY_JSON)
    return body


def _parses_or_value_error(function: t.Callable[[t.Any], t.Any], body: t.Any) -> t.Any:
    try:
        return function(copy.deepcopy(body))
    except ValueError:
        return None


def _scalar_paths(node: t.Any, path: str = "") -> t.List[t.Tuple[str, t.Any, t.Any]]:
    """(json path, container, key) of every scalar in ``node``."""
    found: t.List[t.Tuple[str, t.Any, t.Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        here = ("%s.%s" % (path, key) if path else str(key)) if isinstance(node, dict) else "%s[%d]" % (path, key)
        if isinstance(value, (dict, list)):
            found += _scalar_paths(value, here)
        else:
            found.append((here, node, key))
    return found


@FAST
@given(data=st.data(), constant=NON_FINITE)
def test_non_finite_numbers_are_refused_and_their_place_named(data, constant):
    body = _valid_list_body()
    where, container, key = data.draw(st.sampled_from(_scalar_paths(body)))
    container[key] = "__non_finite__"
    text = json.dumps(body).encode().replace(b'"__non_finite__"', constant)
    with pytest.raises(NonFiniteNumberError) as caught:
        decode_json(text)
    assert str(caught.value).startswith("the answer holds %s at %s," % (constant.decode(), where))
    assert isinstance(caught.value, ContractError) and isinstance(caught.value, ValueError)


@FAST
@given(body=ANY_JSON | damaged_bodies())
def test_parsers_take_any_json_raising_only_value_error(body):
    listed = _parses_or_value_error(parse_list_body, body)
    if listed is not None:
        snapshots, total, links = listed
        assert isinstance(total, int) and not isinstance(total, bool) and total >= 0 and isinstance(links, dict)
        assert all(isinstance(s["id"], str) and isinstance(s["tags"], list) for s in snapshots)
    one = _parses_or_value_error(parse_snapshot_body, body)
    if one is not None:
        assert isinstance(one["id"], str) and isinstance(one["tags"], list)
    item = _parses_or_value_error(normalize, body)
    if item is not None:
        assert isinstance(item["id"], str) and isinstance(item["tags"], list)


STATUS = st.integers(100, 599)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/html", "text/plain",
                                 "application/json; charset=bogus", "", "application/octet-stream"])
HEADER_VALUES = st.sampled_from(["0", "1", "-1", "abc", "1e9", "inf", "-inf", "nan", "", "0.01", "4102444800",
                                 "Wed, 21 Oct 2015 07:28:00 GMT"])


@st.composite
def bodies(draw: t.Any) -> bytes:
    """Bytes a broken server or proxy might send as a body."""
    kind = draw(st.sampled_from(["json", "damaged", "cut", "bytes", "html"]))
    if kind == "json":
        return json.dumps(draw(ANY_JSON)).encode()
    if kind == "damaged":
        return json.dumps(draw(damaged_bodies())).encode()
    if kind == "cut":
        whole = json.dumps(_valid_list_body()).encode()
        return whole[: draw(st.integers(0, len(whole) - 1))]
    if kind == "html":
        return b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    return draw(st.binary(max_size=64))


@st.composite
def answers(draw: t.Any) -> bytes:
    """The raw bytes of one broken HTTP answer, or of something that is not HTTP at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80))  # not HTTP
    status = draw(STATUS | st.just(200))
    body = draw(bodies())
    headers = {}
    content_type = draw(CONTENT_TYPES)
    if content_type:
        headers["Content-Type"] = content_type
    for name in ("Retry-After", "ratelimit-remaining", "ratelimit-reset", "ratelimit-limit"):
        if draw(st.booleans()):
            headers[name] = draw(HEADER_VALUES)
    framing = draw(st.sampled_from(["exact", "short", "long", "none", "chunked", "gzip"]))
    if framing == "short":
        headers["Content-Length"] = str(max(0, len(body) - 3))
    elif framing == "long":
        headers["Content-Length"] = str(len(body) + 10)  # then the server closes: a cut-off body
    elif framing == "chunked":
        headers["Transfer-Encoding"] = "chunked"
        body = b"%x\r\n" % (len(body) + draw(st.integers(-2, 2)) if body else 0) + body + b"\r\n"
        if draw(st.booleans()):
            body += b"0\r\n\r\n"
    elif framing == "gzip":
        headers["Content-Encoding"] = "gzip"
        if draw(st.booleans()):
            body = gzip.compress(body)
        headers["Content-Length"] = str(len(body))
    elif framing == "exact":
        headers["Content-Length"] = str(len(body))
    return http_answer(status, body, headers, content_length=False)


def _only_snapfleet_errors(call: t.Callable[[], t.Any]) -> t.Any:
    try:
        return call()
    except SnapfleetError:
        return None
    # Anything else propagates and fails the example, with hypothesis' minimal answer printed.


@HTTP
@given(payload=answers(), per_page=st.sampled_from([1, 2, 200]))
def test_client_lets_only_its_own_errors_escape(server, payload, per_page):
    server.payload = payload
    # No real waiting: whatever Retry-After or ratelimit-reset says, waits are capped at 0.05 s.
    with Client(TOKEN, api_url=server.url, retries=1, retry_backoff=0, retry_max_wait=0.05, timeout=2,
                concurrency=2) as client:
        listing = _only_snapfleet_errors(lambda: client.list(LIST_PATH, per_page=per_page))
        if listing is not None:
            assert len({s["id"] for s in listing.snapshots}) == len(listing.snapshots) == listing.total
        snapshot = _only_snapfleet_errors(lambda: client.get_snapshot("6372321"))
        if snapshot is not None:
            assert isinstance(snapshot["id"], str) and isinstance(snapshot["tags"], list)


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_an_api_error(server, status):
    server.payload = http_answer(status, b"[" * 100000, {"Content-Type": "application/json"})
    with Client(TOKEN, api_url=server.url, retries=0, retry_backoff=0) as client, pytest.raises(APIError):
        client.get_snapshot("1")


# -- the fast paths agree with the careful ones -------------------------------------------------------------------

_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                          st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
_FIELD_VALUES = st.one_of(_JSON_SCALARS, st.lists(_JSON_SCALARS, max_size=3),
                          st.lists(st.sampled_from(["nyc3", "ams3", "web"]), max_size=3),
                          st.sampled_from(["droplet", "volume", "image", "2024-05-01T00:00:00Z", 10, 2.5]))
_SNAPSHOT_KEYS = ("id", "name", "created_at", "regions", "min_disk_size", "size_gigabytes", "resource_id",
                  "resource_type", "tags", "type")


def _outcome(check: t.Callable[[dict], dict], item: dict) -> t.Any:
    try:
        return ("ok", check(copy.deepcopy(item)))
    except ContractError as exc:
        return ("refused", str(exc))


@FAST
@given(st.dictionaries(st.sampled_from(_SNAPSHOT_KEYS), _FIELD_VALUES, max_size=len(_SNAPSHOT_KEYS)),
       st.sampled_from(["7", 7, "a-uuid"]))
def test_normalize_fast_path_answers_as_the_field_by_field_check(item, sid):
    """normalize_snapshot's shortcut for the common answer accepts, refuses and normalises as checked_snapshot."""
    from ansible_collections.snapfleet.digitalocean.plugins.module_utils.api.contract import checked_snapshot

    item.setdefault("id", sid)
    assert _outcome(normalize, item) == _outcome(checked_snapshot, item)


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-10 ** 400, max_value=10 ** 400).map(str),
    st.builds("{}e{}{}".format, st.integers(-99, 99), st.sampled_from(["", "+", "-"]), st.integers(0, 1200)),
    st.builds("{}.{}E+0{}".format, st.integers(0, 9), st.integers(0, 99), st.integers(290, 330)),
    st.builds("{}.5".format, st.integers(min_value=10 ** 300, max_value=10 ** 320)),
)


@FAST
@given(st.lists(_NUMBER_TEXT, min_size=1, max_size=5), st.booleans(), st.sampled_from(["web", "1e999"]))
@hypothesis.example(["9" * 310 + ".5"], False, "web")
@hypothesis.example(["1" + "0" * 308 + ".0", "2"], True, "web")
@hypothesis.example(["-1.5e0400"], False, "web")
def test_decode_refuses_exactly_the_numbers_that_overflow(numbers, as_text, name):
    """No number that overflows to infinity gets through, in bytes or text, and no finite one is refused."""
    body = '{"snapshots": [%s], "name": "%s"}' % (", ".join(numbers), name)
    overflows = any(isinstance(json.loads(n), float) and json.loads(n) in (float("inf"), float("-inf"))
                    for n in numbers)
    try:
        decoded = decode_json(body if as_text else body.encode("ascii"))
    except NonFiniteNumberError:
        assert overflows
    else:
        assert not overflows
        assert decoded == json.loads(body)
