"""Ending a process and everything it started, portably.

Why psutil and not ``os.killpg``: a learner's code may start children that leave the process
group (``setsid``), and Windows has no process groups to kill. psutil walks the tree on every OS;
``sweep`` then finds the ones that left the tree by a marker in their environment.
"""

from __future__ import annotations

import os

import psutil


def kill_tree(pid: int) -> None:
    """Kill ``pid`` and all its descendants (children first found, then killed together)."""
    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return
    kill_all(procs)


def kill_all(procs: list[psutil.Process]) -> None:
    """Kill these processes and wait (bounded) until they are gone (and reaped, if ours)."""
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=3)


def sweep(marker: str, value: str, uid: int | None = None, since: float | None = None) -> int:
    """Kill every process whose environment holds ``marker=value`` (children that called setsid or
    double-forked carry it), and, when ``uid`` is given, every process of that user started after
    ``since`` (a child that also cleared its environment). Returns how many were killed."""
    killed = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid", "uids", "create_time"]):
        if proc.pid == me:
            continue
        try:
            hit = False
            if uid is not None and proc.info["uids"] is not None and proc.info["uids"].real == uid:
                hit = since is None or proc.info["create_time"] >= since - 1
            if not hit:
                hit = proc.environ().get(marker) == value
            if hit:
                proc.kill()
                killed.append(proc)
        except psutil.Error:
            continue
    psutil.wait_procs(killed, timeout=3)
    return len(killed)
