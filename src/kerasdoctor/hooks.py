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
import weakref
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
    severity: dict[str, Any] = dataclasses.field(default_factory=dict)
    settings: Any = None  # the resolved kerasdoctor.config.Config
    status: Callable[[str | None], Any] | None = None  # a status line: text, or None to clear
    originals: dict[str, Callable] = dataclasses.field(default_factory=dict)
    seen: set = dataclasses.field(default_factory=set)
    report: Report = dataclasses.field(default_factory=Report)
    last_monitor: Any = None  # the Monitor of the latest fit(): its history goes into the report
    probe: bool = False  # run kerasdoctor.probe() on a clone of each model before its first fit()
    probed: set = dataclasses.field(default_factory=set)  # id() of the models probed
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    # Where the user constructed each layer (while watching): {layer: Site}, weakly held.
    layer_sites: weakref.WeakKeyDictionary = dataclasses.field(
        default_factory=weakref.WeakKeyDictionary
    )
    layer_new: Any = None  # keras.layers.Layer.__dict__["__new__"] before watch()

    def run(self, ctx: Context, select: Iterable[str]) -> Report:
        """Run the rules of this phase (`select`) that the user selected too."""
        phase = list(select)
        chosen = [s for s in phase if any(s.startswith(p) for p in self.select)]
        chosen += [p for p in self.select if any(p.startswith(s) for s in phase)]
        if not chosen:
            return Report()
        if self.status is not None and phase != ["KD5"]:
            where = f" at {os.path.basename(ctx.site.file)}:{ctx.site.line}" if ctx.site else ""
            what = "the data before fit()" if "KD3" in phase else "compile()"
            self.status(f"kerasdoctor: checking the model and {what}{where}…")
        try:
            return engine.run(
                ctx, select=chosen, ignore=self.ignore, params=self.params, severity=self.severity
            )
        finally:
            if self.status is not None:
                self.status(None)

    def publish(self, report: Report, key: Any, model: Any = None) -> Report:
        """Emit the findings not reported before for this model; return them.

        Findings about a layer are placed where the user constructed it (in `model`, or
        by name when there is no model), else they keep the compile()/fit() call site.
        """
        report = _at_layer_sites(self, report, model)
        with self.lock:
            fresh = []
            for finding in report.findings:
                mark = (key, finding.code, finding.message)
                if mark not in self.seen:
                    self.seen.add(mark)
                    fresh.append(finding)
            new = Report(tuple(fresh))
            self.report = self.report + Report(tuple(fresh), model=report.model)
        if new.findings and _is_chief():  # distributed: process 0 alone prints them
            self.emit(new)
        return new

    def complete(self) -> Report:
        """Everything reported, with the model and training history of the latest `fit()`."""
        monitored = getattr(self.last_monitor, "report", None)
        if monitored is None:
            return self.report
        return self.report.attach(model=monitored.model, history=monitored.history)


_session: _Session | None = None


def _is_chief() -> bool:
    """Whether this process prints findings: not a non-chief worker of a distributed run."""
    from kerasdoctor.facts import is_chief

    return is_chief()


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
# Where each layer was constructed
# --------------------------------------------------------------------------------------------


def _wrap_layer_new(session: _Session, original: staticmethod) -> staticmethod:
    """`keras.layers.Layer.__new__` that also records the user's line constructing the layer.

    `__new__` runs once per construction, before any `__init__` of the class chain, so the
    innermost user frame is the line that wrote `Dense(...)` (or `MyBlock(...)`), never a
    `super().__init__()` call. `__init__` and its signature (which Keras reads for
    `get_config`) are left alone; nothing the layer computes changes.
    """
    new = original.__func__

    @functools.wraps(new)
    def __new__(cls, *args, **kwargs):
        layer = new(cls, *args, **kwargs)
        site = _construction_site()
        if site is not None:
            try:
                session.layer_sites[layer] = site
            except TypeError:  # pragma: no cover - a layer that cannot be weakly referenced
                pass
        return layer

    return staticmethod(__new__)


def _construction_site() -> Site | None:
    """The user's line constructing a layer; None when kerasdoctor constructs it (a clone)."""
    frame = sys._getframe(2)  # 0: here, 1: the __new__ wrapper
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_PACKAGE_DIR):
            return None
        if not _is_library(filename):
            return Site(file=filename, line=frame.f_lineno)
        frame = frame.f_back
    return None


def _at_layer_sites(session: _Session, report: Report, model: Any = None) -> Report:
    """`report` with each finding about a layer placed where the user constructed that layer.

    The layers of `model` are looked up first; without a model (an exception raised inside
    `Sequential(...)`), the most recently constructed layer of that name. A layer constructed
    before `watch()`, or by library code, keeps the finding's compile()/fit() call site.
    """
    try:
        return _placed(session, report, model)
    except Exception:  # pragma: no cover - defensive: a location is never worth a crash
        return report


def _placed(session: _Session, report: Report, model: Any) -> Report:
    wanted = {f.location.layer for f in report.findings if f.location.layer}
    if not wanted or not len(session.layer_sites):
        return report
    sites: dict[str, Site] = {}
    if model is not None:
        try:
            layers = model._flatten_layers(include_self=False, recursive=True)
        except Exception:
            layers = []
        for layer in layers:
            site = session.layer_sites.get(layer)
            if site is not None and layer.name in wanted:
                sites.setdefault(layer.name, site)
    else:
        for layer, site in list(session.layer_sites.items()):
            name = getattr(layer, "name", None)
            if name in wanted:
                sites[name] = site  # the most recent wins
    if not sites:
        return report
    findings = tuple(
        dataclasses.replace(
            f,
            location=dataclasses.replace(
                f.location, file=sites[layer].file, line=sites[layer].line
            ),
        )
        if (layer := f.location.layer) in sites
        else f
        for f in report.findings
    )
    return dataclasses.replace(report, findings=findings)


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


def _explain(
    session: _Session,
    error: BaseException,
    model: Any,
    site: Site | None,
    *,
    kd_prior: Report | None = None,
    **data,
):
    """Explain `error` (KD5). `kd_prior`: what the checks before this `fit()` found; an
    explanation of the same fault is linked to it (`links.link`), and printed as a reference."""

    def work():
        from kerasdoctor import links

        ctx = Context.of(model, error=error, site=site, **_data_kwargs(data))
        report = links.link(session.run(ctx, ["KD5"]), kd_prior)
        session.publish(report, key=("error", id(error)), model=model)

    _safely(work)


def _data_kwargs(arguments: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "x",
        "y",
        "validation_data",
        "validation_split",
        "class_weight",
        "batch_size",
        "epochs",
        "callbacks",
    )
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
                session.run(Context.of(self, site=site), ["KD1", "KD2"]),
                key=id(self),
                model=self,
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
            session.publish(report, key=id(self), model=self)
            return report

        found = _safely(check)
        if session.probe and id(self) not in session.probed:
            session.probed.add(id(self))
            _safely(lambda: _probe(session, self, arguments))
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
            _explain(session, error, self, site, kd_prior=found, **arguments)
            raise

    return fit


def _probe(session: _Session, model: Any, arguments: dict[str, Any]) -> None:
    """`--probe`: the probes (KD412-KD415) on a clone of `model`, before it trains."""
    from kerasdoctor.probes import probe, wanted

    x, y = arguments.get("x"), arguments.get("y")
    if x is None or not wanted(session.select, session.ignore):
        return  # no data, or no probe rule selected (e.g. --select KD3, --ignore KD4)
    report = probe(model, x, y, select=session.select, ignore=session.ignore, params=session.params)
    session.publish(report, key=id(model), model=model)


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
    mine = [c for c in callbacks if isinstance(c, Monitor)]
    if mine:
        session.last_monitor = mine[-1]
        return args, kwargs
    monitor = _safely(
        lambda: Monitor(
            config=session.settings,
            emit=lambda report: session.publish(report, key=("train", id(self)), model=self),
            tensorboard=_tensorboard_of(callbacks),
            data=_probe_data(arguments),
        )
    )
    if monitor is None:
        return args, kwargs
    session.last_monitor = monitor
    position = list(inspect.signature(original).parameters).index("callbacks") - 1
    if len(args) > position:
        return (*args[:position], [*callbacks, monitor], *args[position + 1 :]), kwargs
    return args, {**kwargs, "callbacks": [*callbacks, monitor]}


def _probe_data(arguments: dict[str, Any]) -> Any:
    """What the Monitor takes its probe batch from (dead and saturated units, input scale):
    `(x, y)` for arrays and tensors, a re-iterable dataset as is; None for anything it
    cannot read without consuming or misreading it (generators, pandas, lists), and for a
    distributed dataset (each read goes through every replica: the data checks' bounded
    sample is all kerasdoctor reads of it)."""
    from kerasdoctor.facts import _source

    x, y = arguments.get("x"), arguments.get("y")
    if x is None:
        return None
    source = _source(x)
    if source in ("tf.data", "pydataset", "dataloader"):
        return x
    arrays = ("numpy", "memmap", "tensor")
    if source == "dict" and not all(_source(v) in arrays for v in x.values()):
        return None
    if source not in (*arrays, "dict"):
        return None
    return (x, y if y is not None and _source(y) in arrays else None)


def _tensorboard_of(callbacks: list) -> Any:
    """The log directory of a `keras.callbacks.TensorBoard` among `callbacks` (else None)."""
    import keras

    board = next((c for c in callbacks if isinstance(c, keras.callbacks.TensorBoard)), None)
    return None if board is None else board.log_dir


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
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    monitor: bool = True,
    strict: bool = False,
    dry_run: bool = False,
    emit: Callable[[Report], None] | None = None,
    severity: dict[str, Any] | None = None,
    config: Any = True,
    status: Callable[[str | None], Any] | None = None,
    probe: bool = False,
) -> None:
    """Diagnose every `compile()` and `fit()` of every Keras model in this process.

    Settings come from `[tool.kerasdoctor]` in `pyproject.toml` (see `kerasdoctor.config`);
    the arguments override them.

    Args:
        select: Code prefixes of the rules to run (replaces the configured `select`).
        ignore: Code prefixes of the rules to skip (replaces the configured `ignore`).
        params: Threshold overrides per rule code.
        severity: Severity overrides per code prefix, e.g. `{"KD406": "info"}`.
        config: `True`: read `pyproject.toml` from the working directory upward; a path: that
            file; `False`: no file.
        status: Called with a line saying what kerasdoctor is checking, then with `None`
            when it is done (`kerasdoctor run` shows it on a terminal).
        monitor: Attach a `kerasdoctor.Monitor` to every `fit()`.
        strict: Raise `StopBeforeTraining` from `fit()` when an error was found before
            training starts.
        dry_run: Skip training: `fit()` returns an empty `History` after the checks.
        probe: Before a model's first `fit()`, run `kerasdoctor.probe()` on a clone of it
            (loss at initialisation, overfit one batch, gradient flow; KD412-KD415).
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
    from kerasdoctor import config as _config

    settings = _config.resolve(select, ignore, severity, params, config=config)
    import keras

    unwatch()
    session = _Session(
        select=tuple(settings.select),
        ignore=tuple(settings.ignore),
        params={code: dict(values) for code, values in settings.params.items()},
        severity=dict(settings.severity),
        settings=settings,
        status=status,
        monitor=monitor,
        strict=strict,
        dry_run=dry_run,
        probe=probe,
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
    session.layer_new = keras.layers.Layer.__dict__["__new__"]
    keras.layers.Layer.__new__ = _wrap_layer_new(session, session.layer_new)
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
    if session.layer_new is not None:
        keras.layers.Layer.__new__ = session.layer_new
    return session.complete()


def watching() -> bool:
    return _session is not None


def current_report() -> Report:
    """Everything reported since `watch()` was called."""
    return _session.complete() if _session is not None else Report()


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


def _call(function: Callable, /, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


# CPython (3.11, and the later versions' pystate.c alike) keeps Python frames on a stack of
# 16 KiB chunks, each mapped with mmap() when a call first crosses into it and unmapped when
# the call that crossed returns.
# A program whose calls go back and forth over a chunk's edge maps and unmaps it each time:
# importing TensorFlow and training the bench script did so 15,000 to 31,000 times (10-20 us
# each, 0.1-0.35 s), more or fewer depending only on how deep the script starts. This is
# `_call` with a frame of ~64,600 slots: larger than a 16 KiB chunk, so CPython gives it a
# chunk of its own, sized to hold it with 1,000 slots to spare and rounded up to a power of
# two, i.e. 1 MiB; the calls made inside it run in the remaining ~66,000 slots (~500 KiB, a
# thousand frames and more: Python's recursion limit comes first), where no edge is crossed.
# Untouched slots cost no memory.
on_fresh_stack = types.FunctionType(
    _call.__code__.replace(
        co_stacksize=_call.__code__.co_stacksize + 64_600,
        co_name="on_fresh_stack",
        co_qualname="on_fresh_stack",
    ),
    _call.__globals__,
    "on_fresh_stack",
)
on_fresh_stack.__doc__ = """`function(*args, **kwargs)`, run on a fresh, roomy chunk of CPython's
frame stack (see the comment above): the same result, none of the chunk mapping."""


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
    return (
        path.startswith(_PACKAGE_DIR)
        or os.path.basename(path) == "runpy.py"
        or filename.startswith("<frozen runpy")
    )
