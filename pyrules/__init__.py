"""pyrules: the U.S. AI Diffusion export-control rule as Answer Set Programming.

>>> import pyrules
>>> d = pyrules.evaluate({...})          # a scenario in the JSON form
>>> d.license_required, d.licensing_policy, d.authorizations
>>> for d in pyrules.evaluate_many([{...}, {...}]):   # many at once, in input order
...     print(d.license_required)
"""

from pyrules.output.determination import Determination
from pyrules.engine.control import Engine, evaluate, evaluate_many
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario

__all__ = ["Determination", "Engine", "InputError", "Scenario", "evaluate", "evaluate_many"]
__version__ = "0.1.0"
