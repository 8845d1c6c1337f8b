"""`[tool.kerasdoctor]` in `pyproject.toml`: which rules run, their severities and thresholds.

```toml
[tool.kerasdoctor]
select = ["KD"]                 # code prefixes of the rules to run (default: all)
ignore = ["KD2", "KD305"]       # code prefixes of the rules not to run

[tool.kerasdoctor.severity]     # a rule's findings at another severity: error, warning, info
KD406 = "info"

[tool.kerasdoctor.params.KD209] # a rule's thresholds (`kerasdoctor rule KD209` lists them)
max_lr = 1.0
```

Where it is found: starting in the working directory and going up, the first `pyproject.toml`
that has a `[tool.kerasdoctor]` table is used (a `pyproject.toml` without one is passed over, as
ruff does), and no other. `kerasdoctor ... --config FILE` names the file; `--no-config` (or
`config=False` in Python) uses none.

What overrides it: a CLI flag or function argument replaces the setting of the same name
(`--select`/`select=`, `--ignore`/`ignore=`); severities and parameters are merged per rule code,
the flag or argument winning (`--severity KD2=info` also overrides a configured `KD201`). An unknown key, rule code, severity or parameter is a
`ConfigError` naming it (exit code 2 on the command line).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kerasdoctor.rule import Severity

SECTION = "tool.kerasdoctor"
KEYS = ("select", "ignore", "severity", "params")
INTERNAL_CODES = ("KD000",)  # not in the catalogue, but may be ignored or re-graded


class ConfigError(ValueError):
    """A setting kerasdoctor does not know: one line that names it."""


@dataclasses.dataclass(frozen=True)
class Config:
    """The settings in force: the file's, with the arguments' on top.

    Attributes:
        select: Code prefixes of the rules to run.
        ignore: Code prefixes of the rules not to run.
        severity: Severity per code prefix (`{"KD406": Severity.INFO}`); the longest prefix wins.
        params: Threshold overrides per rule code (`{"KD209": {"max_lr": 1.0}}`).
        source: The `pyproject.toml` the settings came from, if any.
    """

    select: tuple[str, ...] = ("KD",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = dataclasses.field(default_factory=dict)
    params: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    source: str | None = None

    def severity_of(self, code: str) -> Severity | None:
        """The severity configured for `code`, by its longest matching prefix, if any."""
        best = max((p for p in self.severity if code.startswith(p)), key=len, default=None)
        return None if best is None else self.severity[best]

    def selects(self, code: str) -> bool:
        """Whether the rule `code` runs under these settings."""
        return code.startswith(tuple(self.select)) and not code.startswith(tuple(self.ignore))


# --------------------------------------------------------------------------------------------
# finding and reading the file
# --------------------------------------------------------------------------------------------


def find(start: str | os.PathLike | None = None) -> Path | None:
    """The first `pyproject.toml` with a `[tool.kerasdoctor]` table, from `start` upward.

    Args:
        start: The directory to start in; the working directory by default.
    """
    try:
        here = Path(start or os.getcwd()).absolute()
    except OSError:  # the working directory was removed
        return None
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        try:
            stat = candidate.stat()
        except OSError:
            continue
        if _has_section(str(candidate), stat.st_mtime_ns, stat.st_size):
            return candidate
    return None


@functools.lru_cache(maxsize=64)
def _has_section(path: str, mtime_ns: int, size: int) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if "kerasdoctor" not in text:  # cheap: other projects' files are never parsed
        return False
    return _table(path, mtime_ns, size) is not None


@functools.lru_cache(maxsize=64)
def _table(path: str, mtime_ns: int, size: int) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    table = document.get("tool", {}).get("kerasdoctor") if isinstance(document, dict) else None
    return table if isinstance(table, dict) else None


def load(path: str | os.PathLike) -> Config:
    """The settings in `[tool.kerasdoctor]` of the file at `path`, checked.

    Raises:
        ConfigError: when the file cannot be read, or names a key, rule code, severity or
            parameter that kerasdoctor does not know.
    """
    path = Path(path).absolute()
    try:
        stat = path.stat()
    except OSError:
        raise ConfigError(f"no such configuration file: {path}") from None
    table = _table(str(path), stat.st_mtime_ns, stat.st_size)
    if table is None:
        return Config(source=str(path))
    where = f"[{SECTION}] of {path}"
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}; the keys are: {', '.join(KEYS)}"
        )
    severity = table.get("severity", {})
    params = table.get("params", {})
    if not isinstance(severity, dict):
        raise ConfigError(f"'severity' in {where} must be a table: [{SECTION}.severity]")
    if not isinstance(params, dict):
        raise ConfigError(f"'params' in {where} must be a table: [{SECTION}.params.KDNNN]")
    return Config(
        select=_prefixes(table.get("select", ["KD"]), "select", where) or ("KD",),
        ignore=_prefixes(table.get("ignore", []), "ignore", where),
        severity=_severities(severity, where),
        params=_params(params, where),
        source=str(path),
    )


def from_file(start: str | os.PathLike | None = None) -> Config:
    """The settings of the `pyproject.toml` that `find(start)` finds; defaults if none."""
    path = find(start)
    return load(path) if path is not None else Config()


# --------------------------------------------------------------------------------------------
# checking values
# --------------------------------------------------------------------------------------------


def _codes() -> tuple[str, ...]:
    from kerasdoctor import engine

    return (*INTERNAL_CODES, *engine.codes())


def _prefixes(values: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise ConfigError(
            f"{key!r} in {where} must be a list of rule codes, like [\"KD2\", \"KD305\"]. "
            f"Received: {key}={values!r}"
        )
    codes = _codes()
    chosen: list[str] = []
    for value in values:
        prefix = value.strip().upper()
        if not prefix:
            continue
        if not any(code.startswith(prefix) for code in codes):
            raise ConfigError(
                f"unknown rule code {value!r} in {key} ({where}); `kerasdoctor rules` lists them"
            )
        chosen.append(prefix)
    return tuple(dict.fromkeys(chosen))


def _severities(values: Mapping[str, Any], where: str) -> dict[str, Severity]:
    codes = _codes()
    result: dict[str, Severity] = {}
    for key, value in values.items():
        prefix = str(key).strip().upper()
        if not any(code.startswith(prefix) for code in codes):
            raise ConfigError(
                f"unknown rule code {key!r} in severity ({where}); `kerasdoctor rules` lists them"
            )
        try:
            result[prefix] = Severity(str(value).strip().lower())
        except ValueError:
            raise ConfigError(
                f"unknown severity {value!r} for {key} in {where}; "
                "use 'error', 'warning' or 'info'"
            ) from None
    return result


def _params(values: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
    from kerasdoctor import engine

    result: dict[str, dict[str, Any]] = {}
    for key, table in values.items():
        rule = engine.get_rule(str(key))
        if rule is None or rule.code != str(key).strip().upper():
            raise ConfigError(
                f"unknown rule code {key!r} in params ({where}); `kerasdoctor rules` lists them"
            )
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"params.{key} in {where} must be a table of parameters, like "
                f"[{SECTION}.params.{rule.code}]"
            )
        known = rule.params
        for name, value in table.items():
            if name not in known:
                takes = ", ".join(known) if known else "no parameters"
                raise ConfigError(
                    f"unknown parameter {name!r} for {rule.code} in {where}; "
                    f"{rule.code} takes: {takes}"
                )
            _check_type(rule.code, name, value, known[name], where)
        result[rule.code] = dict(table)
    return result


def _check_type(code: str, name: str, value: Any, default: Any, where: str) -> None:
    if default is None:
        return
    expected: tuple[type, ...]
    if isinstance(default, bool):
        expected = (bool,)
    elif isinstance(default, int):
        expected = (int,)
    elif isinstance(default, float):
        expected = (int, float)
    elif isinstance(default, (list, tuple)):
        expected = (list, tuple)
    else:
        expected = (type(default),)
    if isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected):
        return
    raise ConfigError(
        f"parameter {name!r} of {code} in {where} must be like its default "
        f"{default!r}. Received: {name}={value!r}"
    )


# --------------------------------------------------------------------------------------------
# resolving: the file, then the arguments on top
# --------------------------------------------------------------------------------------------


def resolve(
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity: Mapping[str, Any] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    config: bool | str | os.PathLike | Config | None = True,
    origin: str = "the arguments",
) -> Config:
    """The settings in force: `pyproject.toml`'s, with the given arguments on top.

    Args:
        select: Replaces the file's `select` when given.
        ignore: Replaces the file's `ignore` when given.
        severity: Merged over the file's severities, per code prefix.
        params: Merged over the file's parameters, per rule code and parameter.
        config: `True` (default): find `pyproject.toml` from the working directory upward;
            a path: read that file; `False`: use no file; a `Config`: start from it.
        origin: What the arguments are, for error messages ("the command line").

    Raises:
        ConfigError: for an unknown key, rule code, severity or parameter.
    """
    if isinstance(config, Config):
        base = config
    elif config is True or config is None:
        base = from_file()
    elif config is False:
        base = Config()
    else:
        base = load(config)
    where = origin
    merged_params = {code: dict(values) for code, values in base.params.items()}
    for code, values in _params(params or {}, where).items():
        merged_params.setdefault(code, {}).update(values)
    given = _severities(severity or {}, where)
    # An argument's prefix overrides the file's entries it covers: KD2=info beats KD201=warning.
    kept = {k: v for k, v in base.severity.items() if not k.startswith(tuple(given))}
    return Config(
        select=(_prefixes(list(select), "select", where) or ("KD",))
        if select is not None
        else base.select,
        ignore=_prefixes(list(ignore), "ignore", where) if ignore is not None else base.ignore,
        severity={**kept, **given},
        params=merged_params,
        source=base.source,
    )
