"""Calls through the real app, each answer checked against the OpenAPI document it serves.

:class:`Contract` fills an operation's path template, makes the request with the Flask test
client, and checks the answer: its status is one the operation documents, its media type is
the documented one, and its body validates against the documented schema (JSON Schema 2020-12,
``$ref``s resolved inside the document, formats checked). It records each operation it saw
answer, so a test can require that every operation was exercised.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:moderation:openapi"
METHODS = ("get", "put", "post", "patch", "delete", "options")


def pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def operations(document: dict) -> dict[tuple[str, str], dict]:
    """(METHOD, path template) -> the operation."""
    return {(method.upper(), path): item[method] for path, item in document["paths"].items()
            for method in METHODS if method in item}


def url_rule_as_template(rule: str) -> str:
    """Flask's ``/a/<b>/<path:c>`` -> OpenAPI's ``/a/{b}/{c}``."""
    parts = []
    for segment in rule.split("/"):
        if segment.startswith("<") and segment.endswith(">"):
            segment = "{" + segment[1:-1].rpartition(":")[2] + "}"
        parts.append(segment)
    return "/".join(parts)


@dataclass
class Contract:
    client: object
    document: dict
    exercised: set = field(default_factory=set)  # (operationId, status)

    def __post_init__(self):
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)
        self.operations = operations(self.document)

    def call(self, method: str, template: str, params: dict | None = None, **request):
        """Request ``method template`` (``{name}`` filled from ``params``) and check the answer."""
        path = template
        for name, value in (params or {}).items():
            path = path.replace("{" + name + "}", value)
        response = self.client.open(path, method=method, **request)
        self.check(method, template, response)
        return response

    def check(self, method: str, template: str, response) -> None:
        operation = self.operations[(method.upper(), template)]
        status = str(response.status_code)
        responses = operation["responses"]
        documented = status if status in responses else f"{status[0]}XX"
        assert documented in responses, (f"{method} {template} answered {status}, documented: {sorted(responses)}: "
                                         f"{response.get_data(as_text=True)[:500]}")
        self.exercised.add((operation["operationId"], status))
        content = responses[documented].get("content")
        if not content:
            return
        assert response.mimetype in content, (method, template, status, response.mimetype, list(content))
        if response.mimetype.endswith("json"):
            location = pointer("paths", template, method.lower(), "responses", documented, "content", response.mimetype,
                               "schema")
            self.validate(json.loads(response.get_data()), location, f"{method} {template} -> {status}")

    def validate(self, instance: object, location: str, what: str) -> None:
        validator = Draft202012Validator({"$ref": f"{DOCUMENT_URI}#/{location}"}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
        assert not errors, f"{what}: " + "; ".join(
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors[:5])

    def operations_not_exercised(self) -> set[str]:
        seen = {operation_id for operation_id, _status in self.exercised}
        return {operation["operationId"] for operation in self.operations.values()} - seen
