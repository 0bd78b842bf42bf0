"""What the service and its crawl worker say to each other: one JSON object per line.

The service sends `crawl` tasks (which sources, with an id), `drain` (finish what is in flight,
take nothing more, exit) and `stop` (stop crawls now, recording them as interrupted, exit). The
worker answers each task with a `done` message carrying one summary per source, and reports its
own state (runs done, resident memory) with every answer so the service can recycle it.

Plain JSON lines over the worker's stdin and stdout keep the worker independent of its feeder:
the same messages could come from a shared queue (a Redis list) instead of a parent process.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Op = Literal["crawl", "drain", "stop"]
# The environment variable through which the service hands its parsed config (as JSON) to the
# worker it starts; a worker started by hand reads its `--config` file instead.
CONFIG_ENV = "AMUR_WORKER_CONFIG"


@dataclass(frozen=True)
class Task:
    """A message to the worker."""

    op: Op
    id: int = 0
    sources: tuple[str, ...] = ()

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes | str) -> Task:
        data = json.loads(line)
        return cls(op=data["op"], id=int(data.get("id", 0)), sources=tuple(data.get("sources", ())))


@dataclass(frozen=True)
class Done:
    """A message from the worker: task `id` finished (or could not run: `error`)."""

    id: int
    summaries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    runs: int = 0  # crawls this worker has finished
    rss_kb: int = 0  # its resident memory after this one

    def encode(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False).encode() + b"\n"

    @classmethod
    def decode(cls, line: bytes | str) -> Done:
        return cls(**json.loads(line))
