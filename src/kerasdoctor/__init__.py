"""kerasdoctor: finds what is wrong with a Keras model and its training run, and says how to fix it.

```python
import kerasdoctor as kd

print(kd.diagnose(model, x, y))
```
"""

from kerasdoctor.context import Context, Trace
from kerasdoctor.engine import all_rules, diagnose, get_rule, run
from kerasdoctor.report import Finding, Location, Report
from kerasdoctor.rule import Category, Severity

__version__ = "0.1.0"

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
    "get_rule",
    "run",
]
