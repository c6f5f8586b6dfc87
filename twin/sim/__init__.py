"""The running twin: a discrete-event simulation (SimPy) of a layout with variability,
breakdowns, finite buffers and AGVs, following a plan or a dispatching rule.

`compile_factory` turns a Layout into a `Factory`; `run_replication` simulates it once;
`evaluate` runs replications with common random numbers and summarises the KPIs.
"""
