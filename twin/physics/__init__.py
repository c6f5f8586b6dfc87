"""Robot-cell physics in PyBullet: cycle times, reach and collisions of robot cells.

| module | what it holds |
| --- | --- |
| `context` | `Physics`, the context built at an edge and passed in: the disk cache and the in-process caches |
| `client` | `PhysicsClient`, the façade over one PyBullet DIRECT connection |
| `settings` | the tuned constants (time step, solver, tolerances, gains) |
| `bodies` | a robot loaded in a client: joints, limits, tool frame |
| `world` | a cell loaded in a client (floor, fixtures) and the pool of one world per robot model |
| `ik`, `profile` | inverse kinematics; trapezoidal motion profiles |
| `simulate` | `simulate_cell`, `simulate_layout`, `task_times`, `tool_paths`: the simulation loop |
| `reports` | `TaskReport`, `CellReport`, `Unreachable`, `Collision`, `MoveReport` |
| `cache` | task reports on disk, keyed by a hash of their inputs |
| `reach` | a robot's reach and its floor envelope (for `twin.safety`) |
| `visuals` | robot meshes for the 3D scene; a picture of a cell |

Importing this package does not import pybullet; the first call that needs it does.
"""
from twin.physics.context import Physics
from twin.physics.reports import CellFailure, CellReport, Collision, MoveReport, TaskReport, Unreachable
from twin.physics.simulate import robot_cells, simulate_cell, simulate_layout, task_times, tool_paths

__all__ = ["Physics", "CellReport", "CellFailure", "Collision", "MoveReport", "TaskReport", "Unreachable",
           "robot_cells", "simulate_cell", "simulate_layout", "task_times", "tool_paths"]
