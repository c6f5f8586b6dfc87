"""Writing a benchmark's markdown result file: one layout for every scheduling benchmark."""
from __future__ import annotations

from pathlib import Path


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def write_markdown(out: str | Path, title: str, intro: str, rows: list[str], footer: list[str]) -> None:
    """`# title`, the intro paragraph, the table rows, then each footer paragraph; prints where."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paragraphs = [f"# {title}", intro, "\n".join(rows), *footer]
    out.write_text("\n\n".join(paragraphs) + "\n")
    print(f"wrote {out}")
