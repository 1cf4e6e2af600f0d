"""Find the public estimators of sksegment, for tests and documentation."""

import inspect

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def all_estimators():
    """The public estimators of sksegment, as (name, class) pairs sorted by name.

    Every class exported from ``sksegment`` that is a scikit-learn estimator
    is listed, so the conformance tests cover a new step as soon as it is
    exported.

    Returns
    -------
    estimators : list of (str, type)

    Examples
    --------
    >>> from sksegment.discovery import all_estimators
    >>> [name for name, _ in all_estimators()][:2]
    ['AreaFilter', 'BorderClearer']
    """
    import sksegment

    found = []
    for name in sksegment.__all__:
        obj = getattr(sksegment, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            found.append((name, obj))
    return sorted(found)
