"""The OpenAPI document as plain lists for the docs page's template (moderation/api/templates/api/docs.html).

Everything a person reads: operations grouped by tag (method, path, who may call it, parameters,
body, answers), then the schemas with their properties. Types are short labels ("string",
"array of Finding", "integer 1–100"), each ``$ref`` a link to its schema.
"""
from __future__ import annotations

from dataclasses import dataclass, field

METHODS = ("get", "put", "post", "patch", "delete", "options")


@dataclass(frozen=True)
class TypeLabel:
    """A type as words, and the schema it names (for a link), if any."""

    text: str
    ref: str = ""


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    security: list[str]
    parameters: list[dict] = field(default_factory=list)
    bodies: list[dict] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)


def ref_name(schema: dict) -> str:
    return schema.get("$ref", "").rpartition("/")[2]


def type_label(schema: dict) -> TypeLabel:
    """A short label for ``schema``: a named schema, a type with its bounds, a list or a choice."""
    if "$ref" in schema:
        return TypeLabel(ref_name(schema), ref_name(schema))
    for combinator, joiner in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        if combinator in schema:
            labels = [type_label(part) for part in schema[combinator]]
            named = next((label.ref for label in labels if label.ref), "")
            return TypeLabel(joiner.join(label.text for label in labels), named)
    if "const" in schema:
        return TypeLabel(repr(schema["const"]))
    if "enum" in schema:
        return TypeLabel(" | ".join("null" if value is None else str(value) for value in schema["enum"]))
    kind = schema.get("type", "any")
    if kind == "array":
        item = type_label(schema.get("items", {}))
        return TypeLabel(f"array of {item.text}", item.ref)
    text = " or ".join(kind) if isinstance(kind, list) else kind
    return TypeLabel(text + _bounds(schema))


def _bounds(schema: dict) -> str:
    low, high = schema.get("minimum", schema.get("minLength")), schema.get("maximum", schema.get("maxLength"))
    found = f" {low}–{high}" if low is not None and high is not None else (
        f" ≥ {low}" if low is not None else (f" ≤ {high}" if high is not None else ""))
    if schema.get("format"):
        found += f" ({schema['format']})"
    return found


def _security(operation: dict, document: dict) -> list[str]:
    requirements = operation.get("security", document.get("security", []))
    if not requirements:
        return ["none"]
    return ["anonymous" if not requirement else " + ".join(requirement) for requirement in requirements]


def _operation(path: str, method: str, spec: dict, document: dict) -> Operation:
    found = Operation(spec.get("operationId", f"{method}-{path}"), method.upper(), path, spec.get("summary", ""),
                      spec.get("description", ""), _security(spec, document))
    for parameter in spec.get("parameters", []):
        found.parameters.append({"name": parameter["name"], "in": parameter["in"],
                                 "required": parameter.get("required", False),
                                 "type": type_label(parameter.get("schema", {})),
                                 "description": parameter.get("description", "")})
    body = spec.get("requestBody", {})
    for media_type, content in body.get("content", {}).items():
        found.bodies.append({"media_type": media_type, "type": type_label(content.get("schema", {})),
                             "required": body.get("required", False)})
    for status, response in spec.get("responses", {}).items():
        media = [{"media_type": media_type, "type": type_label(content.get("schema", {}))}
                 for media_type, content in response.get("content", {}).items()]
        found.responses.append({"status": status, "description": response.get("description", ""), "media": media,
                                "headers": sorted(response.get("headers", {}))})
    return found


def operation_groups(document: dict) -> list[dict]:
    """[{"name", "description", "operations": [Operation]}], in the document's tag order."""
    groups = {tag["name"]: {"name": tag["name"], "description": tag.get("description", ""), "operations": []}
              for tag in document.get("tags", [])}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["Other"])[0]
                group = groups.setdefault(tag, {"name": tag, "description": "", "operations": []})
                group["operations"].append(_operation(path, method, item[method], document))
    return [group for group in groups.values() if group["operations"]]


def _properties(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    return [{"name": name, "type": type_label(spec), "required": name in required,
             "description": spec.get("description", "")} for name, spec in schema.get("properties", {}).items()]


def schema_entries(document: dict) -> list[dict]:
    """Each named schema: its description, what it is made of (allOf) and its properties."""
    entries = []
    for name, schema in document["components"]["schemas"].items():
        parts = schema.get("allOf", [schema])
        entries.append({
            "name": name, "description": schema.get("description", ""),
            "extends": [ref_name(part) for part in parts if "$ref" in part],
            "type": type_label(schema) if "properties" not in schema and "allOf" not in schema else None,
            "properties": [prop for part in parts if "$ref" not in part for prop in _properties(part)],
        })
    return entries


def page_context(document: dict) -> dict:
    """What the template needs."""
    webhooks = [_operation(name, method, spec, document) for name, item in document.get("webhooks", {}).items()
                for method, spec in item.items() if method in METHODS]
    return {"info": document["info"], "groups": operation_groups(document), "schemas": schema_entries(document),
            "security_schemes": document["components"]["securitySchemes"], "webhooks": webhooks}
