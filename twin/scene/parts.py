"""The scene's vocabulary: a `Part` is one named, coloured mesh; a `Scene` is the factory as
such parts plus what a viewer needs to explain the colours."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from twin.palette import RGB

if TYPE_CHECKING:  # pyvista is imported where it is used: `import twin.scene` stays fast
    import pyvista as pv

PART_KINDS = ("floor", "grid", "keep_out", "dock", "aisle", "station", "robot", "fixture", "conveyor",
              "agv_route", "flow")


@dataclass
class Part:
    """One named piece of the scene. `rgb` means the mesh carries per-cell colours in its
    "rgb" cell array (robot links) and `color` is only their average; `value` is the number
    the part shows (utilisation of a station, volume of a flow) and `width` a tube's diameter."""

    name: str
    kind: str
    mesh: "pv.PolyData"
    color: RGB
    opacity: float = 1.0
    label: str | None = None
    label_position: tuple[float, float, float] | None = None
    station: str | None = None
    value: float | None = None
    width: float | None = None
    rgb: bool = False
    show_edges: bool = False


@dataclass
class Scene:
    """The factory as named parts, plus what a viewer needs to explain the colours."""

    name: str
    floor_size: tuple[float, float]
    parts: dict[str, Part] = field(default_factory=dict)
    color_by: str = "kind"
    legend: list[tuple[str, RGB]] = field(default_factory=list)
    scalar_bar: str | None = None  # title of the utilisation bar when coloured by it

    def add(self, part: Part) -> Part:
        if part.kind not in PART_KINDS:
            raise ValueError(f"unknown part kind {part.kind!r}")
        self.parts[part.name] = part
        return part

    def __getitem__(self, name: str) -> Part:
        return self.parts[name]

    def __iter__(self) -> Iterator[Part]:
        return iter(self.parts.values())

    def __len__(self) -> int:
        return len(self.parts)

    def of_kind(self, kind: str) -> list[Part]:
        return [p for p in self.parts.values() if p.kind == kind]

    @property
    def height(self) -> float:
        """Top of the tallest part (m), for framing."""
        return max((p.mesh.bounds[5] for p in self if p.mesh.n_points), default=0.0)
