"""Running the real `amur` command in a subprocess, as cron or a user would.

A crawl runs a Twisted reactor, which cannot be restarted inside one process, so every crawl in
the tests is its own process, like every `amur crawl` from cron.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

AMUR = [sys.executable, "-m", "scheduler.cli"]


def write_config(folder: Path, base: str, sources: list[dict[str, Any]], **extra: Any) -> Path:
    """A config for the loopback fixture server: no delay, loopback allowed, a fresh SQLite file.

    The review page of `amur serve` gets a free port, so services of several tests never meet.
    """
    config = {
        "database": "sqlite:///amur.db",
        "network": {"allow_private_addresses": True, "download_delay": 0, "timeout": 5},
        "web": {"port": free_port()},
        "sources": [
            {**source, "url": source["url"].replace("{{BASE}}", base)} for source in sources
        ],
        **extra,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def amur(config: Path | None, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `amur [--config CONFIG] ARGS...` and return what it printed and its exit code."""
    command = [*AMUR, *(["--config", str(config)] if config else []), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def export(config: Path, *args: str) -> list[dict[str, Any]]:
    """The archive as export records."""
    result = amur(config, "export", "--format", "jsonl", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]
