"""Rest-to-rest trapezoidal velocity profiles (the moves between waypoints)."""
from __future__ import annotations

import math
from typing import Callable


def trapezoid_time(distance: float, vmax: float, amax: float) -> float:
    """Shortest time to travel `distance` from rest to rest under |v| <= vmax, |a| <= amax."""
    d = abs(distance)
    if d == 0:
        return 0.0
    if vmax * vmax / amax >= d:
        return 2.0 * math.sqrt(d / amax)
    return d / vmax + vmax / amax


def scalar_profile(v: float, a: float) -> tuple[float, Callable[[float], float]]:
    """Rest-to-rest trapezoid on s in [0, 1]; returns (duration, s(t))."""
    total = trapezoid_time(1.0, v, a)
    ta = min(v / a, total / 2)  # a triangle when full speed is never reached

    def s(t: float) -> float:
        if t <= ta:
            return 0.5 * a * t * t
        if t <= total - ta:
            return 0.5 * a * ta * ta + v * (t - ta)
        r = max(total - t, 0.0)
        return 1.0 - 0.5 * a * r * r

    return total, s
