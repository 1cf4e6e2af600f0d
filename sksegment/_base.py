"""Base classes shared by every step: parameters, tags and the batch template."""

from numbers import Integral

from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import validate_parameter_constraints
from sklearn.utils._set_output import ADAPTERS_MANAGER
from sklearn.utils.validation import check_is_fitted

from sksegment._batch import validate_images
from sksegment._chunks import whole_images_only
from sksegment._docstrings import fill_doc
from sksegment._validation import StrictInterval

__all__ = ["ImageStepMixin", "ImageTransformer", "validate_batch"]


def validate_batch(step, X, *, reset, finite=True):
    """Validate ``X`` as a batch of images for ``step``: the ``Batch`` it is.

    An ndarray, list or tuple gives an ``ImageBatch``
    (``_batch.validate_images``); a dask array a ``DaskBatch``
    (``_dask.validate_dask_batch``; dask is imported only then).

    Parameters
    ----------
    step : estimator or str
        The step, whose class name is used in messages and whose
        ``image_shape`` says whether ``X`` holds flattened images; or the
        name of a function that takes batches of images.
    X : ndarray, list, tuple or dask array
        The batch.
    reset : bool
        In flattened mode, whether to record ``n_features_in_`` (in ``fit``)
        rather than check it (in ``transform``).
    finite : bool, default=True
        Whether NaN and infinite values are rejected.

    Returns
    -------
    batch : sksegment._batch.Batch
    """
    if hasattr(X, "__dask_graph__"):
        from sksegment._dask import validate_dask_batch

        return validate_dask_batch(step, X, reset=reset, finite=finite)
    return validate_images(step, X, reset=reset, finite=finite)


# Parameter sets already validated, per class: a stateless step validates its
# parameters on every call, and a grid search calls it thousands of times.
_VALID_PARAMS = {}


def _validate_cached(step):
    """Validate a step's parameters, remembering hashable sets that passed.

    Does what ``BaseEstimator._validate_params`` does, without its
    ``get_params`` (signature inspection) and constraint parsing on every call.
    """
    params = {name: getattr(step, name) for name in step._parameter_constraints}
    try:
        # types too: 5, 5.0 and True are equal keys but not equally valid
        key = (type(step), tuple((k, type(v), v) for k, v in params.items()))
        if key in _VALID_PARAMS:
            return
    except TypeError:  # an unhashable value, such as a list: validate every time
        key = None
    validate_parameter_constraints(
        step._parameter_constraints, params, caller_name=type(step).__name__
    )
    step._check_params()
    if key is not None and len(_VALID_PARAMS) < 4096:
        _VALID_PARAMS[key] = True


class ImageStepMixin:
    """What every step shares: ``image_shape``, ``n_jobs`` and the image tags.

    Subclasses list their own parameters in ``_parameter_constraints`` merged
    with ``ImageStepMixin._parameter_constraints``, and may define
    ``_check_params()`` for checks across parameters.  Steps that learn
    nothing set ``_stateless = True``: they need no ``fit`` and validate their
    parameters on every call instead.
    """

    _parameter_constraints = {
        "image_shape": [None, tuple, list],
        "n_jobs": [None, StrictInterval(Integral, None, None, closed="neither")],
    }
    _stateless = False
    _on_split_chunks = whole_images_only
    # What the step reads: "objects" (masks or label images) or "intensity"
    # images; the tests build each step's input from it.
    _reads = "objects"
    # Whether NaN and infinite values are rejected.
    _finite_input = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "_on_split_chunks" not in vars(cls):
            cls._on_split_chunks = whole_images_only

    def _check_params(self):
        """Checks across parameters; raise ``InvalidParameterError``."""

    def _validate_batch(self, X, *, reset):
        return validate_batch(self, X, reset=reset, finite=self._finite_input)

    def _check_ready(self):
        """Before transform/predict: validate parameters or require fit."""
        if self._stateless:
            _validate_cached(self)
        else:
            check_is_fitted(self)

    def __sklearn_is_fitted__(self):
        if self._stateless:
            return True
        return any(
            name.endswith("_") and not name.startswith("__") for name in vars(self)
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = self.image_shape is not None
        tags.input_tags.three_d_array = True
        tags.requires_fit = not self._stateless
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = []
        return tags


class ImageTransformer(ImageStepMixin, TransformerMixin, BaseEstimator):
    """Template for steps that turn a batch of images into a batch of images.

    ``fit`` validates the parameters and the batch, then calls
    ``_fit(batch)``; ``transform`` validates the batch and maps
    ``_transform_image`` (one image in, one image out) over it.

    For a dask array, the map is lazy: chunks holding whole images run
    ``_transform_image``; images split into chunks run as the step's
    ``_on_split_chunks(batch)`` plans (``sksegment._chunks``), and ``_fit``
    checks ``batch.kind == "dask"`` when it can learn by reducing over
    chunks.
    """

    def _fit(self, batch):
        """Learn from a validated batch; stateless steps learn nothing."""

    def _transform_image(self, image, out=None):  # pragma: no cover - abstract
        """The result for one image, written into ``out`` when it is given."""
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit(self, X, y=None):
        """Validate the parameters and the batch and learn what the step needs.

        Parameters
        ----------
        %(batch_X)s
        %(y_ignored)s

        Returns
        -------
        self : object
            The fitted step.
        """
        self._check_params()
        self._fit(self._validate_batch(X, reset=True))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit_transform(self, X, y=None):
        """Fit to ``X`` and transform it, validating ``X`` once.

        Parameters
        ----------
        %(batch_X)s
        %(y_ignored)s

        Returns
        -------
        Xt : ndarray, list of ndarray or dask array
            The transformed batch, in the container kind of ``X`` (lazy for
            a dask array).
        """
        self._check_params()
        batch = self._validate_batch(X, reset=True)
        self._fit(batch)
        return batch.map(
            self._transform_image, n_jobs=self.n_jobs, split=self._on_split_chunks
        )

    def set_output(self, *, transform=None):
        """Accept an output container and ignore it: images stay arrays.

        Lets ``Pipeline.set_output(transform="pandas")`` reach a final
        tabular step such as :class:`~sksegment.RegionFeatures`, as
        scikit-learn's own non-tabular transformers do.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Checked like scikit-learn's ``set_output``, then ignored.

        Returns
        -------
        self : object
            The step, unchanged.
        """
        supported = sorted(ADAPTERS_MANAGER.supported_outputs)
        if transform is not None and transform not in supported:
            raise ValueError(
                f"{type(self).__name__}.set_output: transform must be one of "
                f"{supported} or None, got {transform!r}"
            )
        return self

    @fill_doc
    def transform(self, X):
        """Apply the step to every image of ``X``.

        Parameters
        ----------
        %(batch_X)s

        Returns
        -------
        Xt : ndarray, list of ndarray or dask array
            The transformed batch, in the container kind of ``X`` (lazy for
            a dask array); the input is never modified.
        """
        self._check_ready()
        batch = self._validate_batch(X, reset=False)
        return batch.map(
            self._transform_image, n_jobs=self.n_jobs, split=self._on_split_chunks
        )
