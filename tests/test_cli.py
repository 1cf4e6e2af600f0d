import csv
import os
import pathlib
import pickle
import runpy
import sys

import imageio.v3 as iio
import joblib
import numpy as np
import pytest
import tifffile
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV

import sksegment as sks
from sksegment.cli import main
from sksegment.datasets import make_objects, make_strokes
from sksegment.io import (
    load_images,
    load_pipeline,
    save_image,
    save_labels,
    save_pipeline,
)
from sksegment.metrics import make_segmentation_scorer
from sksegment.plot import overlay

from conftest import make_hard, recipe

REPO = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def run(capsys):
    """The command line in process: (exit code, stdout, stderr)."""

    def call(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def _count_rows(out):
    """The counts ``count`` printed, one a row after the header."""
    return [int(line.split()[1]) for line in out.splitlines()[1:]]


def _assert_counts_of(pipe, images_folder, out):
    """``out`` lists the counts ``pipe`` predicts for the folder's images."""
    images, _ = load_images(images_folder)
    assert _count_rows(out) == pipe.predict(images).tolist()


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
    pipe = recipe(min_area=30).fit(images)
    assert [int(r["count"]) for r in rows] == pipe.predict(images).tolist()
    assert [r["path"] for r in rows] == names
    assert {r["threshold"] for r in rows} == {f"{pipe[0].threshold_:g}"}
    for path, image in zip(paths, images):
        picture = iio.imread(tmp_path / "overlays" / f"{path.name}.png")
        expected = overlay(image, pipe[:-1].transform([image])[0], numbers=True)
        np.testing.assert_array_equal(picture, expected)


def test_count_with_a_saved_pipeline(folder, tmp_path, run):
    root, data, _ = folder
    pipe = recipe(threshold=130, size=3, min_area=30).fit(data.images)
    save_pipeline(pipe, tmp_path / "pipe.skops")
    code, out, err = run(
        "count", root / "images", "--pipeline", tmp_path / "pipe.skops"
    )
    assert code == 0, err
    _assert_counts_of(pipe, root / "images", out)


@pytest.mark.parametrize(
    "flags",
    [
        ["--threshold", "50"],
        ["--threshold", "otsu"],
        ["--close", "5"],
        ["--min-area", "10", "--max-area", "99"],
    ],
)
def test_recipe_options_with_a_saved_pipeline_are_refused(folder, tmp_path, run, flags):
    # issue 15 item 5: --pipeline with --threshold 50 ignored the threshold
    root, data, _ = folder
    save_pipeline(recipe(threshold=130).fit(data.images), tmp_path / "pipe.skops")
    code, out, err = run(
        "count", root / "images", "--pipeline", tmp_path / "pipe.skops", *flags
    )
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert all(flag in err for flag in flags if flag.startswith("--"))


def test_tune_on_counts_finds_the_parameters_of_gridsearchcv(
    folder, tmp_path, run, monkeypatch
):
    import matplotlib.pyplot as plt

    closed, close = [], plt.close  # the heatmap's figure, kept when tune closes it
    monkeypatch.setattr(plt, "close", closed.append)
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
    search = GridSearchCV(recipe(), grid, scoring="neg_mean_absolute_error", cv=3)
    search.fit(images, data.counts)
    best = search.best_params_
    threshold = best["otsuthresholder__threshold"]
    # named by their flags (issue 15 item 12)
    assert printed["--threshold"] == ("otsu" if threshold is None else f"{threshold:g}")
    assert printed["--close"] == f"{best['morphcloser__size']}"
    assert printed["--min-area"] == f"{best['areafilter__min_area']:g}"
    tuned = load_pipeline(tmp_path / "tuned.skops")  # a skops file, no pickle
    np.testing.assert_array_equal(tuned.predict(images), search.predict(images))
    assert iio.imread(tmp_path / "search.png").ndim == 3
    # the heatmap speaks the flags and the metric's own sign (issue 15 item 12)
    ax, bar = closed[0].axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("--threshold", "--close")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["otsu", "110", "130", "150"]
    assert bar.get_ylabel() == "mean absolute count error"
    best_area = best["areafilter__min_area"]
    errors = [
        -score
        for score, params in zip(
            search.cv_results_["mean_test_score"], search.cv_results_["params"]
        )
        if params["areafilter__min_area"] == best_area
    ]
    assert not any(t.get_text().startswith("-") for t in ax.texts)
    shown = sorted(float(t.get_text()) for t in ax.texts)
    np.testing.assert_allclose(shown, sorted(errors), rtol=5e-3)
    close(closed[0])


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
    assert err.startswith("sksegment")


def _write(path, text):
    path.write_text(text)
    return path


def _mkdir(path):
    path.mkdir()
    return path


def test_colour_images_need_a_choice(tmp_path, capsys):
    _rgb(tmp_path / "rgb.png")
    assert main(["count", str(tmp_path / "rgb.png")]) == 1
    assert "rgb.png" in capsys.readouterr().err
    assert main(["count", str(tmp_path / "rgb.png"), "--gray", "--min-area", "1"]) == 0


def test_bad_option_is_a_usage_error(run):
    # one line naming the flag, exit code 1 as every failure (issue 15)
    code, _, err = run("count", "--threshold", "high")
    assert code == 1 and "argument --threshold" in err
    _one_line(err)
    code, _, err = run("tune", "x", "--counts", "c.csv", "--close", "7:1:2")
    assert code == 1 and "argument --close" in err
    _one_line(err)


def test_python_dash_m_and_the_console_script_run_main(capsys, monkeypatch):
    """``python -m sksegment`` and the ``sksegment`` script exit with main's code.

    In process (runpy runs ``__main__`` as ``python -m`` does); a fresh
    interpreter importing sksegment is tested in test_features.py.
    """
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="sksegment")
    assert script.load() is main
    monkeypatch.setattr(sys, "argv", ["sksegment", "count", "--threshold", "120"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("sksegment", run_name="__main__", alter_sys=True)
    assert exit_.value.code == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2:] == ["24", "120"]
    monkeypatch.setattr(sys, "argv", ["sksegment", "count", "--threshold", "high"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("sksegment", run_name="__main__", alter_sys=True)
    assert exit_.value.code == 1
    _one_line(capsys.readouterr().err)


def test_failed_write_leaves_no_partial_file(folder, tmp_path, run):
    root, _, _ = folder
    code, _, err = run(
        "count", root / "images", "--csv", tmp_path / "nofolder" / "out.csv"
    )
    assert code == 1
    _one_line(err)
    assert not (tmp_path / "nofolder").exists()
    assert list(tmp_path.iterdir()) == []


# --- issue 12: outputs never lose a file ----------------------------------------


def _tree(root, files):
    """{relative path: bytes} of every file below ``root``."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def victim(folder, tmp_path):
    """A folder of the user's images, in tmp_path."""
    root, _, paths = folder
    target = tmp_path / "victim"
    target.mkdir()
    for path in paths[:2]:
        (target / path.name).write_bytes(path.read_bytes())
    return target


@pytest.mark.parametrize("how", ["folder", "glob"])
def test_overlay_into_the_folder_of_the_inputs_is_refused(victim, run, how):
    before = _tree(victim, None)
    given = victim if how == "folder" else victim / "*.png"
    code, out, err = run("count", given, "--overlay", victim, "--force")
    assert code == 1 and out == ""
    assert "--overlay" in err and "input" in err
    _one_line(err)
    assert _tree(victim, None) == before


def test_csv_onto_an_input_is_refused_before_reading_even_with_force(victim, run):
    before = _tree(victim, None)
    first = sorted(victim.iterdir())[0]
    # an unreadable image is read later, so the output error comes first
    _write(victim / "zz_broken.png", "not an image")
    for extra in [[], ["--force"]]:
        code, _, err = run("count", victim, "--csv", first, *extra)
        assert code == 1
        assert f"--csv {first} is an input" in err and "zz_broken" not in err
        _one_line(err)
    assert {**before, "zz_broken.png": b"not an image"} == _tree(victim, None)


def test_outputs_on_the_pipeline_file_or_each_other_are_refused(folder, tmp_path, run):
    root, data, _ = folder
    save_pipeline(recipe().fit(data.images), tmp_path / "pipe.skops")
    before = (tmp_path / "pipe.skops").read_bytes()
    code, _, err = run(
        "count", root / "images", "--pipeline", tmp_path / "pipe.skops",
        "--csv", tmp_path / "pipe.skops", "--force",
    )  # fmt: skip
    assert code == 1 and "is an input" in err
    assert (tmp_path / "pipe.skops").read_bytes() == before
    code, _, err = run(
        "tune", root / "images", "--counts", root / "counts.csv",
        "--save", tmp_path / "same", "--plot", tmp_path / "same",
    )  # fmt: skip
    assert code == 1 and "would write the same file" in err
    _one_line(err)


def test_existing_outputs_are_replaced_only_with_force(victim, tmp_path, run):
    (tmp_path / "out.csv").write_text("the user's table\n")
    overlays = tmp_path / "ov"
    overlays.mkdir()
    name = sorted(victim.iterdir())[0].name
    (overlays / f"{name}.png").write_bytes(b"the user's picture")
    for option, path in [("--csv", "out.csv"), ("--overlay", "ov")]:
        code, _, err = run("count", victim, option, tmp_path / path)
        assert code == 1 and "exists; pass --force" in err
        _one_line(err)
    assert (tmp_path / "out.csv").read_text() == "the user's table\n"
    assert (overlays / f"{name}.png").read_bytes() == b"the user's picture"
    code, out, err = run(
        "count", victim, "--csv", tmp_path / "out.csv", "--overlay", overlays,
        "--force", "--min-area", 30,
    )  # fmt: skip
    assert code == 0, err
    counts = _count_rows(out)
    with open(tmp_path / "out.csv", newline="") as f:
        assert [int(r["count"]) for r in csv.DictReader(f)] == counts
    assert iio.imread(overlays / f"{name}.png").ndim == 3


def test_tune_save_and_plot_exist_refused_without_force(folder, tmp_path, run):
    root, _, _ = folder
    (tmp_path / "tuned.skops").write_bytes(b"an older pipeline")
    code, _, err = run(
        "tune", root / "images", "--counts", root / "counts.csv",
        "--save", tmp_path / "tuned.skops",
    )  # fmt: skip
    assert code == 1 and "--save" in err and "--force" in err
    assert (tmp_path / "tuned.skops").read_bytes() == b"an older pipeline"


def test_overlays_of_inputs_with_the_same_name_do_not_collide(tmp_path, run):
    data = make_objects(n_images=3, shape=(64, 64), radius=(5, 8), random_state=1)
    (tmp_path / "good").mkdir()
    (tmp_path / "good2").mkdir()
    files = [
        tmp_path / "good" / "img1.png",
        tmp_path / "good2" / "img1.png",
        tmp_path / "good2" / "img1.tif",
    ]
    iio.imwrite(files[0], data.images[0])
    iio.imwrite(files[1], data.images[1])
    tifffile.imwrite(files[2], data.images[2])
    code, out, err = run(
        "count", *files, "--overlay", tmp_path / "ov", "--threshold", 100,
        "--min-area", 20,
    )  # fmt: skip
    assert code == 0, err
    assert len(out.splitlines()) == 4
    written = sorted(p.relative_to(tmp_path / "ov").as_posix() for p in
                     (tmp_path / "ov").rglob("*.png"))  # fmt: skip
    assert written == ["good/img1.png.png", "good2/img1.png.png", "good2/img1.tif.png"]
    pipe = recipe(threshold=100, min_area=20).fit(data.images)
    for relative, image in zip(written, data.images):
        labels = pipe[:-1].transform([image])[0]
        np.testing.assert_array_equal(
            iio.imread(tmp_path / "ov" / relative), overlay(image, labels, numbers=True)
        )


def test_an_image_given_twice_is_refused(victim, run):
    first = sorted(victim.iterdir())[0]
    code, _, err = run("count", victim, first, "--overlay", victim.parent / "ov")
    assert code == 1 and "given twice" in err
    _one_line(err)
    assert not (victim.parent / "ov").exists()


# --- issue 12: nothing loaded from a file runs code -----------------------------


def test_crafted_pickle_is_refused_and_runs_nothing(
    folder, tmp_path, run, pickle_payload
):
    root, data, _ = folder
    marker = tmp_path / "marker"
    path = tmp_path / "pipe.joblib"
    # the payload runs, then a working pipeline comes back: the run looks normal
    joblib.dump([pickle_payload(marker), recipe().fit(data.images)], path)
    code, _, err = run("count", root / "images", "--pipeline", path)
    assert code == 1 and "--unsafe-pickle" in err and "not a skops file" in err
    _one_line(err)
    assert not marker.exists()
    pickle.loads(pickle.dumps(pickle_payload(marker))).close()  # the payload is live
    assert marker.exists()


@pytest.mark.parametrize(
    "module, name", [("os", "system"), ("builtins", "open")], ids=["system", "open"]
)
def test_crafted_skops_file_is_refused_and_runs_nothing(
    folder, tmp_path, run, skops_calling, module, name
):
    root, _, _ = folder
    marker = tmp_path / "marker"
    args = [f"touch {marker}"] if name == "system" else [str(marker), "w"]
    path = skops_calling(tmp_path / "shared.skops", module, name, args)
    code, _, err = run("count", root / "images", "--pipeline", path)
    assert code == 1 and f"not trusted: {module}.{name}" in err
    _one_line(err)
    assert not marker.exists()


def test_unsafe_pickle_loads_a_joblib_file(folder, tmp_path, run):
    root, data, _ = folder
    pipe = recipe(threshold=130, size=3, min_area=30).fit(data.images)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    code, out, err = run(
        "count", root / "images", "--pipeline", tmp_path / "pipe.joblib",
        "--unsafe-pickle",
    )  # fmt: skip
    assert code == 0, err
    _assert_counts_of(pipe, root / "images", out)


class Brighten(sks.Smoother):
    """A step of the user's own: a type sksegment does not know."""


def test_trust_lets_a_listed_type_through(folder, tmp_path, run):
    root, data, _ = folder
    pipe = sks.make_pipeline(Brighten(sigma=0.5), *recipe(threshold=130)[:]).fit(
        data.images
    )
    save_pipeline(pipe, tmp_path / "mine.skops")
    kind = f"{Brighten.__module__}.{Brighten.__qualname__}"
    code, _, err = run("count", root / "images", "--pipeline", tmp_path / "mine.skops")
    assert code == 1 and f"not trusted: {kind}" in err and "--trust" in err
    code, out, err = run(
        "count", root / "images", "--pipeline", tmp_path / "mine.skops",
        "--trust", kind,
    )  # fmt: skip
    assert code == 0, err
    _assert_counts_of(pipe, root / "images", out)


# --- issue 12: no silently wrong result -------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["count", "--threshold", "nan"],
        ["count", "--threshold", "inf"],
        ["count", "--threshold=-inf"],
        ["tune", "x", "--counts", "c.csv", "--threshold", "nan"],
        ["tune", "x", "--counts", "c.csv", "--threshold", "otsu,NaN"],
        ["tune", "x", "--counts", "c.csv", "--threshold", "100:inf:10"],
    ],
)
def test_non_finite_thresholds_are_usage_errors_naming_the_flag(args, run):
    code, _, err = run(*args)
    assert code == 1
    assert "argument --threshold" in err and "finite" in err
    _one_line(err)


def test_mixed_bit_depths_are_refused_when_otsu_is_learned(tmp_path, run):
    from sksegment.datasets import load_coins

    coins = load_coins().images[0]
    iio.imwrite(tmp_path / "coins8.png", coins)
    tifffile.imwrite(tmp_path / "coins16.tif", coins.astype(np.uint16) * 257)
    code, out, err = run("count", tmp_path)
    assert code == 1 and out == ""
    assert "uint8" in err and "uint16" in err and "--threshold" in err
    _one_line(err)
    alone = []
    for name in ["coins8.png", "coins16.tif"]:
        code, out, err = run("count", tmp_path / name)
        assert code == 0, err
        alone.append(out.splitlines()[1].split()[1])
    assert alone == ["21", "21"]  # each alone, as the bundled coins
    code, out, err = run("count", tmp_path, "--threshold", 107)
    assert code == 0, err  # a threshold in each image's units is the user's choice


def _counts(tmp_path, folder, rows):
    root, _, paths = folder
    lines = ["path,count"] + [f"{paths[i]},{value}" for i, value in rows]
    return _write(tmp_path / "truth.csv", "\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "value, why",
    [
        ("-1", "not between 0"),
        ("1.5", "not a whole number"),
        ("1e23", "not a whole number"),
        ("nan", "not a whole number"),
        ("inf", "not a whole number"),
        ("1000000001", "not between 0"),
        ("99999999999999999999999", "not between 0"),
    ],
)
def test_tune_refuses_bad_counts_naming_file_line_and_value(
    folder, tmp_path, run, value, why
):
    _, data, _ = folder
    good = [(i, c) for i, c in enumerate(data.counts)]
    path = _counts(tmp_path, folder, good[:3] + [(3, value)] + good[4:])
    code, _, err = run("tune", folder[0] / "images", "--counts", path)
    assert code == 1
    assert f"{path} line 5" in err and repr(value) in err and why in err
    _one_line(err)


def test_tune_refuses_duplicate_rows_of_different_counts(folder, tmp_path, run):
    _, data, _ = folder
    good = [(i, c) for i, c in enumerate(data.counts)]
    path = _counts(tmp_path, folder, good + [(2, data.counts[2] + 13)])
    code, _, err = run("tune", folder[0] / "images", "--counts", path)
    assert code == 1
    assert f"{path} lines 4 and 8" in err
    assert f"({data.counts[2]} and {data.counts[2] + 13})" in err
    _one_line(err)


def test_tune_accepts_duplicate_rows_of_equal_counts(folder, tmp_path, run):
    _, data, _ = folder
    good = [(i, c) for i, c in enumerate(data.counts)]
    path = _counts(tmp_path, folder, good + [(2, data.counts[2])])
    code, out, err = run(
        "tune", folder[0] / "images", "--counts", path, "--threshold", "otsu",
        "--close", "3", "--min-area", "30",
    )  # fmt: skip
    assert code == 0, err
    assert "mean absolute count error" in out


def test_tune_refuses_two_label_images_for_one_image(folder, tmp_path, run):
    root, data, paths = folder
    masks = tmp_path / "masks"
    masks.mkdir()
    for path, labels in zip(paths, data.labels):
        save_labels(masks / f"{path.stem}.tif", labels)
    save_labels(masks / f"{paths[0].stem}.png", np.zeros_like(data.labels[0]))
    code, _, err = run("tune", root / "images", "--masks", masks)
    assert code == 1
    assert (
        f"{masks / paths[0].stem}.png" in err and f"{masks / paths[0].stem}.tif" in err
    )
    _one_line(err)


def test_tune_refuses_masks_for_two_images_of_the_same_name(folder, tmp_path, run):
    root, data, paths = folder
    (tmp_path / "other").mkdir()
    twin = tmp_path / "other" / paths[0].name
    twin.write_bytes(paths[0].read_bytes())
    code, _, err = run("tune", root / "images", twin, "--masks", root / "masks")
    assert code == 1 and f"{paths[0]} and {twin} have the same name" in err
    _one_line(err)


@pytest.mark.parametrize("flag", [["--trust", "os.system"], ["--unsafe-pickle"]])
def test_pipeline_flags_without_a_pipeline_are_refused(run, flag):
    code, out, err = run("count", *flag)
    assert code == 1 and out == "" and f"{flag[0]} applies to" in err
    _one_line(err)


def test_csv_onto_a_hard_link_of_an_input_is_refused(victim, tmp_path, run):
    first = sorted(victim.iterdir())[0]
    os.link(first, tmp_path / "alias.png")
    before = first.read_bytes()
    code, _, err = run("count", victim, "--csv", tmp_path / "alias.png", "--force")
    assert code == 1 and "is an input" in err
    assert first.read_bytes() == before


def test_count_with_a_closing_far_larger_than_the_images(folder, run):
    # issue 12 item 5: --close 100000 on 96x96 images ran out of memory; a
    # square wider than twice the image gives what one of 2 * 96 + 1 gives
    from skimage.measure import label
    from skimage.morphology import closing, footprint_rectangle
    from skimage.segmentation import clear_border

    root, data, paths = folder
    code, out, _ = run("count", *paths[:2], "--threshold", 100, "--close", 100000)
    assert code == 0
    counts = _count_rows(out)
    square = footprint_rectangle((2 * 96 + 1, 2 * 96 + 1))
    expected = []
    for image in data.images[:2]:
        objects = label(clear_border(closing(image > 100, square)))
        areas = np.bincount(objects.ravel())[1:]
        expected.append(int(np.sum(areas >= 101)))
    assert counts == expected


# --- train -------------------------------------------------------------------

# a small, fast forest and features for 64x64 images
FAST = [
    "--sigma-max",
    4,
    "--trees",
    10,
    "--max-depth",
    8,
    "--n-samples",
    5000,
    "--quiet",
]


def _annotated_set(root, n, seed):
    """Hard images with their label images, strokes and counts, as files."""
    data = make_hard(
        n, (64, 64), seed, n_objects=(3, 5), radius=(5, 8), texture=0.06, min_gap=6
    )
    strokes = make_strokes(data.labels, data.images, random_state=seed)
    for sub in ("images", "masks", "strokes"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        save_image(root / "images" / f"im{i}.png", data.images[i])
        save_labels(root / "masks" / f"im{i}.tif", data.labels[i])
        save_labels(root / "strokes" / f"im{i}.png", strokes[i])
    with open(root / "counts.csv", "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["path", "count"])
        rows.writerows([f"images/im{i}.png", c] for i, c in enumerate(data.counts))
    return data, strokes


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """Six training and six held-out hard images, as files."""
    root = tmp_path_factory.mktemp("train")
    train = _annotated_set(root / "train", 6, 0)
    test = _annotated_set(root / "test", 6, 1)
    return root, train, test


def _train(run, root, *args):
    return run("train", root / "train" / "images", *FAST, *args)


def _printed(out):
    """The parameters and the score printed by train."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("parameters:"))
    params = {}
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        name, value = line.split()
        params[name] = float(value)
    scores = [line for line in lines if line.startswith("cross-validated")]
    score = float(scores[0].split(": ")[1].split()[0]) if scores else None
    return params, score


def test_train_on_masks_then_count_with_the_pipeline(annotated, tmp_path, run):
    root, (train, _), (test, _) = annotated
    model = tmp_path / "model.skops"
    code, out, err = _train(
        run, root, "--masks", root / "train" / "masks",
        "--min-distance", "3:5:2", "--min-area", "25,50", "--save", model,
    )  # fmt: skip
    assert code == 0, err
    params, score = _printed(out)
    assert params["threshold"] == 0.5
    assert params["min_distance"] in (3, 5) and params["min_area"] in (25, 50)
    assert 0.6 <= score <= 1

    pipe = load_pipeline(model)  # a skops file whose types load untrusted
    assert model.read_bytes()[:2] == b"PK"  # skops is a zip archive
    assert [type(step) for _, step in pipe.steps] == [
        sks.PixelClassifier,
        sks.Thresholder,
        sks.HoleFiller,
        sks.WatershedSplitter,
        sks.AreaFilter,
        sks.ObjectCounter,
    ]
    assert pipe[1].threshold == params["threshold"]
    assert pipe[3].min_distance == params["min_distance"]
    assert pipe[4].min_area == params["min_area"]
    # the saved forest is trained on all the images with the flags' settings
    forest = RandomForestClassifier(
        10, max_depth=8, min_samples_leaf=5, max_features="sqrt", random_state=0
    )
    expected = sks.PixelClassifier(
        forest, features=sks.PixelFeatures(sigma_max=4), n_samples=5000, random_state=0
    ).fit(train.images, train.labels)
    proba = pipe[0].transform(test.images)
    np.testing.assert_array_equal(proba, expected.transform(test.images))

    code, out, err = run(
        "count",
        root / "test" / "images",
        "--pipeline",
        model,
        "--overlay",
        tmp_path / "overlays",
    )
    assert code == 0, err
    counts = np.array(_count_rows(out))
    # the threshold column shows the thresholder's, not the classifier's
    assert {line.split()[-1] for line in out.splitlines()[1:]} == {"0.5"}
    objects = pipe[1:]  # the steps after the classifier, on its probabilities
    np.testing.assert_array_equal(counts, objects.predict(proba))
    assert np.abs(counts - test.counts).mean() < 1  # held-out images
    assert len(list((tmp_path / "overlays").iterdir())) == len(test.images)
    assert make_segmentation_scorer("f1")(objects, proba, test.labels) >= 0.75


def test_train_on_strokes_searches_against_counts(annotated, tmp_path, run):
    root, (_, strokes), (test, _) = annotated
    assert np.count_nonzero(strokes) / strokes.size < 0.1
    model = tmp_path / "model.skops"
    code, out, err = _train(
        run, root, "--strokes", root / "train" / "strokes",
        "--counts", root / "train" / "counts.csv", "--min-distance", "3:5:1",
        "--save", model,
    )  # fmt: skip
    assert code == 0, err
    params, error = _printed(out)
    assert params["min_distance"] in (3, 4, 5) and 0 <= error < 1
    pipe = load_pipeline(model)
    assert pipe[0].annotation == "sparse"
    assert pipe[3].min_distance == params["min_distance"]
    assert np.abs(pipe.predict(test.images) - test.counts).mean() < 1


def test_train_on_strokes_without_counts_uses_the_values_given(
    annotated, tmp_path, run
):
    root, _, (test, _) = annotated
    model = tmp_path / "model.skops"
    strokes = root / "train" / "strokes"
    code, out, err = _train(
        run, root, "--strokes", strokes, "--min-area", 40, "--save", model
    )
    assert code == 0, err
    params, score = _printed(out)
    assert params == {"threshold": 0.5, "min_distance": 5, "min_area": 40}
    assert score is None and "not searched" in out
    pipe = load_pipeline(model)
    assert (pipe[1].threshold, pipe[3].min_distance, pipe[4].min_area) == (0.5, 5, 40)
    assert np.abs(pipe.predict(test.images) - test.counts).mean() < 1.5


def _one_stroke_class(tmp_path, annotated, value):
    """A strokes folder where every stroke has ``value``."""
    root, (_, strokes), _ = annotated
    folder = _mkdir(tmp_path / "strokes")
    for i, s in enumerate(strokes):
        save_labels(folder / f"im{i}.png", np.where(s > 0, value, 0).astype(np.uint8))
    return ["--strokes", folder]


def _masks_where(tmp_path, annotated, change):
    """A masks folder of the training masks, ``change(i, mask)`` applied."""
    root, (train, _), _ = annotated
    folder = _mkdir(tmp_path / "masks")
    for i, labels in enumerate(train.labels):
        labels = change(i, labels)
        if labels is not None:
            tifffile.imwrite(folder / f"im{i}.tif", labels)
    return ["--masks", folder]


def _given(kind, *flags):
    """The training set's ``kind`` folder (masks or strokes), then ``flags``."""
    return lambda tmp_path, annotated: [
        f"--{kind}",
        annotated[0] / "train" / kind,
        *flags,
    ]


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda tmp, a: _masks_where(tmp, a, lambda i, m: None if i == 2 else m),
            "has no file for: ",
        ),
        (
            lambda tmp, a: _masks_where(tmp, a, lambda i, m: m[:, :-1]),
            "has shape (64, 63), its image",
        ),
        (
            lambda tmp, a: _masks_where(tmp, a, lambda i, m: m.astype(np.float32)),
            "annotations are integer images",
        ),
        (
            lambda tmp, a: _masks_where(tmp, a, lambda i, m: np.zeros_like(m)),
            "have no foreground (> 0) pixel",
        ),
        (
            lambda tmp, a: _masks_where(tmp, a, lambda i, m: m + 1),
            "have no background (0) pixel",
        ),
        (lambda tmp, a: _one_stroke_class(tmp, a, 1), "no object (2 or more) pixel"),
        (lambda tmp, a: _one_stroke_class(tmp, a, 2), "no background (1) pixel"),
        (
            lambda tmp, a: ["--masks", a[0] / "train" / "images"],
            "is an input image, not its annotation",
        ),
        (lambda tmp, a: ["--masks", tmp / "none"], "the folder does not exist"),
        (_given("masks", "--counts", "c.csv"), "--counts applies with --strokes"),
        (_given("strokes", "--min-area", "1,2"), "--min-area gives 2 values"),
        (_given("strokes", "--cv", "2"), "--cv sets the folds of the search"),
        (_given("masks", "--cv", "7"), "--cv 7 needs at least 7 images"),
        (
            _given("masks", "--threshold", "1"),
            "--threshold takes probabilities between 0 and 1",
        ),
        (_given("masks", "--trees", "0"), "--trees must be from 1 to 10000"),
        # was a hang: scikit-learn builds the trees one by one
        (_given("masks", "--trees", "1e20"), "--trees"),
        (
            _given("masks", "--max-depth", "100000000000000000000"),
            "--max-depth must be from 1 to 1000",
        ),
        (_given("masks", "--seed", "-1"), "--seed must be from 0 to 4294967295"),
        (
            _given("masks", "--max-area", "10"),
            "--max-area 10 is below --min-area 25,50,100",
        ),
    ],
    ids=[
        "missing-mask",
        "mask-shape",
        "float-mask",
        "no-foreground",
        "no-background",
        "strokes-no-object",
        "strokes-no-background",
        "masks-are-the-images",
        "no-masks-folder",
        "counts-with-masks",
        "values-without-truth",
        "cv-without-search",
        "cv-above-images",
        "threshold-not-a-probability",
        "no-trees",
        "trees-not-an-int",
        "huge-max-depth",
        "negative-seed",
        "max-area-below-min-area",
    ],
)
def test_train_mistakes_give_one_line_naming_the_flag(
    annotated, tmp_path, make_args, message, run
):
    root = annotated[0]
    args = make_args(tmp_path, annotated)
    code, out, err = _train(run, root, *args, "--save", tmp_path / "m.skops")
    assert code == 1
    assert message in err
    _one_line(err)
    assert not (tmp_path / "m.skops").exists() and out == ""


def test_train_refuses_a_fold_without_both_classes(annotated, tmp_path, run):
    """Only the first image has background strokes: fold 1 trains on none."""
    root, (_, strokes), _ = annotated
    folder = _mkdir(tmp_path / "strokes")
    for i, s in enumerate(strokes):
        save_labels(folder / f"im{i}.png", s if i < 2 else np.where(s == 1, 0, s))
    code, _, err = _train(
        run,
        root,
        "--strokes",
        folder,
        "--counts",
        root / "train" / "counts.csv",
        "--save",
        tmp_path / "m.skops",
    )
    assert code == 1
    assert "the training images of fold 1 of --cv 3 have no background (1)" in err
    _one_line(err)


def test_train_save_is_checked_before_reading(annotated, tmp_path, run):
    root = annotated[0]
    masks = root / "train" / "masks"
    model = _write(tmp_path / "model.skops", "mine")
    code, _, err = _train(run, root, "--masks", masks, "--save", model)
    assert code == 1 and "--save" in err and "exists; pass --force" in err
    assert model.read_text() == "mine"
    mask = masks / "im0.tif"
    before = mask.read_bytes()
    code, _, err = _train(run, root, "--masks", masks, "--save", mask, "--force")
    assert code == 1 and "is an input of this run" in err
    assert mask.read_bytes() == before
    _one_line(err)


def test_train_scores_binary_masks_by_their_components(annotated, tmp_path, run):
    """0/255 masks: their connected components are the true objects."""
    root, (train, _), _ = annotated
    binary = _masks_where(tmp_path, annotated, lambda i, m: (m > 0).astype(np.uint8))
    args = ["--min-distance", 4, "--min-area", 40, "--save", tmp_path / "m.skops"]
    code, out, err = _train(run, root, *binary, *args)
    assert code == 0, err
    assert "connected components are scored as the true objects" in out
    _, score = _printed(out)
    # the touching objects of a clump are one true object, so they are not
    # all matched, but most objects are (one id per image would score ~0)
    assert 0.5 <= score <= 1


# --- issue 15: a command line that never surprises ------------------------------


def _bomb(path):
    """A PNG whose header claims 100000 x 100000 pixels."""
    import struct
    import zlib

    iio.imwrite(path, np.zeros((4, 4), dtype=np.uint8))
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 100_000, 100_000)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def _rgb(path):
    rgb = np.zeros((40, 40, 3), dtype=np.uint8)
    rgb[10:20, 10:20] = 200
    iio.imwrite(path, rgb)
    return path


def _tune_counts(root, *flags):
    """``tune`` of the folder's images against its counts, then ``flags``."""
    return ["tune", root / "images", "--counts", root / "counts.csv", *flags]


# (the arguments, or a function of (root, tmp_path) giving them, and what the one
# line must say); every path of the command line that ends in an error
ERRORS = {
    "overlay-is-a-file": (
        lambda r, t: ["count", r / "images", "--overlay", _write(t / "f.txt", "")],
        "--overlay",
    ),
    "overlay-below-a-file": (
        lambda r, t: ["count", r / "images", "--overlay", _write(t / "f", "") / "s"],
        "--overlay",
    ),
    "csv-is-a-folder": (lambda r, t: ["count", "--csv", t], "--csv"),
    "csv-folder-missing": (
        lambda r, t: ["count", "--csv", t / "no" / "x.csv"],
        "--csv",
    ),
    "csv-below-a-file": (
        lambda r, t: ["count", "--csv", _write(t / "f", "") / "x.csv"],
        "--csv",
    ),
    "pipeline-text": (
        lambda r, t: ["count", "--pipeline", _write(t / "m.skops", "my notes")],
        "--pipeline",
    ),
    "pipeline-empty": (
        lambda r, t: ["count", "--pipeline", _write(t / "m.skops", "")],
        "--pipeline",
    ),
    "pipeline-csv": (
        lambda r, t: ["count", "--pipeline", r / "counts.csv"],
        "--pipeline",
    ),
    "pipeline-text-unsafe": (
        lambda r, t: [
            "count",
            "--pipeline",
            _write(t / "m.pkl", "notes"),
            "--unsafe-pickle",
        ],
        "--pipeline",
    ),  # fmt: skip
    "pipeline-folder": (lambda r, t: ["count", "--pipeline", t], "--pipeline"),
    "decompression-bomb": (
        lambda r, t: ["count", _bomb(t / "big.png")],
        "big.png: Image size (10000000000 pixels) exceeds",
    ),
    "colour": (
        lambda r, t: ["count", _rgb(t / "c.png")],
        "pass --gray to convert it to its luminance (in the image's units) or "
        "--channel K",
    ),
    "channel-out-of-range": (
        lambda r, t: ["count", _rgb(t / "c.png"), "--channel", "7"],
        "--channel 7",
    ),
    "gray-and-channel": (
        lambda r, t: ["count", "--gray", "--channel", "1"],
        "argument --channel: not allowed with argument --gray",
    ),
    "unknown-flag": (lambda r, t: ["count", "--colour"], "--colour"),
    "unknown-command": (lambda r, t: ["counts"], "'counts'"),
    "tune-close-0": (lambda r, t: _tune_counts(r, "--close", "0"), "argument --close"),
    "tune-min-area": (
        lambda r, t: _tune_counts(r, "--min-area", "-5,10"),
        "argument --min-area: expected values >= 0; got -5,10",
    ),
    "tune-cv-1": (lambda r, t: _tune_counts(r, "--cv", "1"), "argument --cv"),
    "tune-short-row": (
        lambda r, t: [
            "tune",
            r / "images",
            "--counts",
            _write(t / "c.csv", "path,count\nimages/im0.tif\n"),
        ],
        "--counts",
    ),  # fmt: skip
    "tune-save-folder-missing": (
        lambda r, t: _tune_counts(r, "--save", t / "no" / "m.skops"),
        "--save",
    ),
    "tune-plot-is-a-folder": (lambda r, t: _tune_counts(r, "--plot", t), "--plot"),
    "tune-masks-missing": (
        lambda r, t: ["tune", r / "images", "--masks", t / "none"],
        "--masks",
    ),
    "tune-jobs-0": (lambda r, t: _tune_counts(r, "--jobs", "0"), "argument --jobs"),
    "train-save-exists": (
        lambda r, t: [
            "train",
            r / "images",
            "--masks",
            r / "masks",
            "--save",
            _write(t / "m.skops", "mine"),
        ],
        "--save",
    ),  # fmt: skip
    "train-no-save": (
        lambda r, t: ["train", r / "images", "--masks", r / "masks"],
        "--save",
    ),
}


# count's flags given a value of the wrong kind, and what argparse says of each
_WRONG_VALUES = [
    ("--close", "0", "expected a closing size in pixels, a whole number >= 1; got '0'"),
    ("--close", "2.5", "expected a closing size in pixels, a whole number >= 1"),
    ("--min-area", "-5", "expected an area in pixels, a finite number >= 0"),
    ("--max-area", "-1", "expected an area in pixels, a finite number >= 0"),
    ("--jobs", "0", "expected a number of threads >= 1, or -1 for all cores"),
    ("--threshold", "-inf", "expected a finite number or 'otsu', got '-inf'"),
]
ERRORS.update(
    {
        f"{flag[2:]}-{value}": (["count", flag, value], f"argument {flag}: {says}")
        for flag, value, says in _WRONG_VALUES
    }
)


@pytest.mark.parametrize("name", list(ERRORS))
def test_every_error_is_one_line_naming_the_flag_and_exit_code_1(
    folder, tmp_path, run, monkeypatch, name
):
    root, _, _ = folder
    monkeypatch.chdir(root)
    args, message = ERRORS[name]
    code, out, err = run(*(args(root, tmp_path) if callable(args) else args))
    assert code == 1 and out == ""
    assert message in err
    _one_line(err)
    assert len(err) < 400  # a sentence, not a dump


@pytest.mark.parametrize(
    "flag, args",
    [
        ("--csv", ["count", "--csv", "{t}/out.csv"]),
        ("--overlay", ["count", "--overlay", "{t}/overlays"]),
        ("--save", ["tune", "{r}/images", "--counts", "{r}/counts.csv",
                    "--threshold", "120", "--close", "3", "--min-area", "30",
                    "--save", "{t}/m.skops"]),
        ("--plot", ["tune", "{r}/images", "--counts", "{r}/counts.csv",
                    "--threshold", "120", "--close", "3", "--min-area", "30",
                    "--plot", "{t}/p.png"]),
    ],
)  # fmt: skip
def test_a_write_the_system_refuses_names_the_flag(
    folder, tmp_path, run, monkeypatch, flag, args
):
    # an unwritable folder (root writes anywhere, so the system's refusal is
    # played by the writer), after all the work: one line, no traceback
    import sksegment.io

    def refuse(path, *a, **k):
        raise PermissionError(13, "Permission denied", os.fspath(path))

    monkeypatch.setattr(sksegment.io, "_write_atomic", refuse)
    root, _, _ = folder
    code, _, err = run(*(a.format(r=root, t=tmp_path) for a in args))
    assert code == 1 and f"cannot write {flag} " in err and "Permission denied" in err
    _one_line(err)


def test_ctrl_c_is_one_line_and_exit_code_130(run, monkeypatch):
    import sksegment.datasets

    def interrupt():
        raise KeyboardInterrupt

    monkeypatch.setattr(sksegment.datasets, "load_coins", interrupt)
    try:
        code, out, err = run("count")
    except KeyboardInterrupt:
        pytest.fail("the KeyboardInterrupt escaped main")
    assert code == 130 and out == "" and err == "sksegment count: interrupted\n"


def test_counts_file_with_a_byte_order_mark(folder, tmp_path, run):
    root, data, paths = folder
    rows = "".join(f"{p},{c}\n" for p, c in zip(paths, data.counts))
    counts = tmp_path / "excel.csv"
    counts.write_text("path,count\n" + rows, encoding="utf-8-sig")
    code, out, err = run(
        "tune", root / "images", "--counts", counts, "--threshold", "120",
        "--close", "3", "--min-area", "30",
    )  # fmt: skip
    assert code == 0, err
    images, _ = load_images(root / "images")
    error = np.abs(recipe(120, 3, 30).fit(images).predict(images) - data.counts)
    assert f"mean absolute count error: {error.mean():.3f}" in out


def test_negative_values_reach_the_flag_checks(run):
    # issue 15 item 9: argparse read "-1e3" and "-inf" as unknown options
    code, out, err = run("count", "--threshold", "-1e3")
    assert code == 0, err  # every pixel foreground, the one object cleared
    assert out.splitlines()[1].split()[-2:] == ["0", "-1000"]
    code, _, err = run("count", "--min-area", "-1e3")
    assert code == 1 and "argument --min-area" in err and "-1e3" in err


def test_version_and_help(run):
    code, out, _ = run("--version")
    assert code == 0 and out == f"sksegment {sks.__version__}\n"
    code, out, err = run()
    assert code == 0 and err == ""
    assert out.startswith("usage: sksegment") and "count" in out and "tune" in out


def test_a_name_with_a_newline_keeps_the_table_one_row_per_image(tmp_path, run):
    from sksegment.datasets import load_coins

    image = load_coins().images[0]
    iio.imwrite(tmp_path / "plain.png", image)
    iio.imwrite(tmp_path / "two\nlines.png", image)
    code, out, err = run("count", tmp_path, "--csv", tmp_path / "out.csv")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("plain") or lines[1].startswith(str(tmp_path))
    assert repr(str(tmp_path / "two\nlines.png")) in out
    with open(tmp_path / "out.csv", newline="") as f:
        names = [row["path"] for row in csv.DictReader(f)]
    assert names == [str(tmp_path / "plain.png"), str(tmp_path / "two\nlines.png")]


def test_pages_as_images(folder, tmp_path, run):
    root, data, _ = folder
    stack = np.stack(data.images[:3])
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    code, out, err = run("count", tmp_path / "stack.tif", "--min-area", 30)
    assert code == 0, err
    assert out.splitlines()[1].split()[1] == "0"  # one volume, border cleared
    assert "--pages-as-images" in err and "stack.tif" in err
    _one_line(err)
    code, out, err = run(
        "count", tmp_path / "stack.tif", "--pages-as-images", "--min-area", 30,
        "--overlay", tmp_path / "overlays",
    )  # fmt: skip
    assert code == 0 and err == ""
    rows = [line.split() for line in out.splitlines()[1:]]
    pipe = recipe(min_area=30).fit(data.images[:3])
    assert [name for name, *_ in rows] == [
        f"{tmp_path}/stack.tif[{i}]" for i in range(3)
    ]
    assert [int(n) for _, n, _ in rows] == pipe.predict(data.images[:3]).tolist()
    assert sorted(p.name for p in (tmp_path / "overlays").iterdir()) == [
        f"stack.tif[{i}].png" for i in range(3)
    ]


@pytest.fixture
def terminal(monkeypatch):
    """stderr is a terminal: progress bars are drawn."""
    import sksegment.cli

    monkeypatch.setattr(sksegment.cli, "_terminal", lambda: True, raising=False)


def test_count_bar_moves_from_the_first_file(folder, run, terminal):
    root, _, _ = folder
    code, _, err = run("count", root / "images", "--min-area", 30)
    assert code == 0
    assert "reading" in err and "counting: 100%" in err and "6/6" in err
    code, _, err = run("count", root / "images", "--min-area", 30, "--quiet")
    assert code == 0 and err == ""


def test_tune_bar_counts_candidates_times_folds(folder, run, terminal):
    root, _, _ = folder
    code, _, err = run(
        "tune", root / "images", "--counts", root / "counts.csv", "--threshold",
        "otsu,120", "--close", "1,3", "--min-area", "30",
    )  # fmt: skip
    assert code == 0
    assert "tuning: 100%" in err and "12/12" in err  # 2 x 2 x 1 candidates x 3 folds


@pytest.mark.parametrize(
    "args",
    [
        ["count", "--csv", "{t}/no/x.csv"],
        ["count", "{r}/images", "--overlay", "{t}/afile/sub"],
        ["tune", "{r}/images", "--counts", "{r}/counts.csv", "--save",
         "{t}/no/m.skops"],
        ["tune", "{r}/images", "--counts", "{r}/counts.csv", "--plot", "{t}/no/p.png"],
        ["train", "{r}/images", "--masks", "{r}/masks", "--save", "{t}/no/m.skops"],
    ],
    ids=["count-csv", "count-overlay", "tune-save", "tune-plot", "train-save"],
)  # fmt: skip
def test_every_output_is_checked_before_the_first_image_is_read(
    folder, tmp_path, run, monkeypatch, args
):
    # issue 15 item 6: --csv nodir/x.csv printed the whole table, then failed
    import sksegment.datasets
    import sksegment.io

    def read(*a, **k):
        raise AssertionError("an image was read before the outputs were checked")

    monkeypatch.setattr(sksegment.io, "load_images", read)
    monkeypatch.setattr(sksegment.datasets, "load_coins", read)
    _write(tmp_path / "afile", "")
    root, _, _ = folder
    code, out, err = run(*(a.format(r=root, t=tmp_path) for a in args))
    assert code == 1 and out == ""
    assert f"cannot write {args[-2]} " in err
    _one_line(err)


def test_readme_first_steps_say_to_tune_with_true_numbers():
    # issue 15 item 13: the defaults fail on the project's own images; the
    # README's first steps say so, with its numbers, and show tune
    readme = (REPO / "README.md").read_text()
    first_steps = readme[: readme.index("## The recipe, learned")]
    assert "sksegment tune images/ --counts truth.csv --save tuned.skops" in first_steps
    data = make_objects(shape=(512, 512), random_state=0)
    pipe = recipe().fit(data.images)
    found = pipe.predict(data.images)
    said = (
        f"Otsu's\nthreshold ({pipe[0].threshold_:g}) is too low and `sksegment "
        f"count` finds {found.mean():.1f} objects per image\nwhere there are "
        f"{data.counts.mean():.1f} (a mean absolute error of "
        f"{np.abs(found - data.counts).mean():.1f})"
    )
    assert said in first_steps
    tuned = recipe(threshold=120, size=3, min_area=50).fit(data.images)
    assert "picks `--threshold 120 --close 3 --min-area 50`" in first_steps
    np.testing.assert_array_equal(tuned.predict(data.images), data.counts)


@pytest.mark.parametrize(
    "flag, value", [("--close", "1:1000000000000:1"), ("--threshold", "0:1:1e-7")]
)
def test_huge_search_ranges_are_refused_before_any_value_is_made(flag, value, run):
    code, _, err = run("tune", "--counts", "counts.csv", flag, value)
    assert code == 1
    assert f"argument {flag}" in err and "at most 1000 per flag" in err
    _one_line(err)


@pytest.mark.parametrize("flag", ["--csv", "--overlay", "--pipeline"])
def test_an_empty_path_is_refused_naming_the_flag(flag, run):
    code, _, err = run("count", flag, "")
    assert code == 1
    assert f"argument {flag}: expected a path, got an empty one" in err
    _one_line(err)
