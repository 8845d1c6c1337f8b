"""kerasdoctor: finds what is wrong with a Keras model and its training run, and says how to fix it.

```python
import kerasdoctor as kd

print(kd.diagnose(model, x, y))
```
"""

from kerasdoctor.context import Context, Trace
from kerasdoctor.engine import all_rules, diagnose, explain, get_rule, run
from kerasdoctor.hooks import unwatch, watch
from kerasdoctor.probes import probe
from kerasdoctor.report import Finding, Location, Report
from kerasdoctor.rule import Category, Severity

__version__ = "0.1.0"


def __getattr__(name):
    if name == "Monitor":  # a keras.callbacks.Callback: importing it imports Keras
        from kerasdoctor.monitor import Monitor

        return Monitor
    raise AttributeError(f"module 'kerasdoctor' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """`%load_ext kerasdoctor`: watch every compile()/fit() and explain Keras errors in cells."""
    from kerasdoctor import hooks

    watch()

    def explain_then_show(shell, etype, value, tb, tb_offset=None):
        hooks.explain_uncaught(value)
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    ipython.set_custom_exc((Exception,), explain_then_show)


def unload_ipython_extension(ipython):
    unwatch()
    ipython.set_custom_exc((), None)

__all__ = [
    "Category",
    "Context",
    "Finding",
    "Location",
    "Monitor",
    "Report",
    "Severity",
    "Trace",
    "all_rules",
    "diagnose",
    "explain",
    "probe",
    "unwatch",
    "watch",
    "get_rule",
    "run",
]
