"""pyrules: the U.S. AI Diffusion export-control rule as Answer Set Programming.

    >>> import pyrules
    >>> d = pyrules.evaluate({...})          # a scenario in the JSON form
    >>> d.license_required, d.licensing_policy, d.authorizations
    >>> for d in pyrules.evaluate_many([{...}, {...}]):   # many at once, in input order
    ...     print(d.license_required)
"""
from .determination import Determination
from .engine import Engine, evaluate, evaluate_many
from .errors import InputError
from .model import Scenario

__all__ = ["Determination", "Engine", "InputError", "Scenario", "evaluate", "evaluate_many"]
__version__ = "0.1.0"
