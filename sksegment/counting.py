"""The final estimator of a pipeline: objects per image."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from sksegment import _kernels
from sksegment._base import ImageStepMixin
from sksegment._chunks import Global
from sksegment._docstrings import fill_doc
from sksegment._validation import StrictInterval, as_objects

__all__ = ["ObjectCounter"]


@fill_doc
class ObjectCounter(ImageStepMixin, RegressorMixin, BaseEstimator):
    """Count the objects of each image: the end of a counting pipeline.

    A regressor whose prediction is the number of objects per image, so a
    pipeline ending with it can be scored against true counts (for example
    ``scoring="neg_mean_absolute_error"`` in ``GridSearchCV``; its
    cross-validation is ``KFold``, not stratified).

    Parameters
    ----------
    %(connectivity)s
        Only used for masks.
    image_shape : tuple of int or None, default=None
        When set, ``X`` may be a 2D array of flattened images, one per row,
        each of this shape (one entry may be -1).
    n_jobs : int or None, default=None
        Number of threads over the images of a batch; None means 1, -1 means
        all cores.  The result does not depend on it.

    Attributes
    ----------
    %(n_features_in_)s

    See Also
    --------
    ComponentLabeler : Labels the objects that are counted.

    Notes
    -----
    For a label image the count is the number of distinct nonzero ids; for a
    mask (bool, or float read as its nonzero pixels) it is the number of its
    connected components.  The step learns nothing: ``fit`` validates ``X``
    and ``y`` (when given), and ``predict`` works unfitted.  ``score`` is the
    coefficient of determination R², as for every scikit-learn regressor.
    On a dask array ``predict`` returns a lazy 1D dask array of counts
    (:ref:`dask-split-chunks`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksegment import ObjectCounter
    >>> masks = np.array([[[1, 0, 0, 1],
    ...                    [0, 1, 0, 1],
    ...                    [0, 0, 0, 0]]], dtype=bool)
    >>> ObjectCounter().predict(masks)
    array([2])
    >>> ObjectCounter(connectivity=1).predict(masks)
    array([3])
    """

    _parameter_constraints = {
        **ImageStepMixin._parameter_constraints,
        "connectivity": [None, StrictInterval(Integral, 1, 3, closed="both")],
    }
    _stateless = True

    def __init__(self, connectivity=None, *, image_shape=None, n_jobs=None):
        self.connectivity = connectivity
        self.image_shape = image_shape
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.regressor_tags.poor_score = True  # it counts; it does not learn y
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the batch (and ``y`` when given); nothing is learned.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...) or list of ndarray
            Masks or label images.
        y : array-like of shape (n_images,), batch of label images or None, \
                default=None
            True counts, or true label images (for a pipeline scored both on
            counts and on masks); validated, not used.

        Returns
        -------
        self : object
            The step.
        """
        batch = self._validate_batch(X, reset=True)
        if y is None:
            return self
        if isinstance(y, (list, tuple)) or getattr(y, "ndim", 1) > 2:
            # true label images (scored by a segmentation scorer): not used
            check_consistent_length(np.empty(len(batch)), y)
            return self
        y = column_or_1d(check_array(y, ensure_2d=False, input_name="y"), warn=True)
        check_consistent_length(np.empty(len(batch)), y)
        return self

    def _count(self, image, out=None):
        objects, is_labels = as_objects(image, "ObjectCounter", self.connectivity)
        if is_labels:
            return _kernels.count_labels(objects)
        return _kernels.count_mask(objects, self.connectivity)

    def predict(self, X):
        """Count the objects of each image.

        Parameters
        ----------
        X : ndarray of shape (n_images, ...), list of ndarray or dask array
            Masks or label images.

        Returns
        -------
        counts : ndarray of shape (n_images,), dtype int64
            Number of objects in each image; a lazy dask array for a dask
            ``X``.
        """
        self._check_ready()
        batch = self._validate_batch(X, reset=False)
        counts = batch.map(self._count, n_jobs=self.n_jobs, split=self._on_split_chunks)
        return counts.astype(np.int64, copy=False)  # lazy for a dask batch

    def _on_split_chunks(self, batch):
        """Counts of masks chunked within images: objects joined across chunks."""
        return Global(self._count_split)

    def _count_split(self, batch):
        from sksegment._dask import global_ids, global_objects, reads_labels

        if reads_labels(batch):
            return global_ids(batch, "count")[1]
        return global_objects(batch, self.connectivity, "label", result=False)[1]
