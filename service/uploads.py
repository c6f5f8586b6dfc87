"""A request body to a layout: the body is the layout file's content (YAML or JSON), read by
the project's safe readers (no Python objects from YAML, aliases and nesting bounded, keys
given twice refused), so the service accepts exactly what `factory-twin validate` accepts."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from twin.io import parse_layout
from twin.readers import uploaded_text
from twin.model import Layout

from service.problems import ServiceError

SOURCE = "layout"  # how messages name the uploaded layout
LAYOUT_MEDIA_TYPES = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
    "text/plain": "yaml",
}

# the OpenAPI request body of every route that takes a layout
LAYOUT_BODY = {
    "requestBody": {
        "required": True,
        "description": "the layout file's content, YAML or JSON (`factory-twin schema layout`)",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Layout"}},
            "application/x-yaml": {"schema": {"type": "string"}},
        },
    }
}


@dataclass(frozen=True)
class Upload:
    text: str
    fmt: str  # yaml or json


async def read_upload(request: Request) -> Upload:
    """The body as text with its format, from the Content-Type (YAML when none is given)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = LAYOUT_MEDIA_TYPES.get(media) if media else "yaml"
    if fmt is None:
        raise ServiceError(415, "unsupported-media-type", "Unsupported media type",
                           f"send the layout as {', '.join(LAYOUT_MEDIA_TYPES)}, not {media}")
    body = await request.body()
    return Upload(uploaded_text(body, SOURCE), fmt)


def parse_upload(upload: Upload) -> Layout:
    """The layout, or LayoutError with every problem and its field path."""
    return parse_layout(upload.text, SOURCE, upload.fmt)
