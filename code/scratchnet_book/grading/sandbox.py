"""The student's functions, run in a process of their own and called from the checks' process.

The checks must run where the submission never ran: a submission that patches ``scratchnet``,
replaces a check or fakes a verdict in its own process then changes nothing that grades it. So the
student's definitions (:mod:`scratchnet_book.grading.extract`) are executed in a *sandbox*: a
fresh Python process under resource limits (:mod:`scratchnet_book.grading.limits`), with its own
working folder and no stdin or stdout. The grading process holds a :class:`Sandbox` and gives the
check a stand-in for each student function (:meth:`Sandbox.function`): calling it sends the
arguments to the sandbox, which calls the student's function and sends back what it returned.

What comes back is untrusted, so it is never unpickled: :func:`encode` turns it into JSON for the
structure (None, numbers, strings, lists, tuples, dicts with string keys) and NumPy's ``.npy`` for
arrays, read with ``allow_pickle=False``; anything else arrives as an :class:`Opaque` placeholder,
which no check accepts. Arrays the function changed in place are copied back into the check's
arguments, so a check can still see that an input was modified. A call that does not return within
its time limit, or a sandbox that dies, is stopped with a :class:`Stopped` error: the check reports
it as the function's failure, and the next call starts a fresh sandbox.

Run as ``python -m scratchnet_book.grading.sandbox READ_FD WRITE_FD``: the student's side.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet_book.grading.limits import limited

MAX_MESSAGE = 256 * 2**20      # the largest reply accepted from a sandbox
MAX_DEPTH = 16                 # nesting of lists and dicts in a reply
HEADER = struct.Struct(">Q")   # every message: its length, then its bytes

SANDBOX_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MALLOC_ARENA_MAX": "2", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
"""One thread each (the grader runs one submission per core) and no windows or .pyc files."""


class Stopped(Exception):
    """The student's function was stopped: too slow, or its process died."""


class Opaque:
    """Stands for a value the sandbox returned that the grader does not receive (an object of
    some other type): no check accepts it."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


# --- the wire: length-prefixed messages; replies as JSON + .npy -----------------------------------

def send(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


def receive(fd: int, deadline: float | None = None, limit: int = MAX_MESSAGE) -> bytes:
    """One message from ``fd``; ``Stopped`` if none is complete within ``deadline`` seconds, the
    other side closed the pipe, or it announces more than ``limit`` bytes."""
    head = read_exactly(fd, HEADER.size, deadline)
    (length,) = HEADER.unpack(head)
    if length > limit:
        raise Stopped(f"its reply would be {length:,} bytes, more than {limit:,}")
    return read_exactly(fd, length, deadline)


def read_exactly(fd: int, n: int, deadline: float | None) -> bytes:
    import time

    end = None if deadline is None else time.monotonic() + deadline
    chunks, got = [], 0
    while got < n:
        wait = None if end is None else max(0.0, end - time.monotonic())
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            raise Stopped(f"did not return within {deadline:g} s")
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise Stopped("its process ended before replying")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def encode(value: Any) -> bytes:
    """``value`` as bytes that :func:`decode` reads without running code."""
    arrays: list[bytes] = []

    def tree(v, depth):
        if depth > MAX_DEPTH:
            return {"x": "deeply nested value"}
        if v is None or isinstance(v, bool | int | float | str) and not isinstance(v, np.generic):
            return {"v": v if not isinstance(v, str) else v[:10_000]}
        if isinstance(v, np.generic | np.ndarray):
            array = np.asarray(v)
            if array.dtype.hasobject or array.dtype.kind not in "biufc":
                return {"x": f"array of {array.dtype}"}
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            arrays.append(buffer.getvalue())
            return {"a": len(arrays) - 1}
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"d": {k: tree(x, depth + 1) for k, x in v.items()}}
        if isinstance(v, list | tuple):
            return {"l" if isinstance(v, list) else "t": [tree(x, depth + 1) for x in v]}
        return {"x": type(v).__name__[:60]}

    header = json.dumps(tree(value, 0)).encode()
    return b"".join([HEADER.pack(len(header)), header]
                    + [HEADER.pack(len(a)) + a for a in arrays])


def decode(message: bytes) -> Any:
    """The value :func:`encode` wrote; a malformed message raises ``ValueError``."""
    view, position = memoryview(message), 0

    def take():
        nonlocal position
        (length,) = HEADER.unpack(view[position:position + HEADER.size])
        start = position + HEADER.size
        if start + length > len(view):
            raise ValueError("truncated message")
        position = start + length
        return bytes(view[start:position])

    try:
        structure = json.loads(take())
        arrays = []
        while position < len(view):
            arrays.append(np.load(io.BytesIO(take()), allow_pickle=False))
    except (struct.error, json.JSONDecodeError, UnicodeDecodeError, OSError) as error:
        raise ValueError(f"malformed reply ({type(error).__name__})") from None

    def build(node, depth=0):
        if depth > MAX_DEPTH + 1 or not isinstance(node, dict) or len(node) != 1:
            raise ValueError("malformed reply")
        (kind, content), = node.items()
        if kind == "v":
            return content
        if kind == "a":
            return arrays[content]
        if kind == "d":
            return {str(k): build(x, depth + 1) for k, x in content.items()}
        if kind in ("l", "t"):
            items = [build(x, depth + 1) for x in content]
            return items if kind == "l" else tuple(items)
        return Opaque(str(content))

    try:
        return build(structure)
    except (IndexError, TypeError, AttributeError):
        raise ValueError("malformed reply") from None


def mutable_arguments(args: tuple) -> list:
    """The arguments whose changes are sent back: arrays, and dicts of arrays."""
    return [a if isinstance(a, np.ndarray) or isinstance(a, dict) and
            all(isinstance(x, np.ndarray) for x in a.values()) else None for a in args]


def copy_back(originals: tuple, after: list) -> None:
    """Copy arrays changed in the sandbox into the check's arguments (same shapes only)."""
    for original, new in zip(originals, after, strict=False):
        pairs = ([(original, new)] if isinstance(original, np.ndarray)
                 else [(original[k], new.get(k)) for k in original]
                 if isinstance(original, dict) and isinstance(new, dict) else [])
        for old, changed in pairs:
            if (isinstance(old, np.ndarray) and isinstance(changed, np.ndarray)
                    and changed.shape == old.shape):
                np.copyto(old, changed, casting="unsafe")


# --- the grading side -----------------------------------------------------------------------------

class Sandbox:
    """The student's definitions in a separate, limited process, started on first use."""

    def __init__(self, statements: list[str], folder: Path, memory_mb: int, cpu_seconds: int,
                 call_timeout: float):
        self.statements, self.folder = statements, Path(folder)
        self.memory_mb, self.cpu_seconds, self.call_timeout = memory_mb, cpu_seconds, call_timeout
        self.process: subprocess.Popen | None = None
        self.setup_errors: list[str] = []

    def start(self) -> None:
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        command = limited([sys.executable, "-m", "scratchnet_book.grading.sandbox",
                           str(to_child), str(from_child)], self.memory_mb, self.cpu_seconds)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            command, pass_fds=(to_child, from_child), cwd=self.folder,
            env={**os.environ, **SANDBOX_ENV}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_child)
        os.close(from_child)
        self.write, self.read = from_parent, to_parent
        send(self.write, pickle.dumps(self.statements))
        reply = decode(receive(self.read, deadline=max(60.0, self.call_timeout)))
        self.setup_errors = [str(e) for e in reply.get("errors", [])] if isinstance(reply, dict) \
            else ["the sandbox did not start"]

    def call(self, name: str, args: tuple, kwargs: dict) -> Any:
        if self.process is None or self.process.poll() is not None:
            self.close()
            self.start()
        try:
            send(self.write, pickle.dumps((name, args, kwargs)))
            reply = decode(receive(self.read, deadline=self.call_timeout))
        except (Stopped, OSError, ValueError) as error:
            self.close()
            raise Stopped(f"{name} {error} (stopped)") from None
        if not isinstance(reply, dict):
            raise Stopped(f"{name}: malformed reply")
        if "error" in reply:
            kind, message = reply["error"] if isinstance(reply["error"], tuple | list) \
                else ("Exception", "")
            if kind == "NotImplementedError":
                raise NotImplementedError(message)
            raise type(str(kind)[:60] if str(kind).isidentifier() else "Exception",
                       (Exception,), {})(str(message)[:500])
        copy_back(args, reply.get("after") or [])
        return reply.get("value")

    def function(self, name: str):
        """A stand-in for the student's function ``name``: same arguments, same result."""
        def proxy(*args, **kwargs):
            return self.call(name, args, kwargs)
        proxy.__name__ = name
        return proxy

    def close(self) -> None:
        """Stop the sandbox and everything it started (its whole session)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for fd in (self.write, self.read):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- the student's side ---------------------------------------------------------------------------

def serve(read_fd: int, write_fd: int) -> None:
    """Define the student's statements in a fresh namespace, then answer calls until the grader
    closes the pipe."""
    import builtins

    statements = pickle.loads(receive(read_fd))
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    errors = []
    for statement in statements:
        try:
            exec(compile(statement, "<notebook>", "exec"), namespace)
        except BaseException as error:  # noqa: B036 - the student's code: report, go on
            errors.append(f"{statement.splitlines()[0][:80]}: {type(error).__name__}: "
                          f"{str(error)[:200]}")
    send(write_fd, encode({"errors": errors}))
    while True:
        try:
            name, args, kwargs = pickle.loads(receive(read_fd))
        except Stopped:
            return
        try:
            function = namespace.get(name)
            if not callable(function):
                raise NameError(f"{name} is not defined in the notebook")
            value = function(*args, **kwargs)
            reply = {"value": value, "after": mutable_arguments(args)}
        except BaseException as error:  # noqa: B036 - SystemExit too: it is the student's
            reply = {"error": (type(error).__name__, str(error).splitlines()[0][:500]
                               if str(error) else "")}
        try:
            message = encode(reply)
        except Exception as error:
            message = encode({"error": ("Exception", f"its result cannot be sent ({error})")})
        send(write_fd, message)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
