"""What `factory-twin serve` runs with, checked before anything listens: a server on any
address but the loopback refuses to start without a token."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, replace
from pathlib import Path

from twin.errors import InputError
from twin.limits import limit
from twin.readers import file_problem

from optimizer.names import Backend

MIN_TOKEN_CHARS = 16
MAX_TOKEN_BYTES = 4096
MAX_SYNC_SECONDS = 60.0  # a synchronous schedule's time limit; longer ones are jobs


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; any other name may reach the network."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(path: str | Path) -> str:
    """The token in a file (surrounding white space dropped): 16 to 4096 ASCII characters."""
    problem = file_problem(path)
    if problem is not None:
        raise InputError(f"--token-file {path}: {problem}")
    with open(path, "rb") as handle:
        data = handle.read(MAX_TOKEN_BYTES + 1)
    try:
        token = data.decode("ascii").strip() if len(data) <= MAX_TOKEN_BYTES else ""
    except UnicodeDecodeError:
        token = ""
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise InputError(f"--token-file {path}: the token must be {MIN_TOKEN_CHARS} to {MAX_TOKEN_BYTES} "
                         "ASCII characters without spaces")
    return token


@dataclass(frozen=True)
class ServiceSettings:
    """`workspace` holds `layouts/` (uploaded layouts, and robot files they may name) and
    `runs/` (one folder per job; a search's is its run folder, shared with the app)."""

    workspace: Path
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    max_jobs: int = 1
    max_body_bytes: int = 0  # 0: the layout file limit (FACTORY_TWIN_MAX_FILE_BYTES)
    backend: str = "local"  # search jobs' backend unless a job names its own
    address: str | None = None  # the Ray cluster of the ray backend (None: each job starts a local Ray)

    def check(self) -> "ServiceSettings":
        """Raise InputError when the server must not start this way."""
        if not is_loopback(self.host) and not self.token:
            raise InputError(f"--host {self.host} is reachable from other machines: give --token-file "
                             "(every request must then carry the token), or serve on 127.0.0.1")
        if not 1 <= self.max_jobs <= 64:
            raise InputError(f"--max-jobs must be 1 to 64, got {self.max_jobs}")
        if not 0 < self.port < 65536:
            raise InputError(f"--port must be 1 to 65535, got {self.port}")
        Backend.parse(self.backend)
        if self.address and self.backend != "ray":
            raise InputError("--address is only used with --backend ray")
        workspace = Path(self.workspace)
        if workspace.exists() and not workspace.is_dir():
            raise InputError(f"--workspace {workspace}: exists and is not a folder")
        return self

    @property
    def body_limit(self) -> int:
        return self.max_body_bytes or limit("file_bytes")

    def prepare(self) -> "ServiceSettings":
        """Create the workspace's folders; returns the settings with an absolute workspace."""
        root = Path(self.workspace).resolve()
        for sub in ("layouts", "runs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root / "layouts", 0o755)
        return replace(self, workspace=root)
