"""Benchmark: `diagnose(model)` on every `keras.applications` model, next to building it.

Budget (DESIGN: "diagnose() costs milliseconds"): on ResNet50, `diagnose()` costs under 5% of
the time it takes to construct and compile the model, and under 50 ms, on a 2-core machine.
Budgets are ratios measured in one run, never timed unit tests.

Run:
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_diagnose
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_diagnose --models ResNet50,MobileNetV2
    KERAS_BACKEND=jax .venv/bin/python -m bench.bench_diagnose --models ResNet50 --profile

Options: `--models A,B` (default: every application), `--repeats N` (diagnose runs after one
warm-up, default 7), `--builds N` (constructions, default 3), `--small` (96x96 inputs and 10
classes, as the tests build them), `--profile` (cProfile of one `diagnose()` per model).

Each model is built with `weights=None` and its default softmax head, compiled with
`Adam(1e-3)` and `categorical_crossentropy`, as in `tests/test_applications.py`. "construct" is
the median of `--builds` constructions (constructor + compile), "first" the first of them (on
JAX it compiles an XLA kernel for each new weight shape, so later builds are faster); "facts" is the time to turn the
live model into plain facts (`Context.of`), "rules" the time of the catalogue over them, and
"diagnose" the median of the whole `diagnose()` call. The exit status is 1 when ResNet50 was
measured and is over its budget.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import inspect
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

RATIO_BUDGET = 0.05  # diagnose() / construction, for ResNet50
MS_BUDGET = 50.0  # diagnose() in milliseconds, for ResNet50
SMALL_SHAPE = (96, 96, 3)  # every application accepts it (Inception needs >= 75, Xception 71)


@functools.cache
def applications() -> dict[str, Callable[..., Any]]:
    """Every model constructor in `keras.applications`, by name, found from the module itself.

    A constructor is a public callable named like a class (`ResNet50`) that takes `weights`,
    `classes`, `classifier_activation` and `input_shape`: new architectures are picked up by
    themselves, helper functions (`preprocess_input`) are not.
    """
    import keras

    wanted = {"weights", "classes", "classifier_activation", "input_shape"}
    found = {}
    for name in dir(keras.applications):
        value = getattr(keras.applications, name)
        if not name[:1].isupper() or not callable(value):
            continue
        try:
            parameters = set(inspect.signature(value).parameters)
        except (TypeError, ValueError):
            continue
        if wanted <= parameters:
            found[name] = value
    return dict(sorted(found.items()))


def build(name: str, *, small: bool = False) -> Any:
    """`keras.applications.<name>`, untrained, with its softmax head, compiled as users do.

    Args:
        name: The constructor's name, e.g. `"ResNet50"`.
        small: Build it with 96x96x3 inputs and 10 classes (fast), instead of the
            architecture's default input size and 1000 classes.
    """
    import keras

    kwargs: dict[str, Any] = {"weights": None, "classifier_activation": "softmax"}
    if small:
        kwargs.update(input_shape=SMALL_SHAPE, classes=10)
    model = applications()[name](**kwargs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    return model


def _seconds(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _median(fn: Callable[[], Any], repeats: int, warmup: int = 0) -> float:
    for _ in range(warmup):
        fn()
    return statistics.median(_seconds(fn)[0] for _ in range(repeats))


def measure(name: str, *, repeats: int = 7, builds: int = 3, small: bool = False) -> dict:
    """Construction and diagnosis times of one application, in seconds."""
    import keras

    import kerasdoctor
    from kerasdoctor import engine
    from kerasdoctor.context import Context

    construct = []
    model = None
    for _ in range(builds):
        keras.backend.clear_session()
        model = None
        gc.collect()
        seconds, model = _seconds(lambda: build(name, small=small))
        construct.append(seconds)
    ctx = Context.of(model)
    report = kerasdoctor.diagnose(model)
    row = {
        "model": name,
        "layers": len(model.layers),
        "params": model.count_params(),
        "construct": statistics.median(construct),
        "first": construct[0],
        "facts": _median(lambda: Context.of(model), repeats, warmup=1),
        "rules": _median(lambda: engine.run(ctx), repeats, warmup=1),
        "diagnose": _median(lambda: kerasdoctor.diagnose(model), repeats, warmup=1),
        "findings": report.codes,
        "model_obj": model,
    }
    row["ratio"] = row["diagnose"] / row["construct"]
    return row


def profile(model: Any, top: int = 25) -> str:
    """cProfile of one `diagnose(model)`, sorted by cumulative time."""
    import kerasdoctor

    kerasdoctor.diagnose(model)  # warm-up: rule discovery, lazy imports
    profiler = cProfile.Profile()
    profiler.enable()
    kerasdoctor.diagnose(model)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_diagnose", description=__doc__)
    parser.add_argument("--models", help="comma-separated names (default: every application)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="96x96 inputs, 10 classes")
    parser.add_argument("--profile", action="store_true", help="cProfile one diagnose() each")
    args = parser.parse_args(argv)

    import keras

    known = applications()
    names = [n.strip() for n in args.models.split(",")] if args.models else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"not in keras.applications: {', '.join(unknown)}")

    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, "
        f"{'96x96x3 / 10 classes' if args.small else 'default input size / 1000 classes'}; "
        f"diagnose: median of {args.repeats} after 1 warm-up; construct: median of {args.builds}"
    )
    header = (
        f"{'model':<20} {'layers':>6} {'params':>12} {'first s':>8} {'construct s':>11} "
        f"{'facts ms':>9} "
        f"{'rules ms':>9} {'diagnose ms':>11} {'ratio':>7}  findings"
    )
    print(header)
    print("-" * len(header))
    rows = {}
    for name in names:
        row = measure(name, repeats=args.repeats, builds=args.builds, small=args.small)
        rows[name] = row
        print(
            f"{name:<20} {row['layers']:>6} {row['params']:>12,} {row['first']:>8.2f} "
            f"{row['construct']:>11.2f} "
            f"{row['facts'] * 1e3:>9.1f} {row['rules'] * 1e3:>9.1f} "
            f"{row['diagnose'] * 1e3:>11.1f} {row['ratio']:>7.2%}  "
            f"{','.join(row['findings']) or '-'}",
            flush=True,
        )
        if args.profile:
            print(profile(row["model_obj"]))
        row.pop("model_obj")
        keras.backend.clear_session()
        gc.collect()

    if len(rows) > 1:
        ratios = [r["ratio"] for r in rows.values()]
        times = [r["diagnose"] * 1e3 for r in rows.values()]
        print(
            f"all {len(rows)}: diagnose median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms; ratio median {statistics.median(ratios):.2%}, "
            f"max {max(ratios):.2%}"
        )
    status = 0
    if "ResNet50" in rows:
        row = rows["ResNet50"]
        ms = row["diagnose"] * 1e3
        ok = row["ratio"] < RATIO_BUDGET and ms < MS_BUDGET
        print(
            f"budget ResNet50: diagnose {ms:.1f} ms = {row['ratio']:.2%} of construction "
            f"({row['construct']:.2f} s); budget < {RATIO_BUDGET:.0%} and < {MS_BUDGET:.0f} ms: "
            f"{'OK' if ok else 'OVER BUDGET'}"
        )
        status = 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
