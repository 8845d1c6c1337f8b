"""kerasdoctor: finds what is wrong with a Keras model and its training run, and says how to fix it.

```python
import kerasdoctor as kd

print(kd.diagnose(model, x, y))
```
"""

from kerasdoctor.context import Context, Trace
from kerasdoctor.engine import all_rules, diagnose, get_rule, run
from kerasdoctor.engine import explain as _engine_explain
from kerasdoctor.report import Finding, Location, Report
from kerasdoctor.rule import Category, Severity

__version__ = "0.1.0"


def watch(**options):
    """Diagnose every `compile()` and `fit()` in this process (see `kerasdoctor.hooks.watch`)."""
    from kerasdoctor import hooks

    return hooks.watch(**options)


def unwatch():
    """Stop watching and restore Keras exactly; returns everything reported."""
    from kerasdoctor import hooks

    return hooks.unwatch()


def explain(error, model=None, x=None, y=None, **options):
    """Explain a Keras exception (or pasted error text) in terms of your model and data."""
    return _engine_explain(error, model, x, y, **options)


def load_ipython_extension(ipython):
    """`%load_ext kerasdoctor`: watch every compile()/fit() and explain Keras errors in cells."""
    from kerasdoctor import hooks

    hooks.watch()

    def explain_then_show(shell, etype, value, tb, tb_offset=None):
        hooks.explain_uncaught(value)
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    ipython.set_custom_exc((Exception,), explain_then_show)


def unload_ipython_extension(ipython):
    from kerasdoctor import hooks

    hooks.unwatch()
    ipython.set_custom_exc((), None)

__all__ = [
    "Category",
    "Context",
    "Finding",
    "Location",
    "Report",
    "Severity",
    "Trace",
    "all_rules",
    "diagnose",
    "explain",
    "unwatch",
    "watch",
    "get_rule",
    "run",
]
