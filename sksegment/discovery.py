"""Find the public estimators of sksegment, for tests and documentation."""

import inspect

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def all_estimators():
    """The public steps of sksegment, as (name, class) pairs sorted by name.

    Every estimator exported from ``sksegment`` that works on batches of
    images is listed (not the ``Pipeline`` that chains them), so the
    conformance tests cover a new step as soon as it is exported.

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
    from sksegment._base import ImageStepMixin

    found = []
    for name in sksegment.__all__:
        obj = getattr(sksegment, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, BaseEstimator)
            and issubclass(obj, ImageStepMixin)
        ):
            found.append((name, obj))
    return sorted(found)
