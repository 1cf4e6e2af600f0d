"""Imports of optional dependencies, with a message naming the extra to install."""

import importlib

__all__ = ["import_optional"]

_EXTRAS = {"matplotlib": "plot", "pandas": "pandas"}


def import_optional(module, caller):
    """Import ``module``, or raise ImportError saying which extra provides it.

    Parameters
    ----------
    module : str
        The module to import, such as ``"matplotlib.pyplot"``.
    caller : str
        The function that needs it, for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        extra = _EXTRAS.get(package, package)
        raise ImportError(
            f"{caller} needs {package}, which is not installed; install it with "
            f"pip install 'sksegment[{extra}]'."
        ) from exc
