"""Run a command under resource limits: ``python -m scratchnet_book.grading.limits --memory MB
--cpu SECONDS -- COMMAND...`` sets the limits, then replaces itself with COMMAND (``os.execvp``),
so the command and everything it starts inherit them.

The limits (``resource.setrlimit``, per process): the address space (``RLIMIT_AS``: an allocation
beyond it fails with ``MemoryError`` instead of swapping the machine), CPU time (``RLIMIT_CPU``: the
kernel sends SIGXCPU, then SIGKILL), no core files, and the size of any file written
(``RLIMIT_FSIZE``). The grader starts every notebook kernel and every sandbox of student code this
way (:mod:`scratchnet_book.grading.execute`, :mod:`scratchnet_book.grading.sandbox`).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

MAX_FILE_BYTES = 256 * 2**20
"""The largest file a submission may write (RLIMIT_FSIZE): enough for any chapter's figures."""


def set_limits(memory_mb: int, cpu_seconds: int) -> None:
    """Limit this process (and what it starts) to ``memory_mb`` MiB of address space and
    ``cpu_seconds`` of CPU time; no core dumps, no file over ``MAX_FILE_BYTES``."""
    memory = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))


def limited(command: list[str], memory_mb: int, cpu_seconds: int) -> list[str]:
    """``command`` prefixed so that it runs under :func:`set_limits`."""
    return [sys.executable, "-m", "scratchnet_book.grading.limits", "--memory", str(memory_mb),
            "--cpu", str(cpu_seconds), "--", *command]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scratchnet_book.grading.limits")
    parser.add_argument("--memory", type=int, required=True, help="address space, MiB")
    parser.add_argument("--cpu", type=int, required=True, help="CPU time, seconds")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    set_limits(args.memory, args.cpu)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
