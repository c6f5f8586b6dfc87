"""What identifies a candidate: its placements, and a stable hash of them that a run store
uses to recognise a candidate it has seen before, in any process."""
from __future__ import annotations

import hashlib

from twin.model import Layout


def placements(layout: Layout) -> dict[str, tuple[float, float, int]]:
    """Station id -> (x, y, rotation) for every placed station."""
    return {s.id: (float(s.position[0]), float(s.position[1]), int(s.rotation))
            for s in layout.stations if s.position is not None}


def key_of(items: list[tuple[str, float, float, int]]) -> str:
    text = ";".join(f"{sid}:{x:.4f}:{y:.4f}:{rot}" for sid, x, y, rot in sorted(items))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def candidate_key(layout: Layout) -> str:
    """A stable hash of all placements (positions to 0.1 mm, rotations), so a run store can
    recognise a candidate it has seen before, in any process."""
    return key_of([(sid, x, y, rot) for sid, (x, y, rot) in placements(layout).items()])
