"""Who runs a crawl or holds a lease: a process named so that its death can be told for sure.

An owner is `host:pid:start`, where `start` is the process's start time in clock ticks since
boot (field 22 of /proc/PID/stat). A pid alone is not enough: pids are reused, and a new process
with an old holder's pid would keep a dead run "running" for good. Only owners on this host can
be checked; a run or lease held on another host is left to its own host (or its lease's expiry).
"""

from __future__ import annotations

import os
import socket
from functools import cache


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def _start_ticks(pid: int) -> str:
    fields = _stat(pid)
    # Field 22 of the whole line is the 20th after "pid (comm)".
    return fields[19] if fields and len(fields) > 19 else "0"


def process_owner() -> str:
    """This process as an owner of runs and leases."""
    return _owner(os.getpid())  # by pid: a forked child is an owner of its own


@cache
def _owner(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def _pid_alive(pid: int) -> bool:
    """Whether a process runs; a zombie (killed, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = _stat(pid)
    return fields is None or fields[0] not in ("Z", "X")


def owner_gone(owner: str | None) -> bool:
    """Whether `owner` is a process of this host that no longer exists.

    Owners from before owners were recorded (None) count as gone: no live process can claim
    them. Owners on other hosts are never declared gone from here.
    """
    if owner is None:
        return True
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return False
    pid, _, start = rest.partition(":")
    if not pid.isdigit():
        return True
    if not _pid_alive(int(pid)):
        return True
    # The pid lives: it is the owner only if it started when the owner did (pid reuse).
    return bool(start) and start != "0" and _start_ticks(int(pid)) != start
