"""factory-twin as an HTTP service (FastAPI): validate and schedule layouts, run evaluations
and layout searches as queued jobs, reschedule from a live shop-floor state.

The service adds no planning logic of its own: every answer comes from `twin` and
`optimizer` (the same functions the CLI calls), jobs run the CLI's own commands in child
processes on the existing runner, and a search's state lives in its run database, so a
killed server loses nothing. One module per concept, lowest first:

- `problems`: RFC 9457 problem documents, the only shape an error takes;
- `settings`: what `factory-twin serve` was started with, checked (no token, no public address);
- `security`: the bearer token (constant-time) and the request-body size limit;
- `workspace`: the folders the service reads and writes, and job ids;
- `uploads`: a request body to a Layout, through the project's safe readers;
- `jobs`: job records on disk, the queue (`--max-jobs`), child processes, cancel and resume;
- `runs`: a search's progress and state from its run database; `models`: response bodies;
- `schemas`: the CLI's JSON Schemas as OpenAPI components; `state`: what the routes share;
- `routes_*`: the endpoints; `app`: the application factory; `server`: uvicorn.
"""
