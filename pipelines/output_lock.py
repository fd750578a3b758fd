"""One ``skypile curate`` per output folder: ``DIR/.skypile.lock``.

The lock is a file created in ``DIR`` and held with ``fcntl.flock`` for the whole run; it records
who holds it (pid, host, start time, command) so that a refused run can say so. The kernel drops
a flock when its process dies, however it dies, so a lock file left by a killed run is stale by
construction: the next run takes it over (and says whose it was). A finished run deletes it.

Two runs racing for a fresh folder: both create-or-open the same path, only one flock succeeds.
A holder deletes the file before releasing the flock; a run that locked a file which was
meanwhile deleted (its inode no longer at the path) lets go and tries again, so two runs never
hold locks on two different files.

Only local folders are locked: object stores (``gs://``, ``s3://``) have no exclusive create that
Beam's FileSystems expose; run one job per remote output folder.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sys
from typing import Iterator

LOCK_NAME = ".skypile.lock"


class OutputLocked(Exception):
    """Another live run holds the output folder."""


def _holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 1 << 16).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another run"
    return (f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
            + (f" ({holder['command']})" if holder.get("command") else ""))


def _acquire(folder: str) -> tuple[int, str]:
    path = os.path.join(folder, LOCK_NAME)
    for _ in range(100):  # each retry follows a holder that just finished; never loops for long
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise OutputLocked(f"--output {folder} is in use by another skypile curate ({_describe(holder)}); "
                               "wait for it to finish, or choose another folder") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd, path
        os.close(fd)  # the file was deleted by its holder between our open and flock
    raise OutputLocked(f"--output {folder}: could not take {path}")


@contextlib.contextmanager
def hold(folder: str, command: str = "") -> Iterator[None]:
    """Hold ``folder``'s lock for the block; :class:`OutputLocked` when a live run holds it.
    A remote folder (a URL) is not locked."""
    if "://" in folder:
        yield
        return
    os.makedirs(folder, exist_ok=True)
    fd, path = _acquire(folder)
    stale = _holder(fd)
    if stale:  # the file outlived a run that was killed: its flock died with it
        print(f"skypile curate: taking over {path} left by a run that no longer runs ({_describe(stale)})",
              file=sys.stderr)
    record = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "command": command}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)
    os.fsync(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)  # before the flock goes, so no one locks a file about to vanish
        os.close(fd)
