"""Rule discovery, gating, crash isolation, and the `diagnose()` front end."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kerasdoctor import rules as _rules_package
from kerasdoctor.context import Context
from kerasdoctor.report import Finding, Report
from kerasdoctor.rule import Category, Rule, Severity


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule in `kerasdoctor/rules/`, sorted by code. Importing them needs no backend."""
    return tuple(rule for category in Category for rule in rules_of(category))


@functools.cache
def rules_of(category: Category) -> tuple[Rule, ...]:
    """The rules of one category (KD2xx: `Category.COMPILE`), sorted by code, importing only
    their files: a run that raises nothing never imports the KD5 rules' ~40 expressions."""
    found: list[Rule] = []
    for name in _rule_files(str(list(Category).index(category))):
        module = importlib.import_module(f"{_rules_package.__name__}.{name}")
        found += [value for value in vars(module).values() if isinstance(value, Rule)]
    return tuple(sorted(found, key=lambda r: r.code))


def codes() -> tuple[str, ...]:
    """Every rule's code, read from the names of the rule files (`kd201_...`: KD201;
    tests/test_rules.py holds every file to its rule's code), importing nothing."""
    return tuple(name[:5].upper() for name in _rule_files())


@functools.cache
def _rule_files(digit: str = "") -> tuple[str, ...]:
    """The rule modules' names, sorted (`kd201_softmax_over_one_unit`); of one category when
    its `digit` is given."""
    if digit:  # from the one listing of the folder (~2 ms each)
        return tuple(name for name in _rule_files() if name.startswith(f"kd{digit}"))
    found = pkgutil.iter_modules(_rules_package.__path__)
    return tuple(sorted(info.name for info in found if info.name.startswith("kd")))


def get_rule(code_or_name: str) -> Rule | None:
    """The rule with this code (`KD201`) or name (`softmax-over-one-unit`)."""
    key = code_or_name.strip()
    return next(
        (r for r in all_rules() if r.code.lower() == key.lower() or r.name == key.lower()),
        None,
    )


# A rule runs only when the context holds what its category inspects.
_APPLIES: dict[Category, Callable[[Context], bool]] = {
    Category.MODEL: lambda ctx: ctx.model is not None,
    Category.COMPILE: lambda ctx: ctx.model is not None and ctx.model.compiled,
    Category.DATA: lambda ctx: ctx.data is not None,
    Category.TRAINING: lambda ctx: ctx.trace is not None,
    Category.EXCEPTION: lambda ctx: ctx.error is not None,
}


def _may_pick(category: Category, select: Iterable[str]) -> bool:
    """Whether `select` may pick a rule of `category` (KD4, KD40 and KD401 may pick KD4xx
    rules; KD2 may not), so that the others' files are not imported."""
    family = f"KD{list(Category).index(category)}"
    return any(
        family.startswith(p.strip().upper()) or p.strip().upper().startswith(family) for p in select
    )


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.upper().startswith(p.strip().upper()) for p in prefixes)


def selected(
    select: Iterable[str] = ("KD",), ignore: Iterable[str] = (), rules: Iterable[Rule] | None = None
) -> list[Rule]:
    """The rules (of `rules`, by default all) that `select` picks and `ignore` does not, by
    code prefix."""
    select, ignore = list(select or ("KD",)), list(ignore or ())
    return [
        r
        for r in (all_rules() if rules is None else rules)
        if _matches(r.code, select) and not _matches(r.code, ignore)
    ]


def run(
    ctx: Context,
    *,
    select: Iterable[str] = ("KD",),
    ignore: Iterable[str] = (),
    params: Mapping[str, Mapping[str, Any]] | None = None,
    severity: Mapping[str, Severity | str] | None = None,
) -> Report:
    """Run every selected rule that applies to `ctx` and collect what they find.

    Args:
        ctx: The facts to check.
        select: Code prefixes of the rules to run (`["KD2"]`: the compile rules).
        ignore: Code prefixes of rules not to run (`["KD305"]`).
        params: Threshold overrides per rule code, e.g. `{"KD207": {"max_ratio": 20}}`.
        severity: Severity overrides per code prefix, e.g. `{"KD406": "info"}`: every finding
            of those rules gets that severity (the longest matching prefix wins).

    Returns:
        A `Report`. A check that raises becomes a `KD000` finding, never an exception.
    """
    params = params or {}
    site = ctx.site
    findings: list[Finding] = []
    select = list(select or ("KD",))
    categories = [c for c, applies in _APPLIES.items() if applies(ctx) and _may_pick(c, select)]
    for rule in selected(select, ignore, [r for c in categories for r in rules_of(c)]):
        try:
            for issue in rule(ctx, **params.get(rule.code, {})):
                findings.append(Finding.of(rule, issue, site and site.file, site and site.line))
        except Exception as error:  # a broken check must never break the user's run
            findings.append(Finding.crashed(rule, error))
    if severity or ignore:
        findings = _configured(findings, severity or {}, ignore)
    # The model's facts ride along for the HTML report (the Monitor adds the history on read).
    return Report(tuple(findings), model=ctx.model)


def _configured(
    findings: list[Finding], severity: Mapping[str, Severity | str], ignore: Iterable[str]
) -> list[Finding]:
    """Findings with their configured severities; KD000 dropped when ignored."""
    ignore = list(ignore)
    kept = []
    for finding in findings:
        if finding.code == "KD000" and _matches("KD000", ignore):
            continue
        best = max(
            (p for p in severity if finding.code.startswith(p.upper())), key=len, default=None
        )
        if best is not None:
            finding = dataclasses.replace(finding, severity=Severity(str(severity[best]).lower()))
        kept.append(finding)
    return kept


def diagnose(
    model: Any,
    x: Any = None,
    y: Any = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    severity: Mapping[str, Severity | str] | None = None,
    config: Any = True,
    **fit_kwargs: Any,
) -> Report:
    """Diagnose a model, its compile configuration and (optionally) its training data.

    Nothing is trained, built or changed: the model is only read. Settings come from
    `[tool.kerasdoctor]` in `pyproject.toml` (see `kerasdoctor.config`); arguments override them.

    Args:
        model: A `keras.Model`, compiled or not.
        x: The inputs you would pass to `fit()` (optional).
        y: The targets you would pass to `fit()` (optional).
        select: Code prefixes of the rules to run (replaces the configured `select`).
        ignore: Code prefixes of the rules to skip (replaces the configured `ignore`).
        params: Threshold overrides per rule code, e.g. `{"KD209": {"max_lr": 1.0}}`.
        severity: Severity overrides per code prefix, e.g. `{"KD406": "info"}`.
        config: `True`: read `pyproject.toml` from the working directory upward; a path: that
            file; `False`: no file.
        **fit_kwargs: Other `fit()` arguments: `validation_data`, `validation_split`,
            `class_weight`, `batch_size`.

    Returns:
        A `Report` of every problem found.

    Example:

    ```python
    report = kerasdoctor.diagnose(model, x_train, y_train)
    print(report)
    ```
    """
    from kerasdoctor import config as _config

    settings = _config.resolve(select, ignore, severity, params, config=config)
    ctx = Context.of(model, x, y, **fit_kwargs)
    return run_configured(ctx, settings)


def run_configured(ctx: Context, settings: Any, phase: Iterable[str] | None = None) -> Report:
    """`run()` with a `kerasdoctor.config.Config`, restricted to the `phase` prefixes if given."""
    select = tuple(settings.select)
    if phase is not None:
        phase = tuple(phase)
        chosen = [s for s in phase if any(s.startswith(p) for p in select)]
        chosen += [p for p in select if any(p.startswith(s) for s in phase)]
        if not chosen:
            return Report()
        select = tuple(dict.fromkeys(chosen))
    return run(
        ctx,
        select=select,
        ignore=settings.ignore,
        params=settings.params,
        severity=settings.severity,
    )


def example_context(example: Callable[[], Context]) -> Context:
    """Run a rule's `bad()` or `good()`; an example that raises becomes `Context(error=...)`."""
    try:
        return example()
    except Exception as error:
        return Context.of(error=error)


def example_report(rule: Rule, which: str = "bad") -> Report:
    """What the rule alone reports on its own `bad()` (or `good()`) example."""
    ctx = example_context(getattr(rule, which))
    report = run(ctx, select=[rule.code])
    return report if ctx.trace is None else report.attach(history=ctx.trace)


def explain(
    error: BaseException | str,
    model: Any = None,
    x: Any = None,
    y: Any = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    severity: Mapping[str, Severity | str] | None = None,
    config: Any = True,
    **fit_kwargs: Any,
) -> Report:
    """Explain a Keras exception: its root cause in terms of your model and data, and the fix.

    Args:
        error: The exception, or the text of an error message or traceback.
        model: The model involved, when there is one: its facts sharpen the explanation.
        x, y, **fit_kwargs: The data passed to `fit()`, if any.
        select, ignore: Code prefixes of the rules to run (the exception rules, KD5, that the
            configuration selects, by default).
        params, severity, config: As for `diagnose()`.

    Returns:
        A `Report`: empty when the error is not one kerasdoctor knows.

    Example:

    ```python
    try:
        model.fit(x, y)
    except Exception as e:
        print(kerasdoctor.explain(e, model, x, y))
        raise
    ```
    """
    from kerasdoctor import facts

    ctx = Context.of(model, x, y, **fit_kwargs) if model is not None or x is not None else Context()
    error_facts = (
        facts.error_facts(error)
        if isinstance(error, BaseException)
        else facts.error_facts_from_text(error)
    )
    ctx = dataclasses.replace(ctx, error=error_facts)
    from kerasdoctor import config as _config

    settings = _config.resolve(select, ignore, severity, params, config=config)
    return run_configured(ctx, settings, phase=None if select is not None else ("KD5",))
