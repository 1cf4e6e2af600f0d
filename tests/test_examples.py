"""The gallery examples run, so a broken example fails the tests."""

import os
import pathlib
import runpy

import pytest

EXAMPLES = sorted(
    (pathlib.Path(__file__).parent.parent / "docs" / "examples").glob("*.py")
)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path, monkeypatch, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(path.parent)
    try:
        runpy.run_path(os.fspath(path), run_name="__main__")
    finally:
        plt.close("all")
    assert capsys.readouterr().out  # every example reports what it found
