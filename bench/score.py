"""Score kerasdoctor on the evaluation corpus of real faults (`bench/corpus/`).

For every pair `<family>/<slug>_buggy.py` / `<slug>_fixed.py` it runs, each as its own process
with a time limit:

- `kerasdoctor run --dry-run --format json --output F` on both programs (the full
  `kerasdoctor run`, which trains, when the header says `Needs-training: yes`);
- the buggy program under plain `python` (the "Keras alone" baseline: does Keras itself raise?).

It prints, per fault category: recall on the buggy programs (a finding of the program's
category at error or warning), false alarms on the fixed programs (any error or warning), the
time per program, and the baseline; then every miss and false alarm with its findings and the
known reason (`REASONS` below). A full run writes the table into `bench/RESULTS.md`, one section
per backend.

Each program's process is forked from a worker (`bench/forkserver.py`, one per job) that has
imported numpy, Keras with the backend and kerasdoctor once, instead of starting a fresh
`python` that imports them again (several CPU seconds a run, most of the corpus's time); the
child runs what the command would (`kerasdoctor.cli.main(ARGS)`, or the script as `__main__`)
in the same working directory, with the same files, environment and time limit. `--fresh`
starts a fresh process per run instead. It is also the fallback when a worker has a thread
besides its main one after the imports, which would make forking unsafe: with `--jobs 1`
OpenBLAS starts its thread pool when numpy is imported (`--jobs 2` on 2 cores sets
`OPENBLAS_NUM_THREADS=1`, so no thread runs).

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.score
    .venv/bin/python -m bench.score --backend torch --only input_shapes,from_logits --jobs 2
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime as _dt
import hashlib
import json
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CORPUS = BENCH / "corpus"
RESULTS = BENCH / "RESULTS.md"
BACKENDS = ("jax", "tensorflow", "torch")

CATEGORIES = (
    "input-shape",
    "label-encoding",
    "activation-loss",
    "from-logits",
    "loss-task",
    "output-units",
    "unscaled-inputs",
    "learning-rate",
    "optimizer",
    "overfitting",
    "unstable-gradients",
    "nan",
    "bad-data",
    "validation-split",
)

# Finding code -> the fault categories it names (bench/corpus/README.md). A code may name more
# than one category where its message covers both (KD305: a label past the last unit is either
# a wrong label encoding or too few output units). Codes absent here (KD101 advice, KD323,
# KD508-KD510, KD000) name no category: at error/warning they can only be false alarms.
CATEGORY_OF: dict[str, tuple[str, ...]] = {
    "KD102": ("input-shape",),
    "KD103": ("activation-loss",),
    "KD104": ("activation-loss",),
    "KD105": ("input-shape",),
    "KD201": ("activation-loss",),
    "KD202": ("activation-loss",),
    "KD203": ("activation-loss",),
    "KD204": ("from-logits",),
    "KD205": ("from-logits",),
    "KD206": ("loss-task",),
    "KD207": ("activation-loss", "loss-task", "output-units"),
    "KD208": ("activation-loss", "loss-task"),
    "KD209": ("learning-rate",),
    "KD210": ("optimizer",),
    "KD211": ("loss-task",),
    "KD212": ("loss-task",),
    "KD213": ("optimizer",),
    "KD301": ("input-shape",),
    "KD302": ("input-shape",),
    "KD303": ("label-encoding",),
    "KD304": ("label-encoding",),
    "KD305": ("label-encoding", "output-units"),
    "KD306": ("output-units",),
    "KD307": ("label-encoding", "loss-task"),
    "KD308": ("label-encoding", "output-units"),
    "KD309": ("bad-data",),
    "KD310": ("label-encoding",),
    "KD311": ("loss-task",),
    "KD312": ("loss-task",),
    "KD313": ("activation-loss", "loss-task"),
    "KD314": ("nan",),
    "KD315": ("unscaled-inputs",),
    "KD316": ("bad-data",),
    "KD317": ("bad-data",),
    "KD318": ("bad-data",),
    "KD319": ("validation-split",),
    "KD320": ("validation-split",),
    "KD321": ("validation-split",),
    "KD322": ("overfitting",),
    "KD324": ("activation-loss",),
    "KD401": ("nan", "learning-rate"),
    "KD402": ("learning-rate",),
    "KD403": ("unscaled-inputs", "activation-loss"),
    "KD404": ("unscaled-inputs", "optimizer", "learning-rate"),
    "KD405": ("learning-rate",),
    "KD406": ("overfitting",),
    "KD407": ("optimizer", "learning-rate"),
    "KD408": ("unstable-gradients", "learning-rate"),
    "KD409": ("unstable-gradients", "unscaled-inputs"),
    "KD410": ("unstable-gradients", "learning-rate", "optimizer"),
    "KD411": ("unstable-gradients", "learning-rate"),
    "KD412": ("activation-loss", "loss-task", "unscaled-inputs"),
    "KD413": ("learning-rate", "optimizer", "unstable-gradients"),
    "KD414": ("unstable-gradients",),
    "KD415": ("unscaled-inputs", "unstable-gradients"),
    "KD416": ("learning-rate", "optimizer"),
    "KD501": ("input-shape",),
    "KD502": ("input-shape",),
    "KD503": ("label-encoding", "output-units"),
    "KD504": ("label-encoding", "output-units"),
    "KD505": ("label-encoding", "output-units"),
    "KD506": ("bad-data",),
    "KD507": ("bad-data",),
    "KD511": ("output-units",),
}

# Why a program is missed or falsely flagged, once someone has looked: keyed by
# "<family>/<slug>:buggy|fixed", optionally ":<backend>" for a backend-only reason.
# The scorer prints these next to each miss and false alarm; new ones show "not analysed".
REASONS: dict[str, str] = {
    "nan/custom_rmse_loss_nan:buggy": (
        "the fault does not show on JAX or PyTorch: the custom RMSE loss trains to 0.15 and "
        "0.12 in 4 epochs with no NaN (TensorFlow's run is NaN, and KD401 reports it there); "
        "nothing went wrong in this run, so nothing is reported"
    ),
    "nan/siamese_euclidean_sqrt_zero:buggy:tensorflow": (
        "the fault does not show on TensorFlow: the loss falls to 2.7e-4 in 3 epochs with no "
        "NaN (JAX's and PyTorch's runs are NaN from the first epoch, and KD401 reports them); "
        "the sqrt inside the Lambda layer is user code that no rule reads"
    ),
    "unstable_gradients/relu_output_regression_stuck:buggy:jax": (
        "the fault does not show on JAX with this seed: the ReLU output unit stays alive and "
        "the loss falls to 1.9; KD313 still reports the cause (a ReLU output cannot produce "
        "the negative targets), which is category activation-loss"
    ),
    "output_units/ten_units_six_classes:fixed:jax": (
        "a true finding about another fault: on JAX this program's own training stays at a "
        "loss of 4.0-4.8 for 3 epochs, far above ln 6 = 1.79 (Adam's first steps on 12,288 "
        "unscaled inputs of mean 0.5 push the one-batch loss from 2.3 to 5.4 and it ends at "
        "4.0); on TensorFlow and PyTorch the same program learns and KD413 is silent"
    ),
}

HEADER_KEYS = ("Source", "Symptom", "Fault category", "Fix", "Needs-training")
ALERT = ("error", "warning")


@dataclass(frozen=True)
class Pair:
    family: str
    slug: str
    buggy: Path
    fixed: Path
    category: str
    source: str
    needs_training: bool

    @property
    def key(self) -> str:
        return f"{self.family}/{self.slug}"


@dataclass
class Run:
    """One process: kerasdoctor on a program, or the program under plain python."""

    returncode: int | None  # None: timed out
    seconds: float  # wall time
    cpu: float = 0.0  # user + system CPU seconds of the process and its children
    findings: list[dict] = field(default_factory=list)
    report_ok: bool = False
    tail: str = ""

    @property
    def alerts(self) -> list[dict]:
        return [f for f in self.findings if f.get("severity") in ALERT]

    def codes(self) -> str:
        return ", ".join(f"{f['code']}({f['severity'][0]})" for f in self.findings) or "none"


def parse_header(path: Path) -> dict[str, str]:
    """The `Key: value` lines of the module docstring (values may continue, indented)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    header: dict[str, str] = {}
    current = None
    for line in doc.splitlines():
        match = re.match(r"^([A-Z][A-Za-z -]+):\s*(.*)$", line)
        if match and match.group(1) in HEADER_KEYS:
            current = match.group(1)
            header[current] = match.group(2).strip()
        elif current and line.startswith((" ", "\t")) and line.strip():
            header[current] = (header[current] + " " + line.strip()).strip()
        else:
            current = None
    return header


def discover(corpus: Path = CORPUS, only: Sequence[str] = ()) -> list[Pair]:
    """Every complete pair under `corpus`, filtered by family directory or category names."""
    pairs = []
    for buggy in sorted(corpus.glob("*/*_buggy.py")):
        fixed = buggy.with_name(buggy.name[: -len("_buggy.py")] + "_fixed.py")
        if not fixed.exists():
            continue
        header = parse_header(buggy)
        category = (
            header.get("Fault category", "").split()[0] if header.get("Fault category") else ""
        )
        pair = Pair(
            family=buggy.parent.name,
            slug=buggy.name[: -len("_buggy.py")],
            buggy=buggy,
            fixed=fixed,
            category=category,
            source=header.get("Source", "").split()[0] if header.get("Source") else "",
            needs_training=header.get("Needs-training", "no").lower().startswith("y"),
        )
        if only and pair.family not in only and pair.category not in only:
            continue
        pairs.append(pair)
    return pairs


def _env(backend: str, jobs: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND=backend,
        PYTHONHASHSEED="0",
        PYTHONUNBUFFERED="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        CUDA_VISIBLE_DEVICES="",
        JAX_PLATFORMS="cpu",
        # the corpus scripts must not find the project's files by accident
        PYTHONDONTWRITEBYTECODE="1",
    )
    if jobs > 1:  # share the cores between the workers instead of oversubscribing them
        threads = str(max(1, (os.cpu_count() or 2) // jobs))
        for name in (
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "TF_NUM_INTRAOP_THREADS",
            "TF_NUM_INTEROP_THREADS",
        ):
            env[name] = threads
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
        ).strip()
    return env


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[int | None, float]:
    """Wait for `proc` (killing it after `timeout` s): its exit status and the CPU seconds it
    and its children used (from wait4, so parallel workers do not mix their counts)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return None, usage.ru_utime + usage.ru_stime
        time.sleep(0.05)


class WorkerDied(Exception):
    pass


class Workers:
    """Fork-server workers (`bench/forkserver.py`), one per job slot, started with the
    scorer's environment: each imports Keras once and forks a child per run."""

    def __init__(self, env: dict[str, str], jobs: int):
        self.env = env
        self.home = tempfile.TemporaryDirectory(prefix="kdworkers-")
        self.idle: queue.Queue = queue.Queue()
        self.procs: list[subprocess.Popen] = []
        self.imports: list[dict] = []  # each worker's "ready" line: threads, cpu, seconds
        started = [self._spawn() for _ in range(max(1, jobs))]
        for proc in started:
            self.idle.put(self._ready(proc))

    def _spawn(self) -> subprocess.Popen:
        err = open(Path(self.home.name) / f"worker-{len(self.procs)}.stderr", "w")
        proc = subprocess.Popen(
            [sys.executable, str(BENCH / "forkserver.py")],
            cwd=self.home.name,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            bufsize=1,
        )
        proc.stderr_path = err.name  # type: ignore[attr-defined]
        err.close()
        self.procs.append(proc)
        return proc

    def _ready(self, proc: subprocess.Popen) -> subprocess.Popen:
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            raise WorkerDied(Path(proc.stderr_path).read_text(errors="replace")[-2000:])
        self.imports.append(json.loads(line))
        return proc

    @property
    def fork_safe(self) -> bool:
        """No thread but the main one after the imports: forking copies no thread pool."""
        return all(ready["threads"] == 1 for ready in self.imports)

    @property
    def import_cpu(self) -> float:
        return sum(ready["cpu"] for ready in self.imports)

    def run(
        self, command: list[str], cwd: str, out: Path, err: Path, timeout: float
    ) -> tuple[int | None, float]:
        """`command` (`python ...`, as a fresh process would run it) in a forked child."""
        proc = self.idle.get()
        if proc is None:  # a worker could not be restarted
            self.idle.put(None)
            raise WorkerDied("no worker")
        try:
            proc.stdin.write(
                json.dumps(
                    {
                        "argv": command[1:],
                        "cwd": cwd,
                        "stdout": str(out),
                        "stderr": str(err),
                        "timeout": timeout,
                    }
                )
                + "\n"
            )
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise BrokenPipeError
        except (BrokenPipeError, OSError):  # the worker itself died: replace it
            proc.wait()
            message = Path(proc.stderr_path).read_text(errors="replace")[-2000:]
            try:
                self.idle.put(self._ready(self._spawn()))
            except WorkerDied:
                self.idle.put(None)
            raise WorkerDied(message) from None
        self.idle.put(proc)
        answer = json.loads(line)
        return answer["returncode"], answer["cpu"]

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None and not proc.stdin.closed:
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        self.home.cleanup()


def _run(
    command: list[str],
    *,
    env: dict[str, str],
    timeout: float,
    report: Path | None,
    workers: Workers | None = None,
) -> Run:
    with tempfile.TemporaryDirectory(prefix="kdscore-") as cwd:
        out_path, err_path = Path(cwd) / ".stdout", Path(cwd) / ".stderr"
        start = time.perf_counter()
        try:
            if workers is None:
                raise WorkerDied("fresh process")
            code, cpu = workers.run(command, cwd, out_path, err_path, timeout)
        except WorkerDied:  # --fresh, or the worker died: a fresh process
            start = time.perf_counter()
            with open(out_path, "w") as out, open(err_path, "w") as err:
                proc = subprocess.Popen(
                    command,
                    cwd=cwd,
                    env=env,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    text=True,
                )
                code, cpu = _wait(proc, timeout)
        seconds = time.perf_counter() - start
        tail = (
            out_path.read_text(errors="replace")[-1500:]
            + err_path.read_text(errors="replace")[-3000:]
        )
    run = Run(returncode=code, seconds=seconds, cpu=cpu, tail=tail)
    if report is not None and report.exists():
        try:
            run.findings = json.loads(report.read_text())["findings"]
            run.report_ok = True
        except (ValueError, KeyError, TypeError):
            pass
    return run


def kerasdoctor(
    script: Path, *, full: bool, env: dict[str, str], timeout: float, workers: Workers | None = None
) -> Run:
    with tempfile.TemporaryDirectory(prefix="kdreport-") as tmp:
        report = Path(tmp) / "report.json"
        command = [
            sys.executable,
            "-m",
            "kerasdoctor",
            "run",
            "--format",
            "json",
            "--output",
            str(report),
        ]
        if not full:
            command.append("--dry-run")
        return _run(
            command + [str(script)], env=env, timeout=timeout, report=report, workers=workers
        )


def plain_python(
    script: Path, *, env: dict[str, str], timeout: float, workers: Workers | None = None
) -> Run:
    return _run(
        [sys.executable, str(script)], env=env, timeout=timeout, report=None, workers=workers
    )


@dataclass
class Outcome:
    pair: Pair
    buggy: Run
    fixed: Run
    baseline: Run | None

    @property
    def found(self) -> bool:
        return any(self.pair.category in CATEGORY_OF.get(f["code"], ()) for f in self.buggy.alerts)

    @property
    def false_alarm(self) -> bool:
        return bool(self.fixed.alerts)

    @property
    def keras_raises(self) -> bool | None:
        if self.baseline is None:
            return None
        return self.baseline.returncode not in (0, None)


def _log_key(backend: str, pair: Pair, kind: str) -> str:
    script = pair.fixed if kind == "fixed" else pair.buggy
    digest = hashlib.sha1(script.read_bytes()).hexdigest()[:12]
    return f"{backend}:{pair.key}:{kind}:{'full' if pair.needs_training else 'dry'}:{digest}"


def load_log(path: Path | None) -> dict[str, Run]:
    """Runs recorded by an earlier `--log` (to resume an interrupted scoring)."""
    runs: dict[str, Run] = {}
    if path is not None and path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                key = entry.pop("key")
                runs[key] = Run(**entry)
            except (ValueError, TypeError, KeyError):
                continue
    return runs


def score(
    pairs: Sequence[Pair],
    *,
    backend: str,
    jobs: int = 2,
    timeout: float = 240,
    baseline: bool = True,
    progress=None,
    log: Path | None = None,
    resume: bool = False,
    fresh: bool = False,
    stats: dict | None = None,
) -> list[Outcome]:
    """Score `pairs`. `stats`, if given, receives how the runs were started: "mode" ("forked"
    or "fresh"), and when forked the workers' "import_cpu" (CPU s of all their imports),
    "import_seconds" (wall s of one) and the "versions" they imported."""
    env = _env(backend, jobs)
    previous = load_log(log) if resume else {}
    stats = {} if stats is None else stats
    stats["mode"] = "fresh"
    tasks = []  # kerasdoctor first, the plain-python baselines last
    for pair in pairs:
        tasks.append(
            (
                pair,
                "buggy",
                lambda w, p=pair: kerasdoctor(
                    p.buggy, full=p.needs_training, env=env, timeout=timeout, workers=w
                ),
            )
        )
        tasks.append(
            (
                pair,
                "fixed",
                lambda w, p=pair: kerasdoctor(
                    p.fixed, full=p.needs_training, env=env, timeout=timeout, workers=w
                ),
            )
        )
    if baseline:
        for pair in pairs:
            tasks.append(
                (
                    pair,
                    "baseline",
                    lambda w, p=pair: plain_python(p.buggy, env=env, timeout=timeout, workers=w),
                )
            )
    results: dict[tuple[str, str], Run] = {}
    for pair, kind, _ in tasks:
        reused = previous.get(_log_key(backend, pair, kind))
        if reused is not None:
            results[(pair.key, kind)] = reused
    total = len(tasks)
    tasks = [t for t in tasks if (t[0].key, t[1]) not in results]
    done = len(results)
    lock = threading.Lock()

    workers = None
    if tasks and not fresh:
        try:
            workers = Workers(env, min(jobs, len(tasks)))
        except WorkerDied as error:
            print(
                f"bench.score: the fork server did not start, running fresh processes: {error}",
                file=sys.stderr,
            )
        if workers is not None and not workers.fork_safe:
            print(
                f"bench.score: {backend} has threads running after its import "
                f"({[r['threads'] for r in workers.imports]}); forking is unsafe, running "
                "fresh processes",
                file=sys.stderr,
            )
            workers.close()
            workers = None

    def work(task):
        pair, kind, fn = task
        run = fn(workers)
        if log is not None:
            with lock, open(log, "a", encoding="utf-8") as out:
                entry = {"key": _log_key(backend, pair, kind), **dataclasses.asdict(run)}
                out.write(json.dumps(entry) + "\n")
        return pair, kind, run

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for future in as_completed([pool.submit(work, task) for task in tasks]):
                pair, kind, run = future.result()
                results[(pair.key, kind)] = run
                done += 1
                if progress:
                    progress(done, total, pair, kind, run)
    finally:
        if workers is not None:
            stats.update(
                mode="forked",
                workers=len(workers.imports),
                import_cpu=workers.import_cpu,
                import_seconds=max(r["seconds"] for r in workers.imports),
                versions=workers.imports[0]["versions"],
            )
            workers.close()
    return [
        Outcome(
            p,
            results[(p.key, "buggy")],
            results[(p.key, "fixed")],
            results.get((p.key, "baseline")),
        )
        for p in pairs
    ]


def _pct(num: int, den: int) -> str:
    return f"{num}/{den} ({100 * num / den:.0f}%)" if den else "-"


def table(outcomes: Sequence[Outcome]) -> str:
    rows = [
        "| Category | Pairs | Recall (buggy found) | False alarms (fixed flagged) "
        "| Keras alone (buggy raises) | Median CPU s/program | Median wall s/program | Max wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(o.pair.category or "?", []).append(o)
    order = [c for c in CATEGORIES if c in groups] + sorted(set(groups) - set(CATEGORIES))

    def row(name: str, group: Sequence[Outcome]) -> str:
        times = [r.seconds for o in group for r in (o.buggy, o.fixed)]
        cpu = [r.cpu for o in group for r in (o.buggy, o.fixed)]
        base = [o.keras_raises for o in group if o.keras_raises is not None]
        return (
            f"| {name} | {len(group)} | {_pct(sum(o.found for o in group), len(group))} "
            f"| {_pct(sum(o.false_alarm for o in group), len(group))} "
            f"| {_pct(sum(base), len(base)) if base else '-'} "
            f"| {statistics.median(cpu):.1f} | {statistics.median(times):.1f} | {max(times):.1f} |"
        )

    rows += [row(c, groups[c]) for c in order]
    rows.append(row("**all**", outcomes))
    return "\n".join(rows)


def _reason(o: Outcome, kind: str, backend: str) -> str:
    key = f"{o.pair.key}:{kind}"
    return REASONS.get(f"{key}:{backend}") or REASONS.get(key) or "not analysed"


def _status(run: Run) -> str:
    if run.returncode is None:
        return "timed out"
    if not run.report_ok:
        return f"no report (exit {run.returncode})"
    return ""


def details(outcomes: Sequence[Outcome], backend: str) -> str:
    lines = []
    misses = [o for o in outcomes if not o.found]
    alarms = [o for o in outcomes if o.false_alarm]
    lines.append(
        f"Misses ({len(misses)}): buggy programs without a finding of their category at "
        "error or warning.\n"
    )
    for o in misses:
        status = _status(o.buggy)
        lines.append(
            f"- `{o.pair.key}` ({o.pair.category}): reported {o.buggy.codes()}"
            f"{'; ' + status if status else ''}. Reason: {_reason(o, 'buggy', backend)}"
        )
    lines.append(f"\nFalse alarms ({len(alarms)}): fixed programs with an error or warning.\n")
    for o in alarms:
        lines.append(
            f"- `{o.pair.key}` ({o.pair.category}): reported {o.fixed.codes()}. "
            f"Reason: {_reason(o, 'fixed', backend)}"
        )
    broken = [o for o in outcomes if o.fixed.returncode not in (0,)]
    if broken:
        lines.append(
            f"\nFixed programs that did not exit 0 under kerasdoctor ({len(broken)}): "
            + ", ".join(
                f"`{o.pair.key}` ({_status(o.fixed) or 'exit ' + str(o.fixed.returncode)})"
                for o in broken
            )
        )
    return "\n".join(lines)


def versions(backend: str) -> str:
    """Versions, read in a subprocess so this process never imports a backend."""
    code = (
        "import importlib, keras, kerasdoctor; "
        f"b = importlib.import_module('{backend}'); "
        f"print(f'keras {{keras.__version__}}, {backend} {{b.__version__}}, "
        "kerasdoctor {kerasdoctor.__version__}')"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=_env(backend, 1),
            timeout=120,
        )
        text = out.stdout.strip()
    except subprocess.TimeoutExpired:
        text = ""
    return f"{text or 'versions unknown'}, Python {platform.python_version()}"


def section(
    outcomes: Sequence[Outcome],
    *,
    backend: str,
    elapsed: float,
    jobs: int,
    only: Sequence[str],
    stats: dict | None = None,
) -> str:
    runs = [r for o in outcomes for r in (o.buggy, o.fixed, o.baseline) if r is not None]
    stats = stats or {}
    forked = stats.get("mode") == "forked"
    cpu = sum(r.cpu for r in runs) + (stats.get("import_cpu", 0.0) if forked else 0.0)
    if forked:
        how = (
            f"Each run was forked from one of {stats['workers']} worker processes that had "
            f"imported numpy, Keras ({backend}) and kerasdoctor once "
            f"({stats['import_cpu'] / stats['workers']:.1f} s CPU each, counted in the total "
            "above): the per-program times below do not include that import, which a fresh "
            "`python` or `kerasdoctor run` pays on every program (`--fresh` runs a fresh "
            "process per program). "
        )
    else:
        how = (
            "Each run was a fresh process: the per-program times below include importing "
            "Keras and the backend. "
        )
    found = sum(o.found for o in outcomes)
    alarms = sum(o.false_alarm for o in outcomes)
    head = [
        f"## Corpus scores: {backend}",
        "",
        f"{_dt.date.today().isoformat()}; "
        f"{stats['versions'] + ', Python ' + platform.python_version() if forked else versions(backend)}; "
        f"{platform.machine()} CPU, {os.cpu_count()} cores, {jobs} worker(s). "
        f"`KERAS_BACKEND={backend} python -m bench.score"
        f"{' --only ' + ','.join(only) if only else ''}`: {len(outcomes)} pairs, {len(runs)} runs "
        f"(kerasdoctor on both programs, plain python on the buggy one), {cpu / 60:.0f} min of CPU "
        f"in all, about {cpu / 60 / max(1, min(jobs, os.cpu_count() or 1)):.0f} min of wall time "
        f"on {jobs} idle cores; this invocation took {elapsed / 60:.1f} min (runs recorded by an "
        "earlier, interrupted invocation are reused with `--log F --resume`). "
        + how
        + f"The machine is shared (load average {os.getloadavg()[2]:.1f} over the last 15 "
        "minutes when this was written): the CPU seconds are the steadier figure.",
        "",
        f"Recall {_pct(found, len(outcomes))}, false alarms {_pct(alarms, len(outcomes))}.",
        "",
        "",
    ]
    return "\n".join(head) + table(outcomes) + "\n\n" + details(outcomes, backend) + "\n"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) the block between `<!-- NAME -->` markers in `path`."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else (
            "# Results\n\nMeasured by `python -m bench.score` (corpus) and `python -m bench.all` "
            "(everything). Each section is rewritten by its own rerun.\n\n"
        )
    )
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + block
    )
    path.write_text(text, encoding="utf-8")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.score", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--backend", default=os.environ.get("KERAS_BACKEND", "jax"), choices=BACKENDS
    )
    parser.add_argument(
        "--only", default="", help="comma-separated families (directories) or categories"
    )
    parser.add_argument("--jobs", type=int, default=2, help="programs run at once (default 2)")
    parser.add_argument(
        "--timeout", type=float, default=240, help="seconds per program (default 240)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain-python runs")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="a fresh process per run, instead of forking it from a worker that "
        "has imported Keras once",
    )
    parser.add_argument(
        "--log", type=Path, default=None, help="append every run to this JSON-lines file"
    )
    parser.add_argument("--resume", action="store_true", help="reuse the runs already in --log")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--results", type=Path, default=RESULTS)
    write = parser.add_mutually_exclusive_group()
    write.add_argument("--write", action="store_true", help="write RESULTS.md even with --only")
    write.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    pairs = discover(args.corpus, only)
    if not pairs:
        print(
            f"no pairs found under {args.corpus}" + (f" for {only}" if only else ""),
            file=sys.stderr,
        )
        return 2
    unknown = sorted({p.key for p in pairs if p.category not in CATEGORIES})
    if unknown:
        print(f"warning: unknown 'Fault category' in {', '.join(unknown)}", file=sys.stderr)

    def progress(done, total, pair, kind, run):
        if not args.quiet:
            mark = "timeout" if run.returncode is None else f"exit {run.returncode}"
            print(
                f"[{done}/{total}] {pair.key} {kind}: {mark}, {run.seconds:.1f} s ({run.cpu:.1f} s CPU)"
                + (f", {run.codes()}" if kind != "baseline" else ""),
                file=sys.stderr,
                flush=True,
            )

    start = time.perf_counter()
    stats: dict = {}
    outcomes = score(
        pairs,
        backend=args.backend,
        jobs=args.jobs,
        timeout=args.timeout,
        baseline=not args.no_baseline,
        progress=progress,
        log=args.log,
        resume=args.resume,
        fresh=args.fresh,
        stats=stats,
    )
    elapsed = time.perf_counter() - start
    body = section(
        outcomes, backend=args.backend, elapsed=elapsed, jobs=args.jobs, only=only, stats=stats
    )
    print(body)
    if args.write or (not args.no_write and not only):
        write_section(args.results, f"score:{args.backend}", body)
        print(f"written to {args.results}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
