"""A time's random shape (`twin.model.Variability`) as one short table cell, and back:
`fixed`, `exponential`, `lognormal cv=0.3`, `triangular low=0.8 high=1.5`, `empirical`
(its observed samples are kept while the kind stays empirical); and an empirical shape's
samples as text, `12.1, 13.4, 11.8` (commas, spaces or new lines between them), and back.

What cannot be read is passed on as typed, so the layout check names it at its field
instead of the table guessing."""
from __future__ import annotations

import re
from typing import Any

PARAMETERS = ("cv", "low", "high")


def shape_text(shape: dict[str, Any] | None, default: str) -> str:
    """'lognormal cv=0.3' for a shape; `default` when the file gives none."""
    if not shape:
        return default
    kind = shape.get("kind") or default
    words = [str(kind)] + [f"{name}={shape[name]:g}" if isinstance(shape[name], (int, float)) else f"{name}={shape[name]}"
                           for name in PARAMETERS if shape.get(name) is not None]
    if kind == "empirical" and shape.get("samples"):
        words.append(f"({len(shape['samples'])} samples)")
    return " ".join(words)


def parse_shape(text: str | None, old: dict[str, Any] | None) -> dict[str, Any] | None:
    """The shape a cell describes; None for a blank cell (the model's default). An empirical
    shape keeps the old shape's samples."""
    if text is None or not str(text).strip():
        return None
    words = re.sub(r"\(.*?\)", " ", str(text)).split()  # '(12 samples)' is shown, not read
    if not words:
        return {"kind": str(text).strip()}
    shape: dict[str, Any] = {"kind": words[0]}
    for word in words[1:]:
        name, sep, value = word.partition("=")
        if not sep or name not in PARAMETERS:
            return {"kind": str(text).strip()}  # not readable: the check names the kind
        shape[name] = _number(value)
    if shape["kind"] == "empirical" and old and old.get("kind") == "empirical" and old.get("samples"):
        shape["samples"] = old["samples"]
    return shape


def _number(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value


class SamplesError(ValueError):
    """Samples text that is not a list of numbers; the message names the sample."""


def samples_text(samples: list[float] | tuple[float, ...] | None) -> str:
    """The samples as the text box shows them, comma-separated, each as short as it reads
    back exactly."""
    return ", ".join(repr(float(v)).removesuffix(".0") for v in samples or ())


def parse_samples(text: str) -> list[float]:
    """The numbers in `text` (separated by commas, spaces or new lines), in order; raises
    SamplesError naming the first that is not a positive number (the model's own range
    check names a too-large one at its field)."""
    words = [w for w in re.split(r"[,;\s]+", text or "") if w]
    if not words:
        raise SamplesError("give at least one sample (observed times, separated by commas)")
    samples = []
    for n, word in enumerate(words, start=1):
        try:
            value = float(word)
        except ValueError:
            raise SamplesError(f"sample {n} is not a number: '{word}'") from None
        if not 0 < value < float("inf"):  # NaN fails this too
            raise SamplesError(f"sample {n} must be a positive number, got {word}")
        samples.append(value)
    return samples

