"""Does the layout search find a known good arrangement, and how much better is it than random
layouts? Planted factories (`optimizer.planted`) of both kinds over several seeds.

For each instance: the search (`run_search`, the `mixed` generator) on the as-is layout;
its answer against the planted arrangement judged by the run's own yardstick (the same
CP-SAT budget and seed, then the running twin with common random numbers over as many
replications as the answer got; `optimizer.search.checks.against_planted`); and a random
baseline: a run of the same layout and settings whose candidates are as many random legal
layouts as the search scheduled and simulated (`--generator random`, no refinement, all of
them through stages 2 and 3), its best against the search's answer, paired per replication
(`against_random`). Writes benchmarks/results/planted.md (earlier runs kept below the new one,
since the README cites them) and planted.json (this run's rows).

    .venv/bin/python benchmarks/planted_bench.py [--seeds 1 2 3] [--kinds serial_line product_cells]
        [--candidates 400] [--shortlist 20] [--time-limit 1] [--workers 2] [--runs DIR]

With `--runs DIR` the run folders stay (and a second call reads finished runs back, so the
table can be rebuilt or extended without running them again; `factory-twin recheck` works
on them).

Not a test: it takes minutes and its times depend on the machine's load (recorded).
Instance seed 0 was used while developing; the default seeds are others.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _ci(d: dict, digits: int = 0) -> str:
    low, high = d.get("ci95_low"), d.get("ci95_high")
    text = f"{d['mean']:,.{digits}f}"
    return text if low is None else f"{text} [{low:,.{digits}f}, {high:,.{digits}f}]"


def _diff(d: dict, digits: int = 0) -> str:
    low, high = d.get("low"), d.get("high")
    text = f"{d['mean']:+,.{digits}f}"
    return text if low is None else f"{text} [{low:+,.{digits}f}, {high:+,.{digits}f}]"


def _run(path: Path, config, run_dir: Path, physics):
    """The run in `run_dir`: resumed (or read back, when finished) if the folder holds one."""
    from optimizer.search.run import run_search
    from optimizer.store import DB_NAME

    if (run_dir / DB_NAME).exists():
        return run_search(path, config, resume=run_dir, physics=physics)
    return run_search(path, config, out_dir=run_dir, physics=physics)


def bench_instance(kind: str, seed: int, args: argparse.Namespace, folder: Path, physics) -> dict:
    from optimizer.planted import instance
    from optimizer.search.checks import against_planted, against_random
    from optimizer.search.config import SearchConfig

    inst = instance(kind, seed)
    path = inst.write(folder)
    common = dict(time_limit=args.time_limit, seed=args.search_seed, replications=args.replications,
                  max_replications=args.max_replications, workers=args.workers)
    started = time.perf_counter()
    search = _run(path, SearchConfig(candidates=args.candidates, shortlist=args.shortlist, simulate=args.shortlist,
                                     **common), folder / f"{inst.name}-search", physics)
    search_seconds = time.perf_counter() - started
    started = time.perf_counter()
    baseline = _run(path, SearchConfig(candidates=args.shortlist, shortlist=args.shortlist, simulate=args.shortlist,
                                       generator="random", refine=0.0, **common), folder / f"{inst.name}-random", physics)
    random_seconds = time.perf_counter() - started
    planted = against_planted(search.run_dir, inst.planted, physics, args.workers)
    random = against_random(search.run_dir, baseline.run_dir)
    as_is = search.decision.baseline
    return {
        "kind": kind, "seed": seed, "name": inst.name, "stations": len(inst.layout["stations"]),
        "as_is_cost": as_is.kpi("annual_cost")["mean"] if as_is else None,
        "planted": planted.to_dict(), "random": random.to_dict(),
        "search_seconds": search_seconds, "random_seconds": random_seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--kinds", nargs="+", default=["serial_line", "product_cells"])
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--shortlist", type=int, default=20, help="scheduled and simulated, also the random layouts")
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--max-replications", type=int, default=40)
    parser.add_argument("--search-seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "planted.md"))
    parser.add_argument("--runs", help="keep the run folders here (a finished one is read back, an interrupted "
                                       "one resumed); default: a temporary folder")
    args = parser.parse_args()

    from twin.physics import Physics

    from tables import write_markdown

    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="planted-bench-") as tmp, Physics() as physics:
        folder = Path(args.runs) if args.runs else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in args.kinds:
            for seed in args.seeds:
                row = bench_instance(kind, seed, args, folder, physics)
                rows.append(row)
                p, r = row["planted"], row["random"]
                print(f"{row['name']}: search/planted cost {p['cost_ratio']:.4f} recovered {p['recovered']}; "
                      f"search - random cost {r['cost_difference']['mean']:+,.0f}", flush=True)
    load_after = os.getloadavg()[0]
    Path(args.out).with_suffix(".json").write_text(json.dumps({"settings": vars(args), "rows": rows}, indent=1))
    table = ["| instance | stations | as-is cost | planted cost [95 % CI] | search cost [95 % CI] | search / planted | "
             "planted throughput [95 % CI] | search throughput | recovered | best random cost | search − random cost "
             "[95 % CI] | search − random throughput [95 % CI] |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    for row in rows:
        p, r = row["planted"], row["random"]
        table.append(
            f"| {row['name']} | {row['stations']} | {row['as_is_cost']:,.0f} | {_ci(p['reference']['annual_cost'])} | "
            f"{_ci(p['answer']['annual_cost'])} | {p['cost_ratio']:.4f} | "
            f"{_ci(p['reference']['throughput_per_hour'], 1)} | {p['answer']['throughput_per_hour']['mean']:,.1f} | "
            f"{'yes' if p['recovered'] else '**no**'} | {r['reference']['annual_cost']['mean']:,.0f} | "
            f"{_diff(r['cost_difference'])} | {_diff(r['throughput_difference'], 1)} |")
    recovered = sum(row["planted"]["recovered"] for row in rows)
    better = sum(row["random"]["cost_difference"]["high"] is not None and row["random"]["cost_difference"]["high"] < 0
                 for row in rows)
    intro = (f"`benchmarks/planted_bench.py --seeds {' '.join(map(str, args.seeds))} --candidates {args.candidates} "
             f"--shortlist {args.shortlist} --time-limit {args.time_limit:g} --workers {args.workers}`: search seed "
             f"{args.search_seed}, {args.replications} replications a round up to {args.max_replications}; load average "
             f"{load_before:.1f} before, {load_after:.1f} after. Costs are annual, throughput in units/h; intervals are "
             f"95 % Student-t (planted and search: over replications; differences: paired per replication, common "
             f"random numbers). The random baseline is {args.shortlist} random legal layouts, each scheduled and "
             f"simulated as the search's short list is, the best of them by the same decision.")
    footer = [f"Recovered (search within 2 % of the planted cost and its throughput not below the planted interval): "
              f"{recovered} of {len(rows)}. Search significantly cheaper than the best random layout: {better} of "
              f"{len(rows)}. Seconds per instance (search, random baseline): " +
              ", ".join(f"{row['name']} {row['search_seconds']:.0f}/{row['random_seconds']:.0f}" for row in rows) + "."]
    write_markdown(args.out, "Planted factories: the search against a known arrangement and random layouts", intro,
                   table, footer, keep_earlier="Earlier runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
