"""`watch()` / `unwatch()`: every `compile()` and `fit()` in this process is diagnosed.

`watch()` wraps `keras.Model.compile`, `fit`, `evaluate` and `predict` (Sequential,
Functional and subclassed models alike, on every backend). At `compile()` the model and
compile rules run; at `fit()` the data rules run before the first step and a `Monitor` is
attached; when Keras raises, the exception is explained and then re-raised unchanged.
`unwatch()` puts Keras back exactly as it was.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import sys
import threading
import types
from collections.abc import Callable, Iterable
from typing import Any

from kerasdoctor import engine
from kerasdoctor.context import Context, Site
from kerasdoctor.report import Report
from kerasdoctor.rule import Severity

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_METHODS = ("compile", "fit", "evaluate", "predict")


class StopBeforeTraining(RuntimeError):
    """Raised by `fit()` under `watch(strict=True)` when an error was found before training."""


@dataclasses.dataclass
class _Session:
    """What one `watch()` call set up, and what it has reported so far."""

    select: tuple[str, ...]
    ignore: tuple[str, ...]
    params: dict[str, dict[str, Any]]
    monitor: bool
    strict: bool
    dry_run: bool
    emit: Callable[[Report], None]
    originals: dict[str, Callable] = dataclasses.field(default_factory=dict)
    seen: set = dataclasses.field(default_factory=set)
    report: Report = dataclasses.field(default_factory=Report)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def run(self, ctx: Context, select: Iterable[str]) -> Report:
        """Run the rules of this phase (`select`) that the user selected too."""
        phase = list(select)
        chosen = [s for s in phase if any(s.startswith(p) for p in self.select)]
        chosen += [p for p in self.select if any(p.startswith(s) for s in phase)]
        if not chosen:
            return Report()
        return engine.run(ctx, select=chosen, ignore=self.ignore, params=self.params)

    def publish(self, report: Report, key: Any) -> Report:
        """Emit the findings not reported before for this model; return them."""
        with self.lock:
            fresh = []
            for finding in report.findings:
                mark = (key, finding.code, finding.message)
                if mark not in self.seen:
                    self.seen.add(mark)
                    fresh.append(finding)
            new = Report(tuple(fresh))
            self.report = self.report + new
        if new.findings:
            self.emit(new)
        return new


_session: _Session | None = None


def user_site(skip: int = 2) -> Site | None:
    """The innermost frame outside Keras, kerasdoctor and the standard library."""
    frame = sys._getframe(skip)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_library(filename):
            return Site(file=filename, line=frame.f_lineno)
        frame = frame.f_back
    return None


def _is_library(filename: str) -> bool:
    path = os.path.abspath(filename)
    return (
        path.startswith(_PACKAGE_DIR)
        or "site-packages" in path
        or "dist-packages" in path
        or filename.startswith("<frozen")
        or path.startswith(os.path.dirname(os.__file__))
    )


def _default_emit(report: Report) -> None:
    if _in_notebook():
        from IPython.display import display

        display(report)
    else:
        from kerasdoctor import render

        render.print_report(report, file=sys.stderr)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return bool(shell) and "IPKernelApp" in getattr(shell, "config", {})


def _safely(action: Callable[[], Any]) -> Any:
    """Our work must never break the user's run: any failure of ours is swallowed."""
    try:
        return action()
    except Exception:  # pragma: no cover - defensive: reported as KD000 inside engine.run
        return None


# --------------------------------------------------------------------------------------------
# The wrappers
# --------------------------------------------------------------------------------------------


def _bind(original: Callable, self: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = inspect.signature(original).bind(self, *args, **kwargs)
    except TypeError:
        return dict(kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop("self", None)
    extra = arguments.pop("kwargs", None)
    if isinstance(extra, dict):
        arguments.update(extra)
    return arguments


def _explain(session: _Session, error: BaseException, model: Any, site: Site | None, **data):
    def work():
        ctx = Context.of(model, error=error, site=site, **_data_kwargs(data))
        session.publish(session.run(ctx, ["KD5"]), key=("error", id(error)))

    _safely(work)


def _data_kwargs(arguments: dict[str, Any]) -> dict[str, Any]:
    keep = ("x", "y", "validation_data", "validation_split", "class_weight", "batch_size",
            "epochs", "callbacks")
    return {k: arguments[k] for k in keep if arguments.get(k) is not None}


def _wrap_compile(session: _Session, original: Callable) -> Callable:
    @functools.wraps(original)
    def compile(self, *args, **kwargs):
        site = user_site()
        try:
            result = original(self, *args, **kwargs)
        except Exception as error:
            _explain(session, error, self, site)
            raise
        _safely(
            lambda: session.publish(
                session.run(Context.of(self, site=site), ["KD1", "KD2"]), key=id(self)
            )
        )
        return result

    return compile


def _wrap_fit(session: _Session, original: Callable) -> Callable:
    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        site = user_site()
        arguments = _bind(original, self, args, kwargs)
        x = arguments.get("x")
        first_batch = None
        if isinstance(x, types.GeneratorType):
            from kerasdoctor.facts import peek

            try:
                first_batch, restored = peek(x)
            except StopIteration:
                first_batch, restored = None, (item for item in ())
            args, kwargs = _replace_x(original, self, args, kwargs, restored)
            arguments["x"] = restored

        def check() -> Report:
            ctx = Context.of(self, site=site, first_batch=first_batch, **_data_kwargs(arguments))
            report = session.run(ctx, ["KD1", "KD2", "KD3"])
            session.publish(report, key=id(self))
            return report

        found = _safely(check)
        if session.strict and found is not None and found.at_least(Severity.ERROR):
            raise StopBeforeTraining(
                "kerasdoctor stopped training: the problems above would waste this run "
                "(strict mode)."
            )
        if session.dry_run:
            return _no_training(self, arguments)
        if session.monitor:
            args, kwargs = _with_monitor(session, original, self, args, kwargs)
        try:
            return original(self, *args, **kwargs)
        except Exception as error:
            _explain(session, error, self, site, **arguments)
            raise

    return fit


def _replace_x(original, self, args, kwargs, x):
    if args:
        return (x, *args[1:]), kwargs
    return args, {**kwargs, "x": x}


def _with_monitor(session: _Session, original, self, args, kwargs) -> tuple[tuple, dict]:
    """(args, kwargs) with a kerasdoctor Monitor added to `callbacks`, unless one is there."""
    try:
        from kerasdoctor.monitor import Monitor
    except ImportError:  # the Monitor is optional
        return args, kwargs
    arguments = _bind(original, self, args, kwargs)
    callbacks = list(arguments.get("callbacks") or [])
    if any(isinstance(c, Monitor) for c in callbacks):
        return args, kwargs
    monitor = _safely(
        lambda: Monitor(
            select=[p for p in session.select if p.startswith("KD4") or "KD4".startswith(p)],
            ignore=session.ignore,
            emit=lambda report: session.publish(report, key=("train", id(self))),
        )
    )
    if monitor is None:
        return args, kwargs
    position = list(inspect.signature(original).parameters).index("callbacks") - 1
    if len(args) > position:
        return (*args[:position], [*callbacks, monitor], *args[position + 1 :]), kwargs
    return args, {**kwargs, "callbacks": [*callbacks, monitor]}


def _no_training(model: Any, arguments: dict[str, Any]) -> Any:
    """What `fit()` returns under `--dry-run`: an empty History, training skipped."""
    import keras

    history = keras.callbacks.History()
    history.set_model(model)
    history.set_params({"epochs": arguments.get("epochs", 1), "verbose": 0, "steps": 0})
    history.epoch = []
    history.history = {}
    return history


def _wrap_explaining(session: _Session, original: Callable) -> Callable:
    @functools.wraps(original)
    def method(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except Exception as error:
            _explain(session, error, self, user_site(), **_bind(original, self, args, kwargs))
            raise

    return method


# --------------------------------------------------------------------------------------------
# watch / unwatch
# --------------------------------------------------------------------------------------------


def watch(
    *,
    select: Iterable[str] = ("KD",),
    ignore: Iterable[str] = (),
    params: dict[str, dict[str, Any]] | None = None,
    monitor: bool = True,
    strict: bool = False,
    dry_run: bool = False,
    emit: Callable[[Report], None] | None = None,
) -> None:
    """Diagnose every `compile()` and `fit()` of every Keras model in this process.

    Args:
        select: Code prefixes of the rules to run.
        ignore: Code prefixes of the rules to skip.
        params: Threshold overrides per rule code.
        monitor: Attach a `kerasdoctor.Monitor` to every `fit()`.
        strict: Raise `StopBeforeTraining` from `fit()` when an error was found before
            training starts.
        dry_run: Skip training: `fit()` returns an empty `History` after the checks.
        emit: Called with each new `Report`; by default findings are printed to stderr
            (displayed in the cell, in a notebook).

    Example:

    ```python
    import kerasdoctor
    kerasdoctor.watch()
    model.compile(...)   # findings about the model and its compile config appear here
    model.fit(x, y)      # ... about the data here, and about training as it goes
    ```
    """
    global _session
    import keras

    unwatch()
    session = _Session(
        select=tuple(select or ("KD",)),
        ignore=tuple(ignore or ()),
        params=dict(params or {}),
        monitor=monitor,
        strict=strict,
        dry_run=dry_run,
        emit=emit or _default_emit,
    )
    wrappers = {
        "compile": _wrap_compile,
        "fit": _wrap_fit,
        "evaluate": _wrap_explaining,
        "predict": _wrap_explaining,
    }
    for name in _METHODS:
        session.originals[name] = keras.Model.__dict__.get(name, _MISSING)
        original = getattr(keras.Model, name)
        setattr(keras.Model, name, wrappers[name](session, original))
    _session = session


_MISSING = object()


def unwatch() -> Report:
    """Stop watching and restore Keras exactly. Returns everything reported while watching."""
    global _session
    session, _session = _session, None
    if session is None:
        return Report()
    import keras

    for name, original in session.originals.items():
        if original is _MISSING:
            delattr(keras.Model, name)
        else:
            setattr(keras.Model, name, original)
    return session.report


def watching() -> bool:
    return _session is not None


def current_report() -> Report:
    """Everything reported since `watch()` was called."""
    return _session.report if _session is not None else Report()


def explain_uncaught(error: BaseException) -> None:
    """Explain an exception that ended a script (e.g. raised inside `Sequential(...)`)."""
    if _session is None:
        return
    for seen in _session.seen:
        if seen[0] == ("error", id(error)):
            return  # already explained where it was raised
    _explain(_session, error, None, None)


# --------------------------------------------------------------------------------------------
# kerasdoctor run
# --------------------------------------------------------------------------------------------


def run_script(path: str, argv: list[str]) -> int:
    """Run a Python script as `python path *argv` would, and return its exit code.

    Same `sys.argv`, `__main__`, `sys.path[0]` and working directory. An uncaught exception
    is explained (when watching), then its traceback printed as Python prints it.
    """
    import runpy
    import traceback

    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    sys.argv = [path, *argv]
    script_dir = os.path.dirname(os.path.abspath(path))
    if sys.path:
        sys.path[0] = script_dir
    else:
        sys.path.insert(0, script_dir)
    try:
        runpy.run_path(path, run_name="__main__")
        return 0
    except SystemExit as exit:
        return _exit_status(exit.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        return 130
    except StopBeforeTraining as stop:
        print(f"kerasdoctor: {stop}", file=sys.stderr)
        return 1
    except BaseException as error:
        explain_uncaught(error)
        _print_user_traceback(error)
        return 1
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0


def _exit_status(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_user_traceback(error: BaseException) -> None:
    """The traceback Python would print, without kerasdoctor's and runpy's own frames."""
    import traceback

    tb = error.__traceback__
    while tb is not None and _is_runner_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    if isinstance(error, SyntaxError):
        tb = None
    traceback.print_exception(type(error), error, tb, file=sys.stderr)


def _is_runner_frame(filename: str) -> bool:
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE_DIR) or os.path.basename(path) == "runpy.py" or filename.startswith("<frozen runpy")
