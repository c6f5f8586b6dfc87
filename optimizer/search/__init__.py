"""The layout search run: generate candidates, screen them all fast, schedule the short list,
simulate the best of it and the as-is layout in the running twin, decide, and keep the
Pareto front.

Stage 1 (every candidate, in chunks per worker task): the independent layout checker
(`optimizer.layout_checker.check_layout`; invalid candidates are stored with their problems
and never shortlisted), the routed material-flow distance (lot trips x aisle or conveyor
metres, as `twin.graph.flow_distance`; where an operation has several stations, the legs are
weighted by the share of lots the as-is layout's schedule sends each way, `routes`, so the
as-is layout is scheduled before stage 1), the installed conveyor length and the floor area
the stations use (`twin.graph.used_area`).

Stage 2 (the as-is layout plus the `shortlist` distinct candidates with the shortest flow
distance): the CP-SAT scheduler with one search worker per task under a short budget in
deterministic time (`budget`: the seed decides the result, not the machine's load),
warm-started by its dispatching rules; every schedule goes through the independent
`check_schedule`, and one that fails is recorded as such and never ranked. Robot-cell cycle
times come from physics once per run: a task's cycle lives in the cell's own frame, so it
does not change when the station moves.

The candidate sequence is deterministic per seed and made in the parent process: first the
placement generator's candidates (`optimizer.placement.generate`), then refinement rounds
that perturb the best screened layouts so far (`optimizer.placement.perturb`). Duplicates
(same `candidate_key`) are skipped. Every result goes into the run database as it comes in,
so a resumed run regenerates the same sequence, skips what is done and ends with the same
count as an uninterrupted one.

Stage 3 (the final yardstick, `simulate`): the running twin judges the best designs of the
plan ranking and the as-is layout alike (one seed, common random numbers, each design's own
checked schedule), in rounds that spend more replications on the designs still in
contention; `decide` ranks them by the simulated KPIs (by default the cheapest annual cost
that meets the required rate) and recommends a design only when it is significantly better
than the as-is layout. Where designs were simulated, the final ranking is the twin's.

Plan ranking (stage 2's, and the order of designs not simulated): by makespan (throughput ranks the same way; weighted tardiness first by its value),
then by flow distance, then by candidate key, so equal numbers never reorder between runs.
The plan's Pareto front is over makespan, floor area and travel (installed conveyor metres
plus AGV metres driven in the schedule); the simulated designs' front (`decide`) is over
annual cost, the lower 95 % bound of throughput and lead time.

More decisions than positions (`variants`): where the layout has a `decisions` block, the
as-is layout and the best screened placements enter stage 2 with the layout's fleet and
buffers and once per decision variant (a candidate of its own, stored with its parent), so
the plan, the twin and the annual cost judge fleet and buffers together with placement.

The modules, lowest first (each imports only those above it):
- `config`: `SearchConfig`, the settings of a run (its names: `optimizer.names`);
- `rows`: `CandidateRow`, one evaluated layout, and placements to and from layouts;
- `ranking`: `rank`, `rank_key`, `pareto_front`;
- `budget`: stage 2's scheduling budget (sized to the problem, retried on a fallback) and its wall-clock safety net;
- `routes`: the lot routes of a schedule, the screening proxy's weights;
- `variants`: the fleet and buffer variants tried on each short-listed placement;
- `tasks`: the work done in workers (`screen_chunk`, `schedule_task`) and its context;
- `statistics`: paired differences and the elimination rule;
- `simulate`: stage 3 (`simulate_task` in workers, `SimulationStage` in the parent);
- `decide`: the decision from stored replications (`Decision`, `decide`, the simulated front);
- `explain`: why the best design wins against the as-is layout, from measured figures;
- `results`: reading runs back (`SearchResult`, `load_run`, `list_runs`); the report reads these;
- `progress`: `Progress` snapshots and the tracker that makes them;
- `candidates`: the numbered candidate sequence of a run (generated, then refined);
- `run`: the run's life cycle (`run_search`, `SearchInterrupted`, `default_run_dir`).

This file imports none of them, so `import optimizer.search.results` does not start a run's
machinery (and the report, which `run` uses, can read results without an import cycle).
"""
