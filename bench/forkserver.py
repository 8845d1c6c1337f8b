"""A fork server for `bench.score`: import Keras once per worker, fork a child per program.

Importing numpy, Keras and its backend costs several CPU seconds per process, most of the
corpus's scoring time. A worker started with the scorer's environment imports them (and
kerasdoctor) once, then, for each program, `os.fork()`s a child that runs exactly what the
fresh-process command would:

- `python -m kerasdoctor ARGS...`: `kerasdoctor.cli.main(ARGS)`, its return value the exit status;
- `python SCRIPT ARGS...`: the script as `__main__` through runpy, `sys.argv` and `sys.path[0]`
  as `python` sets them.

in the run's working directory, stdin from /dev/null, stdout and stderr into the run's files.
Exceptions and `SystemExit` leave the child as they leave a fresh interpreter (traceback, exit
status 1; the interpreter then shuts down normally: atexit, flushing). The worker kills the
child at the time limit and answers with its exit status, wall time and CPU time (wait4: the
child and the children it reaped, not the import it inherited).

Fork safety: the worker only imports; it never builds a model or runs an op, so no backend has
started a thread pool or a device when it forks. It counts its threads after the imports and
says so; `bench.score` falls back to fresh processes when there is more than one.

Protocol (one JSON object per line): the worker writes `{"ready": ...}` after its imports, then
answers each request `{"argv", "cwd", "stdout", "stderr", "timeout"}` with
`{"returncode", "seconds", "cpu"}` (`returncode` null: timed out).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux: trust threading's count
        import threading

        return threading.active_count()


def _wait(pid: int, timeout: float) -> tuple[int | None, float]:
    """As `bench.score._wait`: the exit status (None: killed at `timeout`) and CPU seconds."""
    deadline = time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, _, usage = os.wait4(pid, 0)
            return None, usage.ru_utime + usage.ru_stime
        time.sleep(0.05)


def run_child(job: dict) -> int:
    """In the forked child: become the program's process and run it. Returns its exit status;
    its exceptions and SystemExit propagate as out of a fresh interpreter's top level."""
    os.chdir(job["cwd"])
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        new = os.open(path, flags, 0o644)
        os.dup2(new, fd)
        os.close(new)
    import numpy as np

    np.random.seed()  # a fresh process starts numpy's global generator from OS entropy
    argv = job["argv"]
    if argv[:2] == ["-m", "kerasdoctor"]:
        import kerasdoctor
        from kerasdoctor import cli

        sys.argv = [os.path.join(os.path.dirname(kerasdoctor.__file__), "__main__.py"), *argv[2:]]
        sys.path[0] = os.getcwd()  # `python -m` puts the working directory first
        return cli.main(argv[2:])  # kerasdoctor/__main__.py: raise SystemExit(main())
    import runpy

    script = argv[0]
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))  # `python script` puts its folder first
    runpy.run_path(script, run_name="__main__")
    return 0


def serve() -> None:
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the programs never see the protocol's pipes
    os.close(null)
    os.dup2(2, 1)
    sys.path[0] = os.getcwd()  # not bench/: nothing of the project's is importable by accident
    start = time.perf_counter()
    import importlib

    import keras
    import numpy  # noqa: F401

    import kerasdoctor
    from kerasdoctor import cli, engine, hooks, render  # noqa: F401

    engine.selected(("KD",), ())  # load the rule catalogue once
    backend = keras.backend.backend()
    module = importlib.import_module(backend)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    answers.write(
        json.dumps(
            {
                "ready": True,
                "threads": _threads(),
                "cpu": usage.ru_utime + usage.ru_stime,
                "seconds": time.perf_counter() - start,
                "versions": f"keras {keras.__version__}, {backend} {module.__version__}, "
                f"kerasdoctor {kerasdoctor.__version__}",
            }
        )
        + "\n"
    )
    answers.flush()
    for line in requests:
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        began = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            requests.close()
            answers.close()
            raise SystemExit(run_child(job))  # the interpreter then exits as a fresh one would
        code, cpu = _wait(pid, float(job["timeout"]))
        answers.write(
            json.dumps({"returncode": code, "seconds": time.perf_counter() - began, "cpu": cpu})
            + "\n"
        )
        answers.flush()


if __name__ == "__main__":
    serve()
