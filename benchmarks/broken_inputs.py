"""Broken layout files through the command line: the share of clean answers per command.

Generates a seeded set of broken inputs (one group per class of issue 15: non-finite and
absurd numbers, expanding and ambiguous YAML/JSON, sizes past the limits, bad references,
robot models outside the layout's folder or not robots, paths that are not layout files,
random mutations of the samples that `validate` refuses), plus flag values out of range and
output paths that cannot be written on the sound sample (`flag_cases`), and
runs each through `validate`, `schedule` (short time limit), `render`, `simulate`, `evaluate`
(few replications) and `optimize` (a small search), every run in its own process with a
timeout. A clean answer is exit 2 with a message and no traceback; for `optimize` also a
finished run (exit 0) when the only mistake is the as-is placement, which the search replaces.

    .venv/bin/python benchmarks/broken_inputs.py [--seed 0] [--timeout 60] [--jobs 2] [--commands validate,...]
        [--only 'robot_*']

Writes benchmarks/results/broken_inputs.md (the table and every unclean case).
"""
from __future__ import annotations

import argparse
import copy
import fnmatch
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "layouts" / "auto_parts.yaml"
COMMANDS = ("validate", "schedule", "render", "simulate", "evaluate", "optimize")
INF, NAN = float("inf"), float("nan")


def _set(data: dict, path: tuple, value) -> dict:
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent.setdefault(part, {}) if isinstance(parent, dict) else parent[part]
    parent[path[-1]] = value
    return data


def _numbers(base: dict) -> dict[str, dict]:
    """Non-finite, huge and negative values in every kind of number field."""
    robot = next(i for i, s in enumerate(base["stations"]) if s.get("cell"))
    fields = {
        "floor_width": ("floor", "width"), "grid": ("floor", "grid"), "aisle": ("floor", "aisle_width"),
        "tick": ("tick",), "station_width": ("stations", 0, "footprint", "width"),
        "position": ("stations", 0, "position", 0), "capacity": ("stations", 0, "capacity"),
        "op_time": ("products", 0, "routing", 0, "time"), "setup": ("products", 0, "routing", 0, "setup"),
        "due": ("products", 0, "due"), "release": ("products", 0, "release"), "weight": ("products", 0, "weight"),
        "demand": ("products", 0, "demand"), "changeover": ("changeovers", 0, "time"),
        "waypoint": ("stations", robot, "cell", "tasks", 0, "waypoints", 0, "xyz", 0),
        "base": ("stations", robot, "cell", "base", "xyz"),
        "gripper": ("stations", robot, "cell", "tasks", 0, "gripper_close"),
        "agv_speed": ("transport", "agv", "speed"),
    }
    values = {"inf": INF, "nan": NAN, "huge": 1e308, "negative": -1.0}
    files = {}
    for name, path in fields.items():
        for label, value in values.items():
            if path[0] == "changeovers" and not base.get("changeovers"):
                continue
            if label == "negative" and name in ("waypoint", "base"):
                continue  # -1 m is a fine coordinate in a robot cell
            wrapped = [0.0, 0.0, value] if name == "base" else value  # the base pose may be absent
            files[f"number_{name}_{label}.yaml"] = _set(base, path, wrapped)
    return files


def _text_files() -> dict[str, str]:
    lol = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lol += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    sample = SAMPLE.read_text(encoding="utf-8")
    return {
        "yaml_billion_laughs.yaml": "\n".join(lol) + "\n",
        "yaml_alias_loop.yaml": "name: x\nloop: &a [1, *a]\n",
        "yaml_deep.yaml": "name: x\nfloor: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "json_deep.json": '{"name": "x", "floor": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "yaml_duplicate_key.yaml": sample.replace("\ntick: 1.0\n", "\ntick: 1.0\ntick: 2.0\n", 1),
        "json_duplicate_key.json": '{"name": "x",\n "name": "y"}',
        "yaml_huge_integer.yaml": "name: " + "9" * 5000 + "\n",
        "yaml_two_documents.yaml": sample + "\n---\n" + sample,
        "yaml_not_a_mapping.yaml": "- a\n- b\n",
        "yaml_empty.yaml": "",
        "yaml_malformed.yaml": "name: [\n",
        "binary.yaml": "\udcff",
        "yaml_python_tag.yaml": sample.replace("\ntick: 1.0\n", "\ntick: !!python/object/apply:os.system [echo]\n", 1),
        "yaml_undefined_alias.yaml": sample.replace("\ntick: 1.0\n", "\ntick: *nowhere\n", 1),
        "yaml_duplicate_anchor.yaml": "name: &a x\ndescription: &a y\n",
        "yaml_tab_indent.yaml": sample.replace("\n  width:", "\n\twidth:", 1),
        "yaml_float_overflow.yaml": sample.replace("\ntick: 1.0\n", "\ntick: 1e400\n", 1),
        "yaml_control_character.yaml": sample.replace("\ntick: 1.0\n", "\ntick: 1.0\x07\n", 1),
    }


def _json_files(base: dict) -> dict[str, str]:
    """The sample as JSON with the literals Python's json reads though JSON has none (NaN,
    Infinity), keys given twice, and a list past its limit."""
    import json

    station = copy.deepcopy(base["stations"][0])
    station.pop("fixed", None)
    many = dict(base, stations=base["stations"] + [dict(station, id=f"extra{i}", position=None) for i in range(20_000)])
    twice = json.dumps(base, indent=1).replace('\n "tick": 1.0,', '\n "tick": 1.0,\n "tick": 2.0,', 1)
    return {
        "json_nan_tick.json": json.dumps(_set(base, ("tick",), NAN), indent=1),
        "json_infinite_demand.json": json.dumps(_set(base, ("products", 0, "demand"), INF), indent=1),
        "json_duplicate_tick.json": twice,
        "json_20000_stations.json": json.dumps(many, indent=1),
        "json_truncated.json": json.dumps(base, indent=1)[:5000],
    }


def _sizes(base: dict) -> dict[str, dict]:
    robot = next(i for i, s in enumerate(base["stations"]) if s.get("cell"))
    waypoint = base["stations"][robot]["cell"]["tasks"][0]["waypoints"][0]
    station = copy.deepcopy(base["stations"][0])
    station.pop("fixed", None)
    many = copy.deepcopy(base)
    many["stations"] = base["stations"] + [dict(station, id=f"extra{i}", position=None) for i in range(20_000)]
    copies = copy.deepcopy(base)
    copies["products"] = [dict(copy.deepcopy(base["products"][0]), id=f"copy{i}") for i in range(300)]
    return {
        "size_20000_stations.yaml": many,
        "size_300_product_copies.yaml": copies,
        "size_10M_lots.yaml": _set(_set(base, ("products", 0, "demand"), 10_000_000), ("products", 0, "lot_size"), 1),
        "size_fine_grid.yaml": _set(base, ("floor", "grid"), 1e-6),
        "size_huge_floor.yaml": _set(_set(base, ("floor", "width"), 1e6), ("floor", "depth"), 1e6),
        "size_floor_below_a_step.yaml": _set(_set(base, ("floor", "grid"), 5.0), ("floor", "width"), 0.5),
        "size_work_overflow.yaml": _set(_set(base, ("tick",), 0.001), ("products", 0, "demand"), 5_000_000),
        "size_600_products.yaml": dict(copies, products=[dict(copies["products"][0], id=f"p{i}", demand=1, lot_size=1)
                                                         for i in range(600)]),
        "size_300_operations.yaml": _set(base, ("products", 0, "routing"), [
            dict(copy.deepcopy(base["products"][0]["routing"][0]), id=f"op{i}") for i in range(300)]),
        "size_2000_waypoints.yaml": _set(base, ("stations", robot, "cell", "tasks", 0, "waypoints"), [
            dict(copy.deepcopy(waypoint), name=f"w{i}") for i in range(2000)]),
    }


def _references(base: dict) -> dict[str, dict]:
    robot = next(i for i, s in enumerate(base["stations"]) if s.get("cell"))
    first_op = ("products", 0, "routing", 0)
    no_time = copy.deepcopy(base)
    no_time["products"][0]["routing"][0].pop("time", None)
    no_time["products"][0]["routing"][0].pop("task", None)
    no_cell = copy.deepcopy(base)
    no_cell["stations"][robot].pop("cell")
    five = copy.deepcopy(no_cell)
    five["stations"][1]["id"] = five["stations"][0]["id"]
    five["products"][0]["due"] = 1.0
    five["products"][0]["release"] = 100.0
    five["products"][1]["routing"][0]["stations"] = ["nowhere"]
    five["floor"]["width"] = INF
    return {
        "ref_duplicate_station.yaml": _set(base, ("stations", 1, "id"), base["stations"][0]["id"]),
        "ref_missing_station.yaml": _set(base, first_op + ("stations",), ["nowhere"]),
        "ref_robot_cell_without_cell.yaml": no_cell,
        "ref_operation_without_time.yaml": no_time,
        "ref_due_before_release.yaml": _set(_set(base, ("products", 0, "release"), 500.0), ("products", 0, "due"), 10.0),
        "ref_unknown_kind.yaml": _set(base, ("stations", 0, "kind"), "oven"),
        "ref_five_mistakes.yaml": five,
    }


def _mutations(base: dict, rng: random.Random, count: int) -> dict[str, dict]:
    """Random replacements and deletions in the sample, kept when in-process `validate` refuses."""
    from twin.errors import LayoutError
    from twin.io import layout_from_data
    from twin.validate import layout_problems

    def paths(value, prefix=()):
        yield prefix
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            yield from paths(item, prefix + (key,))

    every = list(paths(base))[1:]
    weird = [INF, -INF, NAN, 1e308, -1, 0, 10**30, "", "x" * 100, None, [], {}, True]
    files: dict[str, dict] = {}
    while len(files) < count:
        path = rng.choice(every)
        data = _set(base, path, rng.choice(weird))
        try:
            if not layout_problems(layout_from_data(copy.deepcopy(data))):
                continue
        except LayoutError:
            pass
        files[f"mutation_{len(files):03d}.yaml"] = data
    return files


ARM_URDF = """<?xml version="1.0"?>
<robot name="arm">
  <link name="base"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
  <link name="arm"><inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>
    <visual><geometry>GEOMETRY</geometry></visual></link>
  <joint name="j1" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.3"/>
    <axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="50" velocity="1.5"/></joint>
</robot>
"""


def _robots(base: dict, folder: Path) -> dict[str, dict]:
    """Robot models that must be refused: unknown names, paths out of the layout's folder (as
    given, by symlink, by a mesh reference), URDF files that are not robots."""
    outside = folder.parent / "outside.urdf"
    outside.write_text(ARM_URDF.replace("GEOMETRY", '<box size="0.1 0.1 0.1"/>'), encoding="utf-8")
    (folder / "outside_link.urdf").symlink_to(outside)
    urdfs = {
        "garbage.urdf": "\x00\x01 not xml <<<", "empty.urdf": "", "linkless.urdf": '<robot name="x"></robot>',
        "jointless.urdf": '<robot name="x"><link name="base"/></robot>',
        "mesh_outside.urdf": ARM_URDF.replace("GEOMETRY", '<mesh filename="../outside.urdf"/>'),
        "mesh_absolute.urdf": ARM_URDF.replace("GEOMETRY", '<mesh filename="/etc/passwd"/>'),
        "mesh_missing.urdf": ARM_URDF.replace("GEOMETRY", '<mesh filename="missing.stl"/>'),
        "mesh_not_a_mesh.urdf": ARM_URDF.replace("GEOMETRY", '<mesh filename="not_a_mesh.stl"/>'),
    }
    (folder / "not_a_mesh.stl").write_bytes(bytes(range(256)) * 4)
    for name, text in urdfs.items():
        (folder / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    robot = next(i for i, s in enumerate(base["stations"]) if s.get("cell"))
    names = ["ur5", "../../etc/passwd", "/etc/passwd", "../outside.urdf", "outside_link.urdf", *urdfs]
    return {f"robot_{i:02d}_{Path(name).stem.strip('.') or 'up'}.yaml": _set(base, ("stations", robot, "cell", "robot"), name)
            for i, name in enumerate(names)}


def _special_paths(folder: Path) -> list[str]:
    (folder / "loop_a.yaml").symlink_to(folder / "loop_b.yaml")
    (folder / "loop_b.yaml").symlink_to(folder / "loop_a.yaml")
    (folder / "a_folder.yaml").mkdir()
    paths = [str(folder / "loop_a.yaml"), str(folder / "a_folder.yaml"), str(folder / "missing.yaml"),
             str(folder / ("x" * 300 + ".yaml"))]
    if os.path.exists("/dev/urandom"):
        paths.append("/dev/urandom")
    return paths


def flag_cases(folder: Path) -> list[tuple[str, str, list[str]]]:
    """(label, command, flags) on the sound sample: flag values out of range and output paths
    that cannot be written, which every command must refuse up front (the flags come after the
    run's own, so they win). Needs `_special_paths`' loop and folder."""
    existing = folder / "existing_file.txt"
    existing.write_text("x", encoding="utf-8")
    loop, a_folder, too_long = folder / "loop_a.yaml", folder / "a_folder.yaml", folder / ("x" * 300 + ".png")
    cases = [("schedule", f) for f in (["--time-limit", "nan"], ["--time-limit", "inf"], ["--time-limit", "-1"],
                                       ["--workers", "0"], ["--workers", "1000"], ["--seed", "2147483648"],
                                       ["--out", str(a_folder)], ["--out", str(too_long)], ["--out", str(loop)])]
    cases += [("render", f) for f in (["--out", str(too_long)], ["--out", str(a_folder)], ["--out", str(folder / "x.xyz")],
                                      ["--size", "0x0"], ["--size", "100000x100000"], ["--schedule", "/dev/urandom"],
                                      ["--schedule", str(existing)])]
    cases += [("simulate", f) for f in (["--cell", "nowhere"], ["--cache-dir", str(existing)])]
    cases += [("evaluate", f) for f in (["--replications", "0"], ["--replications", "1000000000"],
                                        ["--horizon", "nan"], ["--horizon", "-1"], ["--warmup", "inf"],
                                        ["--seed", "2147483648"], ["--workers", "0"], ["--workers", "1000"],
                                        ["--schedule", str(existing)], ["--trace", str(a_folder)])]
    cases += [("optimize", f) for f in (["--workers", "0"], ["--workers", "1000"], ["--seed", "2147483648"],
                                        ["--time-limit", "nan"], ["--time-limit", "inf"], ["--candidates", "0"],
                                        ["--chunk-size", "0"], ["--out", str(existing)], ["--out", str(loop)],
                                        ["--resume", str(folder / "no_such_run")])]
    return [(f"flag {command} {' '.join(Path(v).name[:20] if '/' in v else v for v in flags)}", command, flags)
            for command, flags in cases]


def generate(folder: Path, seed: int, mutations: int) -> list[str]:
    """Write the broken files into `folder`; returns every path to try (files and special paths)."""
    base = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    docs = {**_numbers(base), **_sizes(base), **_references(base), **_robots(base, folder),
            **_mutations(base, random.Random(seed), mutations)}
    for name, data in docs.items():
        (folder / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    for name, text in {**_text_files(), **_json_files(base)}.items():
        (folder / name).write_text(text, encoding="utf-8", errors="surrogateescape")
    # robot files are looked up next to the layout: the samples' URDFs, if any, come along
    for extra in SAMPLE.parent.iterdir():
        if extra.is_dir() and not (folder / extra.name).exists():
            (folder / extra.name).symlink_to(extra)
    layouts = sorted(str(p) for p in folder.iterdir() if p.suffix in (".yaml", ".json") and not p.is_symlink())
    return layouts + _special_paths(folder)


def legal_for_search(path: str) -> bool:
    """Whether `optimize` may take the file: only the as-is placement is wrong (the search
    places the stations anew), so a finished run (exit 0) is a legal answer too."""
    from twin.errors import LayoutError
    from twin.io import load_layout
    from twin.validate import search_input_problems

    try:
        return not search_input_problems(load_layout(path))
    except LayoutError:
        return False


def run_one(command: str, path: str, work: Path, timeout: float, legal: bool = False,
            flags: tuple[str, ...] = (), label: str = "") -> dict:
    out = {"schedule": ["--time-limit", "2", "--out", str(work / "schedule.json")],
           "render": ["--out", str(work / "render.png")], "validate": [],
           "simulate": [],
           "evaluate": ["--replications", "2", "--horizon", "3600"],
           "optimize": ["--candidates", "20", "--shortlist", "2", "--simulate", "1", "--replications", "2",
                        "--max-replications", "2", "--time-limit", "1", "--workers", "1", "--quiet",
                        "--out", str(work / "run")]}[command]
    if legal:  # a whole (small) search runs: legal work, which a loaded machine may make slow
        timeout *= 3
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "optimizer.cli", command, path, *out, *flags], capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        code, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired:
        code, err = None, f"timed out after {timeout:g} s"
    clean = (code == 2 and "Traceback" not in err and bool(err.strip())) or (legal and code == 0)
    return {"command": command, "file": label or Path(path).name[:60], "exit": code, "clean": clean,
            "seconds": time.perf_counter() - started, "stderr": err.strip().splitlines()[-1][:200] if err.strip() else ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mutations", type=int, default=30, help="random mutations of the sample (default 30)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--only", metavar="GLOB", help="only the inputs whose file name matches (e.g. 'robot_*')")
    args = parser.parse_args()
    commands = args.commands.split(",")
    load_before, began = os.getloadavg()[0], time.time()
    with tempfile.TemporaryDirectory(prefix="broken-") as tmp:
        folder = Path(tmp) / "layouts"
        folder.mkdir()
        paths = generate(folder, args.seed, args.mutations)
        flags = [case for case in flag_cases(folder) if case[1] in commands]
        if args.only:
            paths = [p for p in paths if fnmatch.fnmatch(Path(p).name, args.only)]
            flags = [case for case in flags if fnmatch.fnmatch(case[0], args.only)]
        searchable = {p for p in paths if "optimize" in commands and os.path.isfile(p) and legal_for_search(p)}
        print(f"{len(paths)} broken inputs ({len(searchable)} with only the as-is placement wrong, which optimize "
              f"may take) and {len(flags)} bad flags on the sound sample; commands: {', '.join(commands)}", flush=True)
        jobs = []
        for i, path in enumerate(paths):
            for command in commands:
                work = Path(tmp) / f"out{i}-{command}"
                work.mkdir()
                jobs.append((command, path, work, command == "optimize" and path in searchable, (), ""))
        for i, (label, command, extra) in enumerate(flags):
            work = Path(tmp) / f"flag{i}"
            work.mkdir()
            jobs.append((command, str(SAMPLE), work, False, tuple(extra), label))
        results = []
        with ThreadPoolExecutor(args.jobs) as pool:
            for result in pool.map(lambda job: run_one(*job[:3], args.timeout, *job[3:]), jobs):
                results.append(result)
                if not result["clean"]:  # as they come, so a long run shows its findings early
                    print(f"unclean: {result['command']} {result['file']}: exit {result['exit']}: "
                          f"{result['stderr']}", flush=True)
    lines = ["# Broken inputs through the command line\n",
             f"`{' '.join(['.venv/bin/python', 'benchmarks/broken_inputs.py'] + sys.argv[1:])}`: {len(paths)} broken "
             f"inputs through each command and {len(flags)} bad flags or output paths on the sound sample, each run in its own process with a {args.timeout:g} s timeout, {args.jobs} at a time; clean = "
             "exit 2, a message, no traceback (for `optimize`, also exit 0 on the "
             f"{len(searchable)} inputs whose only mistake is the as-is placement, which a search replaces; those "
             f"runs, whole small searches, get {3 * args.timeout:g} s). Load average (1 min) {load_before:.1f} before, "
             f"{os.getloadavg()[0]:.1f} after; {(time.time() - began) / 60:.0f} min in all.\n", "| command | inputs | clean | share | median (s) | slowest (s) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for command in commands:
        rows = [r for r in results if r["command"] == command]
        if not rows:  # --only left this command nothing
            continue
        clean = sum(r["clean"] for r in rows)
        slowest = max(rows, key=lambda r: r["seconds"])
        median = sorted(r["seconds"] for r in rows)[len(rows) // 2]
        lines.append(f"| {command} | {len(rows)} | {clean} | {100 * clean / len(rows):.1f} % | {median:.1f} | "
                     f"{slowest['seconds']:.1f} ({slowest['file']}) |")
    unclean = [r for r in results if not r["clean"]]
    lines += ["", f"## Unclean answers ({len(unclean)})", ""]
    lines += [f"- `{r['command']} {r['file']}`: exit {r['exit']}: {r['stderr']}" for r in unclean] or ["none"]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks" / "results" / "broken_inputs.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
