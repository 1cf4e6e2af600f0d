"""A dask.distributed cluster of worker processes: the same results as local.

The fitted steps and the graphs' callables are pickled to the workers, which
import sksegment themselves: nothing may depend on the client's process.
"""

import os

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV

import sksegment as sks
from sksegment.datasets import make_objects

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # workers are spawned with the client's sys.path, so they import the
    # sksegment under test (checked in the first test)
    with (
        distributed.LocalCluster(
            processes=True,
            n_workers=2,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def recipe():
    return sks.make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(3),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=30),
        sks.ObjectCounter(),
    )


def _sksegment_file():
    import sksegment

    return sksegment.__file__


def _ids_in_several_chunks(labels, chunks):
    """The ids found in more than one chunk of a label image."""
    seen, shared = set(), set()
    for rows in np.array_split(labels, np.cumsum(chunks[1])[:-1], axis=0):
        for block in np.array_split(rows, np.cumsum(chunks[2])[:-1], axis=1):
            ids = set(np.unique(block[block > 0]).tolist())
            shared |= seen & ids
            seen |= ids
    return shared


def test_the_workers_are_processes_importing_the_sksegment_under_test(client):
    workers = client.run(os.getpid)
    assert len(set(workers.values())) == 2 and os.getpid() not in workers.values()
    assert set(client.run(_sksegment_file).values()) == {_sksegment_file()}


@pytest.mark.parametrize(
    "chunks", [(1, 40, 24), (1, -1, -1)], ids=["within-images", "along-images"]
)
def test_fitted_recipe_on_worker_processes_equals_threads_and_memory(client, chunks):
    data = make_objects(n_images=2, shape=(64, 64), radius=(5, 8), random_state=3)
    images = data.images
    pipe = recipe().fit(images)
    labels, counts = pipe[:-1].transform(images), pipe.predict(images)
    assert counts.min() > 0
    np.testing.assert_array_equal(counts, data.counts)  # the true counts

    Xd = da.from_array(images, chunks=chunks)
    lazy = pipe[:-1].transform(Xd), pipe.predict(Xd)
    threads = dask.compute(*lazy, scheduler="threads")
    on_cluster = client.compute(list(lazy), sync=True)  # steps pickled
    for got in (threads, on_cluster):
        np.testing.assert_array_equal(got[0], labels)
        np.testing.assert_array_equal(got[1], counts)
    if chunks[1] != -1:  # objects cut by chunk borders were joined
        assert any(_ids_in_several_chunks(image, Xd.chunks) for image in labels)

    # fitting on the dask array: the threshold learned on the cluster
    learned = recipe().fit(Xd)  # the client is dask's default scheduler
    assert learned[0].threshold_ == pipe[0].threshold_


def test_grid_search_under_the_dask_backend_on_processes(client):
    data = make_objects(n_images=6, shape=(48, 48), radius=(5, 7), random_state=4)
    grid = {"otsuthresholder__threshold": [None, 150], "morphcloser__size": [1, 5]}

    def search(**kwargs):
        return GridSearchCV(
            recipe(), grid, cv=3, scoring="neg_mean_absolute_error", **kwargs
        ).fit(data.images, data.counts)

    local = search()
    with parallel_backend("dask"):
        remote = search(n_jobs=-1)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    # the candidates are told apart: a search that could not fail would not be
    assert len(set(local.cv_results_["mean_test_score"])) > 1


def test_pixel_classifier_on_split_chunks_on_worker_processes(client):
    rng = np.random.default_rng(5)
    images = rng.integers(0, 80, size=(2, 40, 44)).astype(np.uint8)
    masks = np.zeros(images.shape, dtype=bool)
    masks[:, 6:18, 8:20] = masks[:, 24:34, 26:40] = True
    images[masks] += 100
    pipe = sks.make_pipeline(
        sks.PixelClassifier(
            RandomForestClassifier(5, max_depth=6, random_state=0),
            features=sks.PixelFeatures(sigma_max=2),
            output="mask",
            random_state=0,
        ),
        sks.ComponentLabeler(),
    ).fit(images, masks)
    expected = pipe.transform(images)
    assert expected.max(axis=(1, 2)).tolist() == [2, 2]
    lazy = pipe.transform(da.from_array(images, chunks=(1, 16, 12)))
    np.testing.assert_array_equal(client.compute(lazy, sync=True), expected)
