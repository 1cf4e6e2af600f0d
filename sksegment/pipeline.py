"""A Pipeline that does not transform training images for steps that learn nothing.

A scikit-learn ``Pipeline`` fits a chain by calling ``fit_transform`` on
every step but the last, so each training image runs through every step even
when nothing after a step learns from its output.  In a counting pipeline
only the thresholder learns: closing, border clearing, labeling, filtering
and counting do the same to any image.  ``Pipeline.fit`` here fits the steps
up to the last one that learns and stops, so a grid search spends its time on
the images it scores.  Everything else (``predict``, ``transform``,
``get_params``, ``clone``, pickling, ``GridSearchCV``) is scikit-learn's.
"""

import sklearn.pipeline
from sklearn.utils import get_tags
from sklearn.utils.validation import check_consistent_length

__all__ = ["Pipeline", "make_pipeline"]


def _requires_fit(step):
    return step not in (None, "passthrough") and get_tags(step).requires_fit


class Pipeline(sklearn.pipeline.Pipeline):
    """A scikit-learn ``Pipeline`` whose ``fit`` skips steps that learn nothing.

    ``fit`` fits the steps up to the last one whose tags say it requires
    fitting (``requires_fit``), transforming the training data only as far as
    those steps need it.  The steps after it learn nothing from data; their
    parameters are validated, and they are used as they are by ``predict``,
    ``transform`` and ``score``.  Predictions are identical to those of
    ``sklearn.pipeline.Pipeline`` with the same steps.

    When every step requires fitting, with fit parameters, ``memory`` or
    ``transform_input``, ``fit`` is scikit-learn's own.

    Parameters
    ----------
    steps : list of tuple
        ``(name, estimator)`` pairs, as for ``sklearn.pipeline.Pipeline``.
    transform_input : list of str or None, default=None
        As for ``sklearn.pipeline.Pipeline``.
    memory : str, object with the joblib.Memory interface or None, default=None
        As for ``sklearn.pipeline.Pipeline``.
    verbose : bool, default=False
        As for ``sklearn.pipeline.Pipeline``.

    Attributes
    ----------
    named_steps : Bunch
        The steps by name.

    See Also
    --------
    make_pipeline : Build a Pipeline, naming the steps after their classes.
    sklearn.pipeline.Pipeline : The parent class.

    Examples
    --------
    >>> import numpy as np
    >>> import sksegment as sks
    >>> images = np.zeros((2, 20, 20), dtype=np.uint8)
    >>> images[:, 5:9, 5:9] = images[:, 12:15, 11:16] = 200
    >>> images[1, 2, 2] = 90
    >>> pipe = sks.make_pipeline(
    ...     sks.OtsuThresholder(), sks.ComponentLabeler(), sks.ObjectCounter()
    ... )
    >>> pipe.fit(images).predict(images)
    array([2, 2])
    >>> pipe[0].threshold_
    90
    """

    def fit(self, X, y=None, **params):
        """Fit the steps that learn, in order, and validate the others.

        Parameters
        ----------
        X : iterable
            Training data, as the first step takes it.
        y : iterable or None, default=None
            Training targets.
        **params : dict of str -> object
            Fit parameters; when given, scikit-learn's ``fit`` runs.

        Returns
        -------
        self : object
            The pipeline.
        """
        steps = [step for _, step in self.steps]
        needed = [i for i, step in enumerate(steps) if _requires_fit(step)]
        last = needed[-1] if needed else -1
        if (
            params
            or self.memory is not None
            or getattr(self, "transform_input", None) is not None
            or last == len(steps) - 1
        ):
            return super().fit(X, y, **params)
        self._validate_steps()
        if y is not None:
            check_consistent_length(X, y)
        Xt = X
        for i, step in enumerate(steps):
            if step in (None, "passthrough"):
                continue
            if i < last:
                Xt = step.fit_transform(Xt, y)
            elif i == last:
                step.fit(Xt, y)
            elif hasattr(step, "_validate_params"):
                step._validate_params()
                if hasattr(step, "_check_params"):
                    step._check_params()
        return self


def make_pipeline(*steps, **kwargs):
    """Build a :class:`Pipeline`, naming the steps after their classes.

    The same as ``sklearn.pipeline.make_pipeline``, for
    :class:`sksegment.pipeline.Pipeline`.

    Parameters
    ----------
    *steps : list of estimators
        The steps, in order.
    **kwargs : dict
        ``memory``, ``transform_input`` and ``verbose``, as for
        ``sklearn.pipeline.make_pipeline``.

    Returns
    -------
    pipeline : Pipeline
        The steps chained, named after their classes in lower case.

    Examples
    --------
    >>> import sksegment as sks
    >>> sks.make_pipeline(sks.OtsuThresholder(), sks.ObjectCounter())
    Pipeline(steps=[('otsuthresholder', OtsuThresholder()),
                    ('objectcounter', ObjectCounter())])
    """
    base = sklearn.pipeline.make_pipeline(*steps, **kwargs)
    return Pipeline(**base.get_params(deep=False))
