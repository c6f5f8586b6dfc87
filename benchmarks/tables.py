"""Writing a benchmark's markdown result file: one layout for every scheduling benchmark."""
from __future__ import annotations

from pathlib import Path


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def write_markdown(out: str | Path, title: str, intro: str, rows: list[str], footer: list[str],
                   keep_earlier: str | None = None) -> None:
    """`# title`, the intro paragraph, the table rows, then each footer paragraph; prints where.
    With `keep_earlier` (a heading), what the file held before follows under `## keep_earlier`,
    its own headings one level down, so a re-run does not erase the runs the README cites."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paragraphs = [f"# {title}", intro, "\n".join(rows), *footer]
    if keep_earlier is not None and out.exists():
        earlier = out.read_text().splitlines()
        if earlier and earlier[0].startswith("# "):
            earlier = earlier[1:]  # the old title
        body = "\n".join("#" + line if line.startswith("#") else line for line in earlier).strip()
        if body:
            paragraphs += [f"## {keep_earlier}", body]
    out.write_text("\n\n".join(paragraphs) + "\n")
    print(f"wrote {out}")
