import csv
import os
import pathlib
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from sklearn.model_selection import GridSearchCV

import sksegment as sks
from sksegment.cli import main
from sksegment.datasets import make_objects
from sksegment.io import load_images, load_pipeline, save_labels, save_pipeline
from sksegment.plot import overlay

REPO = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def run(capsys):
    """The command line in process: (exit code, stdout, stderr)."""

    def call(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """make_objects images as PNG and TIFF, true label images and counts."""
    root = tmp_path_factory.mktemp("cli")
    data = make_objects(n_images=6, shape=(96, 96), radius=(5, 9), random_state=0)
    (root / "images").mkdir()
    (root / "masks").mkdir()
    paths = []
    for i, (image, labels) in enumerate(zip(data.images, data.labels)):
        path = root / "images" / (f"im{i}.png" if i % 2 else f"im{i}.tif")
        if i % 2:
            iio.imwrite(path, image)
        else:
            tifffile.imwrite(path, image)
        save_labels(root / "masks" / f"im{i}.tif", labels)
        paths.append(path)
    with open(root / "counts.csv", "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["path", "count"])
        rows.writerows([f"images/{p.name}", c] for p, c in zip(paths, data.counts))
    return root, data, paths


def _recipe(threshold=None, size=5, min_area=101):
    return sks.make_pipeline(
        sks.OtsuThresholder(threshold),
        sks.MorphCloser(size),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=min_area),
        sks.ObjectCounter(),
    )


def test_count_on_bundled_coins_at_120(capsys):
    assert main(["count", "--threshold", "120"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2:] == ["24", "120"]


def test_count_default_learns_otsu(capsys):
    assert main(["count"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2:] == ["21", "107"]


def test_count_folder_writes_csv_equal_to_the_pipeline(folder, tmp_path, run):
    root, data, paths = folder
    code, _, err = run(
        "count",
        root / "images",
        "--min-area",
        30,
        "--csv",
        tmp_path / "out.csv",
        "--overlay",
        tmp_path / "overlays",
    )
    assert code == 0, err
    with open(tmp_path / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    images, names = load_images(root / "images")
    pipe = _recipe(min_area=30).fit(images)
    assert [int(r["count"]) for r in rows] == pipe.predict(images).tolist()
    assert [r["path"] for r in rows] == names
    assert {r["threshold"] for r in rows} == {f"{pipe[0].threshold_:g}"}
    for path, image in zip(paths, images):
        picture = iio.imread(tmp_path / "overlays" / f"{path.name}.png")
        expected = overlay(image, pipe[:-1].transform([image])[0], numbers=True)
        np.testing.assert_array_equal(picture, expected)


def test_count_with_a_saved_pipeline(folder, tmp_path, run):
    root, data, _ = folder
    pipe = _recipe(threshold=130, size=3, min_area=30).fit(data.images)
    save_pipeline(pipe, tmp_path / "pipe.skops")
    code, out, err = run(
        "count", root / "images", "--pipeline", tmp_path / "pipe.skops"
    )
    assert code == 0, err
    counts = [int(line.split()[1]) for line in out.splitlines()[1:]]
    images, _ = load_images(root / "images")
    assert counts == pipe.predict(images).tolist()


def test_tune_on_counts_finds_the_parameters_of_gridsearchcv(folder, tmp_path, run):
    root, data, _ = folder
    code, out, err = run(
        "tune",
        root / "images",
        "--counts",
        root / "counts.csv",
        "--threshold",
        "otsu,110:150:20",
        "--close",
        "1,3",
        "--min-area",
        "30,60",
        "--save",
        tmp_path / "tuned.skops",
        "--plot",
        tmp_path / "search.png",
    )
    assert code == 0, err
    printed = dict(line.split() for line in out.splitlines() if line.startswith("  "))
    images, _ = load_images(root / "images")
    grid = {
        "otsuthresholder__threshold": [None, 110.0, 130.0, 150.0],
        "morphcloser__size": [1, 3],
        "areafilter__min_area": [30.0, 60.0],
    }
    search = GridSearchCV(_recipe(), grid, scoring="neg_mean_absolute_error", cv=3)
    search.fit(images, data.counts)
    best = search.best_params_
    threshold = best["otsuthresholder__threshold"]
    assert printed["threshold"] == ("otsu" if threshold is None else f"{threshold:g}")
    assert printed["size"] == f"{best['morphcloser__size']}"
    assert printed["min_area"] == f"{best['areafilter__min_area']:g}"
    tuned = load_pipeline(tmp_path / "tuned.skops")  # a skops file, no pickle
    np.testing.assert_array_equal(tuned.predict(images), search.predict(images))
    assert iio.imread(tmp_path / "search.png").ndim == 3


def test_tune_on_masks(folder, run):
    root, _, _ = folder
    code, out, err = run(
        "tune", root / "images", "--masks", root / "masks", "--close", "1,3",
        "--min-area", "30",
    )  # fmt: skip
    assert code == 0, err
    assert "object F1 at IoU 0.5: 1.000" in out


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda r, t: ["count", t / "missing.png"], "missing.png"),
        (lambda r, t: ["count", _write(t / "notes.png", "not an image")], "notes.png"),
        (lambda r, t: ["count", _mkdir(t / "empty")], "empty"),
        (lambda r, t: ["count", "--close", "0"], "size"),
        (
            lambda r, t: [
                "tune",
                r / "images",
                "--counts",
                _write(t / "c.csv", "path,count\nimages/nope.png,3\n"),
            ],
            "nope.png (line 2)",
        ),
        (
            lambda r, t: [
                "tune",
                r / "images",
                "--counts",
                _write(t / "d.csv", "path,count\n"),
            ],
            "d.csv",
        ),
        (lambda r, t: ["tune", r / "images", "--masks", t / "nomasks"], "nomasks"),
    ],
    ids=[
        "missing",
        "not-an-image",
        "empty-folder",
        "bad-size",
        "unknown-path",
        "no-rows",
        "no-masks",
    ],
)
def test_user_mistakes_give_one_line_and_a_failure_code(
    folder, tmp_path, make_args, message, run, monkeypatch
):
    root, _, _ = folder
    monkeypatch.chdir(root)
    code, _, err = run(*make_args(root, tmp_path))
    assert code == 1
    assert message in err
    _one_line(err)


def _one_line(err):
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("sksegment ")


def _write(path, text):
    path.write_text(text)
    return path


def _mkdir(path):
    path.mkdir()
    return path


def test_colour_images_need_a_choice(tmp_path, capsys):
    rgb = np.zeros((40, 40, 3), dtype=np.uint8)
    rgb[10:20, 10:20] = 200
    iio.imwrite(tmp_path / "rgb.png", rgb)
    assert main(["count", str(tmp_path / "rgb.png")]) == 1
    assert "rgb.png" in capsys.readouterr().err
    assert main(["count", str(tmp_path / "rgb.png"), "--gray", "--min-area", "1"]) == 0


def test_bad_option_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["count", "--threshold", "high"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["tune", "x", "--counts", "c.csv", "--close", "7:1:2"])
    assert exc.value.code == 2


def test_python_dash_m_runs_the_command_line():
    """The one subprocess test: ``python -m sksegment`` is the entry point."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "sksegment", "count", "--threshold", "120"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[-2:] == ["24", "120"]


def test_failed_write_leaves_no_partial_file(folder, tmp_path, run):
    root, _, _ = folder
    code, _, err = run(
        "count", root / "images", "--csv", tmp_path / "nofolder" / "out.csv"
    )
    assert code == 1
    _one_line(err)
    assert not (tmp_path / "nofolder").exists()
    assert list(tmp_path.iterdir()) == []
