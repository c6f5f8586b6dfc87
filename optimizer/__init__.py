"""factory-twin's optimizer: scheduling problems, the CP-SAT scheduler, schedule checking and
export, and the layout search with its run store and backends."""
