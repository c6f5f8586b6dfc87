"""The CLI's JSON Schemas (`factory-twin schema layout|schedule|evaluation`) as components of
the OpenAPI document, so the service documents exactly the documents the CLI reads and
writes. Each schema's `$defs` become components of their own (`Layout_Station`, ...) and its
references are rewritten to point there."""
from __future__ import annotations

import copy
from typing import Any

DOCUMENTS = ("layout", "schedule", "evaluation")


def cli_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema the CLI prints for `kind`."""
    if kind == "layout":
        from twin.io import layout_json_schema

        return layout_json_schema()
    if kind == "evaluation":
        from twin.sim.kpis import evaluation_json_schema

        return evaluation_json_schema()
    from optimizer.schedule_json import schedule_json_schema

    return schedule_json_schema()


def _rewrite(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = f"#/components/schemas/{prefix}_{value[len('#/$defs/'):]}"
            else:
                out[key] = _rewrite(value, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite(item, prefix) for item in node]
    return node


def components() -> dict[str, Any]:
    """`Layout`, `Schedule`, `Evaluation` and their definitions, ready for OpenAPI 3.1."""
    out: dict[str, Any] = {}
    for kind in DOCUMENTS:
        name = kind.capitalize()
        schema = copy.deepcopy(cli_schema(kind))
        definitions = schema.pop("$defs", {})
        for key in ("$schema", "$id"):
            schema.pop(key, None)
        out[name] = _rewrite(schema, name)
        for def_name, definition in definitions.items():
            out[f"{name}_{def_name}"] = _rewrite(definition, name)
    return out


def json_response(component: str, description: str) -> dict[int | str, Any]:
    """An OpenAPI `200` response whose JSON body is one of the components above."""
    return {200: {"description": description,
                  "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}}}
