"""Run every benchmark of bench/ and the corpus scorer, and record them in bench/RESULTS.md.

Each benchmark runs as `python -m bench.NAME` in its own process with `KERAS_BACKEND` set; its
printed table goes into RESULTS.md in a section of its own (`bench:NAME:BACKEND`), rewritten by
each rerun, next to the scorer's section (`score:BACKEND`).

Run:
    .venv/bin/python -m bench.all                          # jax (or $KERAS_BACKEND), everything
    .venv/bin/python -m bench.all --backend jax,tensorflow,torch --quick
    .venv/bin/python -m bench.all --only score,bench_run   # a subset

`--quick` runs the benchmarks on smaller inputs (three applications instead of all forty, a
100,000-row memmap, fewer rounds) so that everything takes minutes, not hours; the sections say
which arguments were used.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.score import BACKENDS, RESULTS, versions, write_section

BENCHMARKS = ("bench_diagnose", "bench_data", "bench_run", "bench_monitor", "score")

# Arguments per benchmark: (full run, --quick run).
ARGS: dict[str, tuple[list[str], list[str]]] = {
    "bench_diagnose": ([], ["--models", "ResNet50,MobileNetV2,EfficientNetB0", "--repeats", "3", "--builds", "1"]),
    "bench_data": ([], ["--rows", "100000"]),
    "bench_run": ([], ["--rounds", "3"]),
    "bench_monitor": ([], ["--rounds", "3", "--epochs", "2"]),
    "score": ([], []),
}


def run_one(name: str, backend: str, *, quick: bool, timeout: float, extra: list[str]) -> tuple[int | None, float, str]:
    args = list(ARGS[name][1 if quick else 0]) + extra
    if name == "score":
        args += ["--backend", backend, "--write"]
    command = [sys.executable, "-m", f"bench.{name}", *args]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, cwd=Path(__file__).resolve().parent.parent, env=env,
                              capture_output=True, text=True, timeout=timeout)
        code, out = proc.returncode, proc.stdout + (
            f"\n[stderr, last lines]\n{proc.stderr[-2000:]}" if proc.returncode else "")
    except subprocess.TimeoutExpired as exc:
        code, out = None, (exc.stdout or "") if isinstance(exc.stdout, str) else ""
    return code, time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "jax"),
                        help="comma-separated backends (default $KERAS_BACKEND or jax)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer rounds")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
    parser.add_argument("--score-args", default="", help="extra arguments for bench.score, e.g. '--jobs 2'")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    bad = [b for b in backends if b not in BACKENDS] + [n for n in names if n not in BENCHMARKS]
    if bad:
        print(f"unknown backend or benchmark: {', '.join(bad)} (benchmarks: {', '.join(BENCHMARKS)})",
              file=sys.stderr)
        return 2
    failures = 0
    for backend in backends:
        stamp = f"{_dt.date.today().isoformat()}; {versions(backend)}; {os.cpu_count()} cores"
        for name in names:
            extra = args.score_args.split() if name == "score" else []
            if name == "score" and str(args.results) != str(RESULTS):
                extra += ["--results", str(args.results)]
            print(f"== {name} on {backend}", file=sys.stderr, flush=True)
            code, seconds, out = run_one(name, backend, quick=args.quick, timeout=args.timeout, extra=extra)
            print(out, flush=True)
            failures += code != 0
            if name == "score":
                continue  # bench.score --write wrote its own section
            shown = " ".join(ARGS[name][1 if args.quick else 0])
            status = "timed out" if code is None else ("" if code == 0 else f"exit {code}")
            body = (f"## {name}: {backend}\n\n{stamp}; `KERAS_BACKEND={backend} python -m bench.{name}"
                    f"{' ' + shown if shown else ''}` took {seconds:.0f} s{'; ' + status if status else ''}.\n\n"
                    f"```text\n{out.strip()}\n```\n")
            write_section(args.results, f"bench:{name}:{backend}", body)
    print(f"results in {args.results}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
