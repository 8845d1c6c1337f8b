"""The `kerasdoctor` command line.

Exit codes: 0 clean, 1 error findings (or findings at `--fail-on`), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kerasdoctor import config, docs, engine, progress, render
from kerasdoctor.report import Report


class InputError(Exception):
    """A problem with what the user gave us: reported in one line, exit code 2."""


def _codes(values: list[str] | None) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def _quiet_backend() -> None:
    """Keep TensorFlow's start-up chatter off the user's terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _settings(args: argparse.Namespace) -> config.Config:
    """`[tool.kerasdoctor]` from pyproject.toml (or --config FILE), with the flags on top."""
    severity: dict[str, str] = {}
    for item in _codes(getattr(args, "severity", None)):
        code, sep, level = item.partition("=")
        if not sep:
            raise InputError(f"--severity takes CODE=LEVEL, like KD406=info. Received: {item!r}")
        severity[code.strip()] = level.strip()
    params: dict[str, dict[str, Any]] = {}
    for item in getattr(args, "param", None) or []:
        key, sep, value = item.partition("=")
        code, dot, name = key.partition(".")
        if not sep or not dot:
            raise InputError(
                f"--param takes CODE.NAME=VALUE, like KD209.far_above=20. Received: {item!r}"
            )
        params.setdefault(code.strip().upper(), {})[name.strip()] = _literal(value.strip())
    source: Any = (
        False if getattr(args, "no_config", False) else (getattr(args, "config", None) or True)
    )
    return config.resolve(
        _codes(getattr(args, "select", None)) or None,
        _codes(args.ignore) if getattr(args, "ignore", None) is not None else None,
        severity or None,
        params or None,
        config=source,
        origin="the command line",
    )


def _literal(text: str) -> Any:
    """A flag's value as TOML reads it (`20`, `0.5`, `true`), else the text itself."""
    from kerasdoctor.config import tomllib

    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _emit(report: Report, fmt: str, artifact: str | None = None) -> None:
    if fmt == "json":
        print(report.to_json())
    elif fmt == "sarif":
        print(report.to_sarif(artifact=artifact))
    else:
        render.print_report(report)


def _exit_code(report: Report, fail_on: str = "error") -> int:
    return 1 if report.at_least(fail_on) else 0


# --------------------------------------------------------------------------------------------
# rules, rule
# --------------------------------------------------------------------------------------------


def cmd_rules(args: argparse.Namespace) -> int:
    rules = engine.selected(_codes(args.select) or ("KD",), _codes(args.ignore))
    if args.format == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "severity": str(r.severity),
                "category": str(r.category),
                "summary": r.summary,
            }
            for r in rules
        ]
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("Code", "Name", "Severity", "Summary"):
        table.add_column(column)
    for r in rules:
        table.add_row(r.code, r.name, f"[kd.{r.severity}]{r.severity}[/]", r.summary)
    render.console().print(table)
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    rule = engine.get_rule(args.code)
    if rule is None:
        raise InputError(f"no rule {args.code!r}; `kerasdoctor rules` lists them all")
    page = docs.rule_markdown(rule)
    if args.format == "markdown" or not sys.stdout.isatty():
        print(page)
    else:
        from rich.markdown import Markdown

        render.console().print(Markdown(page))
    return 0


# --------------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------------


def _load_model(path: Path) -> Any:
    if not path.exists():
        raise InputError(f"no such model file: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give a .keras or .h5 model file")
    _quiet_backend()
    import keras

    try:
        with warnings.catch_warnings():  # Keras's notes on optimizer variables are not ours to show
            warnings.simplefilter("ignore")
            return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        if "safe_mode" in reason or "unsafe" in reason.lower():
            raise InputError(
                f"refusing to load {path}: it contains code (a Lambda or custom object) and "
                "kerasdoctor keeps Keras safe_mode on. Keras says: " + reason[:300]
            ) from None
        raise InputError(f"cannot load model {path}: {reason[:300]}") from None


def _load_data(path: Path) -> dict[str, Any]:
    import numpy as np

    if not path.exists():
        raise InputError(f"no such data file: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except Exception as error:
        raise InputError(f"cannot read {path} as a .npz archive: {error}") from None
    if "x" not in arrays:
        raise InputError(
            f"{path} has no array named 'x' (it has: {', '.join(sorted(arrays)) or 'nothing'}); "
            "save it with np.savez(path, x=x, y=y, x_val=x_val, y_val=y_val)"
        )
    return arrays


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    data = _load_data(Path(args.data)) if args.data else {}
    model = _load_model(Path(args.model))
    fit_kwargs: dict[str, Any] = {}
    if "x_val" in data:
        fit_kwargs["validation_data"] = (data["x_val"], data.get("y_val"))
    if args.validation_split:
        fit_kwargs["validation_split"] = args.validation_split
    report = engine.diagnose(model, data.get("x"), data.get("y"), config=settings, **fit_kwargs)
    _emit(report, args.format, artifact=args.model)
    if args.html:
        _save_html(report, args.html, f"kerasdoctor report: {Path(args.model).name}", args.format)
    return _exit_code(report)


def _save_html(report: Report, path: str, title: str, fmt: str = "text") -> None:
    """`--html FILE`: the self-contained HTML report; a bad path is a one-line error."""
    try:
        report.save_html(path, title=title)
    except OSError as error:
        raise InputError(f"cannot write the HTML report to {path}: {error.strerror}") from None
    if fmt == "text":
        print(f"kerasdoctor: HTML report written to {path}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    script = Path(args.script)
    if not script.is_file():
        raise InputError(f"can't open file {str(script.absolute())!r}: no such file")
    if args.html and not Path(args.html).absolute().parent.is_dir():  # say so before training
        raise InputError(f"cannot write the HTML report to {args.html}: no such folder")
    settings = _settings(args)
    _quiet_backend()
    from kerasdoctor import hooks

    emit = None if args.format == "text" else (lambda report: None)
    line = progress.StatusLine(enabled=None if args.format == "text" else False)
    with line.during(f"kerasdoctor: importing Keras to run {script.name}…"):
        hooks.on_fresh_stack(  # Keras's import and the script: see hooks.on_fresh_stack
            hooks.watch,
            config=settings,
            strict=args.strict,
            dry_run=args.dry_run,
            probe=args.probe or args.dry_run,  # a dry run probes what it does not train
            emit=emit,
            status=line,
        )
    try:
        status = hooks.on_fresh_stack(hooks.run_script, str(script), args.args)
    finally:
        line.clear()
        report = hooks.unwatch()
    machine = report.to_sarif(artifact=str(script)) if args.format == "sarif" else report.to_json()
    if args.output:
        Path(args.output).write_text(machine + "\n")
    if args.html:
        _save_html(report, args.html, f"kerasdoctor report: {script.name}", args.format)
    if args.format in ("json", "sarif") and not args.output:
        print(machine)
    elif args.format == "text":
        print(f"kerasdoctor: {render.summary_line(report)}", file=sys.stderr)
    if status == 0 and args.fail_on and report.at_least(args.fail_on):
        return 1
    return status


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _quiet_backend()
    from kerasdoctor import gallery

    out = render.console()
    cases = gallery.CASES
    line = progress.StatusLine()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with line.during("kerasdoctor demo: importing Keras…"):
            import keras

        out.print(
            f"kerasdoctor demo: {len(cases)} broken Keras set-ups and their fixes, "
            f"diagnosed on the {keras.backend.backend()} backend.\n"
        )
        surprises = 0
        for number, case in enumerate(cases, 1):
            out.print(f"[bold]── {number}. {case.family}: {case.title}[/]", highlight=False)
            out.print(f"[dim]Keras alone:[/] {case.keras_says}\n", highlight=False)
            with line.during(f"kerasdoctor demo: diagnosing {number}/{len(cases)}: {case.title}…"):
                broken = gallery.diagnose_setup(case.broken, config=settings)
                fixed = gallery.diagnose_setup(case.fixed, config=settings)
            render.print_report(broken)
            problems = fixed.at_least("warning")
            if problems:
                out.print("\n[bold]After the fix:[/]")
                render.print_report(fixed)
            else:
                out.print("\n[bold green]After the fix:[/] no errors or warnings.\n")
            expects = {code for code in case.expects if settings.selects(code)}
            surprises += bool(problems) or not expects <= set(broken.codes)
    if surprises:
        out.print(f"[kd.warning]{surprises} case(s) did not come out as the gallery expects.[/]")
        return 1
    return 0


# --------------------------------------------------------------------------------------------
# docs
# --------------------------------------------------------------------------------------------


def cmd_docs(args: argparse.Namespace) -> int:
    outdir = Path(args.outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir} exists and is not a folder")
    if args.live:
        _quiet_backend()
    line = progress.StatusLine()
    try:
        written = docs.write_docs(
            outdir,
            live=args.live,
            status=lambda rule: line.show(f"kerasdoctor docs: {rule.code} {rule.name}…"),
        )
    except OSError as error:
        raise InputError(f"cannot write {outdir}: {error.strerror or error}") from None
    finally:
        line.clear()
    print(f"kerasdoctor: wrote {len(written) - 1} rule pages and index.md to {outdir}")
    return 0


# --------------------------------------------------------------------------------------------
# explain
# --------------------------------------------------------------------------------------------


def cmd_explain(args: argparse.Namespace) -> int:
    if args.file in (None, "-"):
        if sys.stdin.isatty():
            print("Paste a Keras error or traceback, then press Ctrl-D:", file=sys.stderr)
        text = sys.stdin.read()
    else:
        path = Path(args.file)
        if not path.exists():
            raise InputError(f"no such file: {path}")
        text = path.read_text(errors="replace")
    if not text.strip():
        raise InputError("nothing to explain: the error text is empty")
    report = engine.explain(text)
    if args.format == "json":
        print(report.to_json())
    elif report.findings:
        render.print_report(report)
    else:
        print("kerasdoctor does not recognise this error; no explanation to add.")
    return 0 if report.findings else 1


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerasdoctor",
        description="Find what is wrong with a Keras model and its training run.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def selection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--select", action="append", metavar="CODES", help="rule code prefixes")
        p.add_argument("--ignore", action="append", metavar="CODES", help="rule code prefixes")

    def settings(p: argparse.ArgumentParser) -> None:
        selection(p)
        p.add_argument(
            "--severity",
            action="append",
            metavar="CODE=LEVEL",
            help="report a rule at another severity, e.g. KD406=info",
        )
        p.add_argument(
            "--param",
            action="append",
            metavar="CODE.NAME=VALUE",
            help="set a rule's threshold, e.g. KD209.far_above=20",
        )
        p.add_argument(
            "--config",
            metavar="FILE",
            help="read [tool.kerasdoctor] from FILE instead of the nearest pyproject.toml",
        )
        p.add_argument(
            "--no-config", action="store_true", help="ignore [tool.kerasdoctor] in pyproject.toml"
        )

    p = sub.add_parser("rules", help="list the rule catalogue")
    selection(p)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("rule", help="show one rule's page")
    p.add_argument("code", help="a rule code (KD201) or name")
    p.add_argument("--format", choices=["text", "markdown"], default="text")
    p.set_defaults(func=cmd_rule)

    p = sub.add_parser("check", help="diagnose a saved model (and its data)")
    p.add_argument("model", help="a .keras (or .h5) model file")
    p.add_argument("--data", help=".npz with arrays x, y and optionally x_val, y_val")
    p.add_argument("--validation-split", type=float, default=0.0, metavar="F")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument("--html", metavar="FILE", help="also write an HTML report to FILE")
    settings(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("demo", help="diagnose the bundled gallery of broken models")
    settings(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("docs", help="write a Markdown page per rule and an index to OUTDIR")
    p.add_argument("outdir", help="the folder to write (created if missing)")
    p.add_argument(
        "--live",
        action="store_true",
        help="re-run every rule's example for its output (slow) instead of the recorded output",
    )
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("run", help="run a training script, diagnosing every compile() and fit()")
    p.add_argument("script", help="the Python script to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    p.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    p.add_argument(
        "--output",
        metavar="FILE",
        help="write the report to FILE (SARIF with --format sarif, else JSON)",
    )
    p.add_argument("--fail-on", choices=["error", "warning"], help="exit 1 at this severity")
    p.add_argument(
        "--html",
        metavar="FILE",
        help="also write an HTML report (findings, training curves, model) to FILE",
    )
    p.add_argument("--strict", action="store_true", help="stop before training on an error")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="diagnose and probe (as --probe), but skip training: fit() returns an empty History",
    )
    p.add_argument(
        "--probe",
        action="store_true",
        help="before each model's first fit(), probe a clone of it (loss at init, overfit one "
        "batch, gradient flow)",
    )
    settings(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("explain", help="explain a pasted Keras error or traceback")
    p.add_argument("file", nargs="?", help="a file with the error text; - or nothing: stdin")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_explain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (InputError, config.ConfigError) as error:
        print(f"kerasdoctor: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
