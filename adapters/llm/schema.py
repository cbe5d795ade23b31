"""Shapes asked of a model as strict JSON schemas (OpenAI structured outputs)."""

from typing import Any

from pydantic import BaseModel

# What OpenAI's strict structured outputs refuse in a schema ("Supported schemas"): length
# and size limits, defaults, patterns and formats. Pydantic still checks them on the answer.
_REFUSED = {"default", "maxLength", "minLength", "maxItems", "minItems", "pattern", "format"}


def strict_schema(shape: type[BaseModel]) -> dict[str, Any]:
    """`shape` as a strict JSON schema: every property required (an optional one may be
    null), no other allowed, no keyword strict mode refuses."""

    def strict(node: Any, names: bool = False) -> Any:
        if isinstance(node, list):
            return [strict(n) for n in node]
        if not isinstance(node, dict):
            return node
        if names:  # a mapping of property or definition names: every name kept
            return {name: strict(value) for name, value in node.items()}
        out = {
            key: strict(value, names=key in ("properties", "$defs"))
            for key, value in node.items()
            if key not in _REFUSED
        }
        if "properties" in out:
            out["additionalProperties"] = False
            out["required"] = list(out["properties"])
        return out

    schema: dict[str, Any] = strict(shape.model_json_schema())
    return schema
