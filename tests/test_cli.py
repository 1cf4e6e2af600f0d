import subprocess
import sys

import numpy as np
import pytest
from skimage import io

from sksegment.cli import main


def test_count_on_bundled_coins_at_120(capsys):
    assert main(["count", "--threshold", "120"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[-2:] == ["24", "120"]


def test_count_default_learns_otsu(capsys):
    assert main(["count"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-2:] == ["21", "107"]


def test_count_image_files_equals_the_pipeline(tmp_path, capsys):
    from sklearn.pipeline import make_pipeline

    import sksegment as sks
    from sksegment.datasets import make_objects

    data = make_objects(n_images=3, shape=(64, 64), random_state=1)
    paths = []
    for i, image in enumerate(data.images):
        paths.append(str(tmp_path / f"im{i}.png"))
        io.imsave(paths[-1], image, check_contrast=False)
    assert main(["count", *paths, "--min-area", "30"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    pipe = make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(5),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=30),
        sks.ObjectCounter(),
    )
    expected = pipe.fit(data.images).predict(data.images)
    assert [int(r[1]) for r in rows] == expected.tolist()
    assert [r[0] for r in rows] == paths


@pytest.mark.parametrize(
    "argv, message",
    [
        (["count", "missing.png"], "cannot read missing.png"),
        (["count", "--close", "0"], "size"),
    ],
)
def test_user_mistakes_give_one_line_and_status_1(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_colour_image_is_refused(tmp_path, capsys):
    path = tmp_path / "rgb.png"
    io.imsave(path, np.zeros((8, 8, 3), dtype=np.uint8), check_contrast=False)
    assert main(["count", str(path)]) == 1
    assert "colour image" in capsys.readouterr().err


def test_bad_option_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["count", "--threshold", "high"])
    assert exc.value.code == 2


def test_runs_as_a_module_in_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "sksegment", "count", "--threshold", "120"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines()[1].split()[-2:] == ["24", "120"]
