"""Discovery of the public estimators that sktricks defines."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil

from sklearn.base import BaseEstimator

import sktricks

# Subpackages that import an optional extra at import time; they are
# discovered only when that extra is installed.
_OPTIONAL_SUBPACKAGES = {"sktricks.torch": "torch"}


def _public_modules() -> list[str]:
    # Private modules are skipped: their public classes are re-exported by
    # the package that contains them and found in its ``__all__``.
    return [
        info.name
        for info in pkgutil.walk_packages(sktricks.__path__, prefix="sktricks.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
    ]


def _import_optional(name: str):
    for prefix, extra_module in _OPTIONAL_SUBPACKAGES.items():
        if name == prefix or name.startswith(prefix + "."):
            if importlib.util.find_spec(extra_module) is None:
                return None
    return importlib.import_module(name)


def all_estimators(type_filter: str | None = None) -> list[tuple[str, type]]:
    """List the public estimator classes that sktricks defines.

    Walks every public subpackage and collects the classes that subclass
    :class:`sklearn.base.BaseEstimator`, are named in the subpackage's
    ``__all__`` and are defined inside sktricks (re-exported scikit-learn
    classes are left out). Subpackages whose optional extra is missing are
    skipped.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "sampler"}, default=None
        Keep only estimators of this kind. ``None`` keeps all of them.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name; each class appears once.

    Examples
    --------
    >>> from sktricks.utils import all_estimators
    >>> isinstance(all_estimators(), list)
    True
    """
    found: dict[str, type] = {}
    for module_name in _public_modules():
        module = _import_optional(module_name)
        if module is None:
            continue
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)
            if not (inspect.isclass(obj) and issubclass(obj, BaseEstimator)):
                continue
            if not obj.__module__.startswith("sktricks.") or inspect.isabstract(obj):
                continue
            if _matches(obj, type_filter):
                found[name] = obj
    return sorted(found.items())


def _matches(cls: type, type_filter: str | None) -> bool:
    if type_filter is None:
        return True
    checks = {
        "classifier": lambda c: (
            getattr(c, "_estimator_type", None) == "classifier"
            or "ClassifierMixin" in _base_names(c)
        ),
        "regressor": lambda c: "RegressorMixin" in _base_names(c),
        "transformer": lambda c: hasattr(c, "transform"),
        "sampler": lambda c: hasattr(c, "fit_resample"),
    }
    if type_filter not in checks:
        raise ValueError(
            f"type_filter={type_filter!r} is not supported; use one of "
            f"{sorted(checks)} or None."
        )
    return bool(checks[type_filter](cls))


def _base_names(cls: type) -> set[str]:
    return {base.__name__ for base in inspect.getmro(cls)}
