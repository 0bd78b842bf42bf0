"""Owners of runs and leases: a gone process is told apart from a live one, pid reuse too."""

from __future__ import annotations

import os
import socket

from storage.owners import owner_gone, process_owner
from tests.processes import dead_owner, live_process


def test_this_process_is_not_gone() -> None:
    assert not owner_gone(process_owner())


def test_an_exited_process_is_gone() -> None:
    assert owner_gone(dead_owner())


def test_a_live_process_is_not_gone() -> None:
    with live_process() as owner:
        assert not owner_gone(owner)
    assert owner_gone(owner)


def test_a_reused_pid_does_not_keep_a_dead_owner_alive() -> None:
    host, pid, start = process_owner().split(":")
    assert not owner_gone(f"{host}:{pid}:{start}")
    assert owner_gone(f"{host}:{pid}:{int(start) + 1}")


def test_owners_on_other_hosts_are_never_declared_gone() -> None:
    assert not owner_gone(f"not-{socket.gethostname()}:{os.getpid()}:1")


def test_owners_from_before_owners_were_recorded_are_gone() -> None:
    assert owner_gone(None)
