import os
import stat
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from PIL import Image
from skimage.color import rgb2gray
from sklearn.utils._param_validation import InvalidParameterError

import sksegment as sks
from sksegment.io import (
    load_images,
    load_pipeline,
    save_image,
    save_labels,
    save_pipeline,
)

rng = np.random.default_rng(0)


def _gray(shape=(7, 9), dtype=np.uint8, high=256):
    return rng.integers(0, high, size=shape).astype(dtype)


def _rgb(shape=(6, 8, 3), dtype=np.uint8, high=256):
    return rng.integers(0, high, size=shape).astype(dtype)


def _one(path, **kwargs):
    images, names = load_images(path, **kwargs)
    assert names == [os.fspath(path)]
    return images[0]


# --- round trips --------------------------------------------------------------


@pytest.mark.parametrize("dtype, high", [(np.uint8, 256), (np.uint16, 65536)])
def test_gray_png_written_by_imageio_is_read_exactly(tmp_path, dtype, high):
    image = _gray(dtype=dtype, high=high)
    iio.imwrite(tmp_path / "a.png", image)
    out = _one(tmp_path / "a.png")
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, image)


@pytest.mark.parametrize(
    "top, dtype", [(1, np.uint8), (255, np.uint8), (256, np.uint16), (65535, np.uint16)]
)
def test_png_labels_keep_ids_in_the_smallest_gray_dtype(tmp_path, top, dtype):
    labels = np.zeros((5, 6), np.int32)
    labels[1, 1:3] = 1
    labels[3, 4] = top
    save_labels(tmp_path / "l.png", labels)
    out = _one(tmp_path / "l.png")
    assert out.dtype == dtype  # max id 255 inclusive fits uint8
    np.testing.assert_array_equal(out, labels)
    np.testing.assert_array_equal(iio.imread(tmp_path / "l.png"), labels)


def test_png_labels_refuse_more_than_65535_ids_and_3d(tmp_path):
    labels = np.zeros((4, 4), np.int32)
    labels[0, 0] = 65536
    with pytest.raises(ValueError, match=r"65535.*65536.*\.tif"):
        save_labels(tmp_path / "l.png", labels)
    with pytest.raises(ValueError, match=r"3D.*\.tif"):
        save_labels(tmp_path / "l.png", np.zeros((2, 4, 4), np.int32))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint16, np.uint32])
def test_tiff_labels_round_trip_exactly_dtype_included(tmp_path, dtype):
    labels = rng.integers(0, 70000 if dtype != np.uint16 else 65536, (9, 11))
    labels = labels.astype(dtype)
    save_labels(tmp_path / "l.tif", labels)
    out = _one(tmp_path / "l.tif")
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, labels)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "l.tif"), labels)


def test_tiff_labels_are_compressed(tmp_path):
    labels = np.zeros((200, 200), np.int32)
    labels[50:150, 50:150] = 7
    save_labels(tmp_path / "l.tiff", labels)
    assert os.path.getsize(tmp_path / "l.tiff") < labels.nbytes / 20


def test_3d_labels_are_a_multipage_tiff(tmp_path):
    # a last axis of 3 must stay pages x height x width, not RGB
    labels = rng.integers(0, 5, (4, 6, 3)).astype(np.int32)
    save_labels(tmp_path / "l.tif", labels)
    with tifffile.TiffFile(tmp_path / "l.tif") as tif:
        assert len(tif.pages) == 4
    np.testing.assert_array_equal(_one(tmp_path / "l.tif"), labels)


def test_multipage_tiff_is_a_3d_image(tmp_path):
    stack = _gray((5, 8, 3), np.uint16, 4000)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    np.testing.assert_array_equal(_one(tmp_path / "s.tif"), stack)
    # pages written one by one by another writer (Pillow) form one volume too
    pages = [Image.fromarray(page) for page in _gray((3, 6, 7))]
    pages[0].save(tmp_path / "p.tif", save_all=True, append_images=pages[1:])
    out = _one(tmp_path / "p.tif")
    assert out.shape == (3, 6, 7)
    np.testing.assert_array_equal(out, tifffile.imread(tmp_path / "p.tif"))


def test_bool_mask_labels_are_written_as_0_and_1(tmp_path):
    mask = np.eye(4, dtype=bool)
    save_labels(tmp_path / "m.png", mask)
    np.testing.assert_array_equal(_one(tmp_path / "m.png"), mask.astype(np.uint8))


# --- files, folders, patterns ------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """c.png, a.tif, b.jpg, notes.txt and sub/{z.png, a.png} with known pixels."""
    pixels = {}
    for name in ["c.png", "a.tif", "b.jpg", "sub/z.png", "sub/a.png"]:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        image = _gray((8, 8))
        (tifffile.imwrite if name.endswith(".tif") else iio.imwrite)(path, image)
        # JPEG is lossy: compare with what imageio reads
        pixels[name] = image if not name.endswith(".jpg") else iio.imread(path)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path, pixels


def test_folder_gives_its_images_sorted_by_name(tree):
    folder, pixels = tree
    images, names = load_images(folder)
    assert [Path(n).relative_to(folder).as_posix() for n in names] == [
        "a.tif",
        "b.jpg",
        "c.png",
    ]
    for name, image in zip(names, images):
        key = Path(name).relative_to(folder).as_posix()
        np.testing.assert_array_equal(image, pixels[key])


def test_recursive_folder_includes_subfolders(tree):
    folder, pixels = tree
    images, names = load_images(str(folder), recursive=True)
    keys = [Path(n).relative_to(folder).as_posix() for n in names]
    assert keys == ["a.tif", "b.jpg", "c.png", "sub/a.png", "sub/z.png"]
    for key, image in zip(keys, images):
        np.testing.assert_array_equal(image, pixels[key])


def test_glob_pattern_matches_sorted(tree):
    folder, pixels = tree
    images, names = load_images(os.path.join(folder, "*", "*.png"))
    keys = [Path(n).relative_to(folder).as_posix() for n in names]
    assert keys == ["sub/a.png", "sub/z.png"]
    np.testing.assert_array_equal(images[1], pixels["sub/z.png"])
    _, names = load_images(os.path.join(folder, "**", "*.png"), recursive=True)
    keys = [Path(n).relative_to(folder).as_posix() for n in names]
    assert keys == ["c.png", "sub/a.png", "sub/z.png"]


def test_list_mixes_files_folders_and_patterns_in_the_order_given(tree):
    folder, pixels = tree
    images, names = load_images(
        [folder / "c.png", os.path.join(folder, "sub"), str(folder / "*.tif")]
    )
    keys = [Path(n).relative_to(folder).as_posix() for n in names]
    assert keys == ["c.png", "sub/a.png", "sub/z.png", "a.tif"]
    assert all(isinstance(n, str) for n in names)
    for key, image in zip(keys, images):
        np.testing.assert_array_equal(image, pixels[key])


# --- colour -------------------------------------------------------------------


@pytest.mark.parametrize("channels", [3, 4])
def test_colour_png_is_refused_by_default(tmp_path, channels):
    iio.imwrite(tmp_path / "rgb.png", _rgb((6, 8, channels)))
    with pytest.raises(ValueError) as info:
        load_images(tmp_path / "rgb.png")
    message = str(info.value)
    assert "rgb.png" in message and f"(6, 8, {channels})" in message
    assert "as_gray=True" in message and "channel=" in message
    assert "\n" not in message


def test_as_gray_is_luminance_in_the_image_units(tmp_path):
    rgb = _rgb((20, 30, 3))
    iio.imwrite(tmp_path / "rgb.png", rgb)
    gray = _one(tmp_path / "rgb.png", as_gray=True)
    assert gray.dtype == np.uint8 and gray.shape == (20, 30)
    # rgb2gray works in 0..1; ours stays in 0..255, rounded
    assert np.abs(gray - rgb2gray(rgb) * 255).max() <= 0.5 + 1e-9
    assert gray.max() > 200  # not rescaled to 0..1
    # alpha is dropped
    rgba = np.dstack([rgb, _gray((20, 30))])
    iio.imwrite(tmp_path / "rgba.png", rgba)
    np.testing.assert_array_equal(_one(tmp_path / "rgba.png", as_gray=True), gray)


def test_as_gray_keeps_uint16_and_float_tiffs(tmp_path):
    rgb16 = _rgb((5, 7, 3), np.uint16, 65536)
    tifffile.imwrite(tmp_path / "a.tif", rgb16, photometric="rgb")
    gray = _one(tmp_path / "a.tif", as_gray=True)
    assert gray.dtype == np.uint16
    assert np.abs(gray - rgb2gray(rgb16) * 65535).max() <= 0.5 + 1e-6
    rgbf = rng.random((5, 7, 3)).astype(np.float32) * 1000
    tifffile.imwrite(tmp_path / "f.tif", rgbf, photometric="rgb")
    grayf = _one(tmp_path / "f.tif", as_gray=True)
    assert grayf.dtype == np.float32
    expected = rgbf.astype(np.float64) @ [0.2125, 0.7154, 0.0721]
    np.testing.assert_allclose(grayf, expected, rtol=1e-6)


def test_channel_takes_one_channel(tmp_path):
    rgb = _rgb()
    iio.imwrite(tmp_path / "rgb.png", rgb)
    np.testing.assert_array_equal(_one(tmp_path / "rgb.png", channel=1), rgb[..., 1])
    np.testing.assert_array_equal(_one(tmp_path / "rgb.png", channel=-1), rgb[..., 2])
    with pytest.raises(ValueError, match=r"channel=3.*rgb\.png.*3 channels"):
        load_images(tmp_path / "rgb.png", channel=3)
    with pytest.raises(ValueError, match="not both"):
        load_images(tmp_path / "rgb.png", channel=0, as_gray=True)


def test_as_gray_false_or_none_refuses_colour_and_gray_images_pass_through(tmp_path):
    rgb, gray = _rgb(), _gray()
    iio.imwrite(tmp_path / "rgb.png", rgb)
    iio.imwrite(tmp_path / "gray.png", gray)
    for as_gray in [False, None]:  # a command line's unset flag is False
        with pytest.raises(ValueError, match="colour image"):
            load_images(tmp_path / "rgb.png", as_gray=as_gray)
        np.testing.assert_array_equal(
            _one(tmp_path / "rgb.png", as_gray=as_gray, channel=0), rgb[..., 0]
        )
    for kwargs in [{"as_gray": True}, {"channel": 2}, {"as_gray": False}]:
        np.testing.assert_array_equal(_one(tmp_path / "gray.png", **kwargs), gray)


def test_pages_as_images_reads_each_page_as_a_2d_image(tmp_path):
    # issue 15 item 8: a stack of separate 2D images was only ever one volume
    stack = _gray((3, 6, 7), np.uint16, 4000)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    png = tmp_path / "one.png"
    iio.imwrite(png, stack[0].astype(np.uint8))
    images, names = load_images([tmp_path / "s.tif", png], pages_as_images=True)
    assert names == [f"{tmp_path / 's.tif'}[{i}]" for i in range(3)] + [str(png)]
    for image, page in zip(images, stack):
        assert image.shape == (6, 7) and image.dtype == np.uint16
        np.testing.assert_array_equal(image, page)
    # colour pages: each page's channels, as for a colour file
    rgb = _rgb((2, 6, 8, 3))
    tifffile.imwrite(tmp_path / "c.tif", rgb, photometric="rgb")
    images, names = load_images(tmp_path / "c.tif", pages_as_images=True, channel=1)
    assert [os.path.basename(n) for n in names] == ["c.tif[0]", "c.tif[1]"]
    np.testing.assert_array_equal(np.stack(images), rgb[..., 1])
    with pytest.raises(ValueError, match=r"c\.tif\[0\] is an RGB"):
        load_images(tmp_path / "c.tif", pages_as_images=True)
    with pytest.raises(TypeError, match="pages_as_images"):
        load_images(tmp_path / "s.tif", pages_as_images="yes")


def test_a_decompression_bomb_is_named_with_pillows_reason(tmp_path):
    # a PNG header claiming 100000 x 100000 pixels: imageio's message was
    # "An unknown error occurred while initializing plugin pillow"
    import struct
    import zlib

    path = tmp_path / "big.png"
    iio.imwrite(path, np.zeros((4, 4), dtype=np.uint8))
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as info:
        load_images(path)
    message = _one_line(info, "big.png", "10000000000 pixels", "decompression bomb")
    assert "unknown error" not in message


def test_gray_tiff_stack_of_three_pages_is_not_colour(tmp_path):
    stack = _gray((3, 6, 8))
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    np.testing.assert_array_equal(_one(tmp_path / "s.tif"), stack)
    rgb = _rgb((6, 8, 3))
    tifffile.imwrite(tmp_path / "c.tif", rgb, photometric="rgb")
    with pytest.raises(ValueError, match=r"c\.tif.*RGB"):
        load_images(tmp_path / "c.tif")


# --- bad inputs ---------------------------------------------------------------


def _one_line(info, *names):
    message = str(info.value)
    assert "\n" not in message
    for name in names:
        assert name in message
    return message


def test_missing_file(tmp_path):
    path = tmp_path / "missing.png"
    with pytest.raises(FileNotFoundError) as info:
        load_images(path)
    _one_line(info, str(path))


@pytest.mark.parametrize("name", ["text.png", "text.tif", "text.jpg", "empty.png"])
def test_non_image_file_names_the_file(tmp_path, name):
    path = tmp_path / name
    path.write_text("" if name.startswith("empty") else "hello, not an image")
    with pytest.raises(ValueError, match="cannot read") as info:
        load_images(path)
    _one_line(info, str(path))
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_unreadable_file_in_a_folder_is_named(tmp_path):
    iio.imwrite(tmp_path / "a.png", _gray())
    (tmp_path / "b.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(ValueError) as info:
        load_images(tmp_path)
    _one_line(info, str(tmp_path / "b.png"))


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError) as info:
        load_images(tmp_path)
    _one_line(info, str(tmp_path), "no PNG, JPEG or TIFF")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    iio.imwrite(tmp_path / "sub" / "a.png", _gray())
    with pytest.raises(ValueError, match="recursive=True"):
        load_images(tmp_path)
    assert len(load_images(tmp_path, recursive=True)[0]) == 1


def test_glob_with_no_match(tmp_path):
    pattern = os.path.join(tmp_path, "*.png")
    with pytest.raises(FileNotFoundError) as info:
        load_images(pattern)
    _one_line(info, pattern)


def test_bad_arguments(tmp_path):
    match = "'paths' parameter of load_images must be .* list or tuple of at least 1"
    with pytest.raises(InvalidParameterError, match=match + ".* Got \\[\\] instead"):
        load_images([])
    with pytest.raises(InvalidParameterError, match=match + ".* Got \\[3\\] instead"):
        load_images([3])
    with pytest.raises(InvalidParameterError, match="'as_gray' parameter of load_"):
        load_images(tmp_path, as_gray="yes")
    with pytest.raises(InvalidParameterError, match="'channel' parameter of load_"):
        load_images(tmp_path, channel=1.0)
    with pytest.raises(InvalidParameterError, match="'recursive' parameter of load"):
        load_images(tmp_path, recursive=None)
    with pytest.raises(InvalidParameterError, match="'overwrite' parameter of save_"):
        save_labels(tmp_path / "a.png", np.ones((2, 2), np.uint8), overwrite="no")
    with pytest.raises(InvalidParameterError, match="'path' parameter of save_image"):
        save_image(3, np.ones((2, 2), np.uint8))
    assert not list(tmp_path.iterdir())


# --- writing ------------------------------------------------------------------


def test_save_labels_refuses_bad_labels(tmp_path):
    with pytest.raises(ValueError, match="integer labels.*float64"):
        save_labels(tmp_path / "l.tif", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="ids >= 0.*-2"):
        save_labels(tmp_path / "l.tif", np.array([[0, -2]]))
    with pytest.raises(ValueError, match="2D or 3D"):
        save_labels(tmp_path / "l.tif", np.zeros(3, np.int32))
    with pytest.raises(ValueError, match=r"\.tif.*\.png.*l\.jpg"):
        save_labels(tmp_path / "l.jpg", np.zeros((3, 3), np.int32))
    assert os.listdir(tmp_path) == []


def test_save_image_round_trips(tmp_path):
    rgb = _rgb()
    save_image(tmp_path / "o.png", rgb)
    np.testing.assert_array_equal(iio.imread(tmp_path / "o.png"), rgb)
    save_image(tmp_path / "o.tif", rgb)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "o.tif"), rgb)
    gray16 = _gray(dtype=np.uint16, high=65536)
    save_image(tmp_path / "g.png", gray16)
    np.testing.assert_array_equal(_one(tmp_path / "g.png"), gray16)
    save_image(tmp_path / "o.jpg", rgb)
    assert iio.imread(tmp_path / "o.jpg").shape == rgb.shape


def test_save_image_converts_float_and_bool_without_rescaling(tmp_path):
    values = np.array([[0.0, 0.25, 1.0]])
    save_image(tmp_path / "f.png", values)
    np.testing.assert_array_equal(_one(tmp_path / "f.png"), [[0, 64, 255]])
    save_image(tmp_path / "b.png", np.array([[True, False]]))
    np.testing.assert_array_equal(_one(tmp_path / "b.png"), [[255, 0]])
    with pytest.raises(ValueError, match=r"\[0, 1\].*0 to 2"):
        save_image(tmp_path / "x.png", values * 2)
    with pytest.raises(ValueError, match="int32"):
        save_image(tmp_path / "x.png", np.zeros((3, 3), np.int32))
    with pytest.raises(ValueError, match="8-bit"):
        save_image(tmp_path / "x.jpg", np.zeros((3, 3), np.uint16))
    with pytest.raises(ValueError, match=r"shape \(3, 3, 5\)"):
        save_image(tmp_path / "x.png", np.zeros((3, 3, 5), np.uint8))
    with pytest.raises(ValueError, match=r"x\.bmp"):
        save_image(tmp_path / "x.bmp", np.zeros((3, 3), np.uint8))
    assert sorted(os.listdir(tmp_path)) == ["b.png", "f.png"]


def test_writes_leave_no_temporary_file_and_replace(tmp_path):
    save_labels(tmp_path / "l.tif", np.ones((3, 3), np.int32))
    save_labels(tmp_path / "l.tif", np.full((3, 3), 2, np.int32))  # replaced
    save_image(tmp_path / "o.png", _rgb())
    assert sorted(os.listdir(tmp_path)) == ["l.tif", "o.png"]
    np.testing.assert_array_equal(_one(tmp_path / "l.tif"), np.full((3, 3), 2))


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    save_labels(tmp_path / "l.png", np.ones((3, 3), np.int32))
    mode = stat.S_IMODE(os.stat(tmp_path / "l.png").st_mode)
    assert mode == 0o666 & ~umask


def _failing_writer(*args, **kwargs):
    handle = args[0]
    handle.write(b"half a file")
    raise RuntimeError("disk full")


@pytest.mark.parametrize("name", ["l.tif", "l.png"])
def test_failed_write_keeps_the_existing_file(tmp_path, monkeypatch, name):
    path = tmp_path / name
    save_labels(path, np.ones((3, 3), np.int32))
    before = path.read_bytes()
    monkeypatch.setattr(tifffile, "imwrite", _failing_writer)
    monkeypatch.setattr(iio, "imwrite", _failing_writer)
    with pytest.raises(RuntimeError, match="disk full"):
        save_labels(path, np.full((3, 3), 5, np.int32))
    with pytest.raises(RuntimeError, match="disk full"):
        save_image(tmp_path / "new.png", _rgb())
    assert os.listdir(tmp_path) == [name]  # no temporary file, nothing new
    assert path.read_bytes() == before


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"folder .*nope.* does not exist"):
        save_labels(tmp_path / "nope" / "l.tif", np.ones((3, 3), np.int32))


def test_overwrite_false_keeps_the_existing_file(tmp_path):
    save_labels(tmp_path / "l.tif", np.ones((3, 3), np.int32))
    before = (tmp_path / "l.tif").read_bytes()
    with pytest.raises(FileExistsError, match=r"l\.tif exists"):
        save_labels(tmp_path / "l.tif", np.zeros((3, 3), np.int32), overwrite=False)
    with pytest.raises(FileExistsError, match=r"l\.tif exists"):
        save_image(tmp_path / "l.tif", _rgb(), overwrite=False)
    assert os.listdir(tmp_path) == ["l.tif"]
    assert (tmp_path / "l.tif").read_bytes() == before
    save_image(tmp_path / "new.png", _rgb(), overwrite=False)  # a new file is fine
    assert sorted(os.listdir(tmp_path)) == ["l.tif", "new.png"]


def test_overwrite_false_never_replaces_a_file_created_while_writing(tmp_path):
    from sksegment.io import _write_atomic

    def write(handle):  # another program creates the file meanwhile
        (tmp_path / "out.bin").write_bytes(b"theirs")
        handle.write(b"ours")

    with pytest.raises(FileExistsError, match=r"out\.bin exists"):
        _write_atomic(tmp_path / "out.bin", write, overwrite=False)
    assert os.listdir(tmp_path) == ["out.bin"]
    assert (tmp_path / "out.bin").read_bytes() == b"theirs"


# --- saved pipelines -------------------------------------------------------------


@pytest.fixture(scope="module")
def coins_pipeline():
    from sksegment.datasets import load_coins

    images = list(load_coins().images)
    pipe = sks.make_pipeline(
        sks.OtsuThresholder(),
        sks.MorphCloser(5),
        sks.BorderClearer(),
        sks.ComponentLabeler(),
        sks.AreaFilter(min_area=101),
        sks.ObjectCounter(),
    ).fit(images)
    return pipe, images


def test_saved_pipeline_reloads_with_identical_output(tmp_path, coins_pipeline):
    from skimage.measure import label

    pipe, images = coins_pipeline
    save_pipeline(pipe, tmp_path / "pipe.skops")
    loaded = load_pipeline(tmp_path / "pipe.skops")
    assert type(loaded) is type(pipe) and loaded is not pipe
    assert loaded[0].threshold_ == pipe[0].threshold_
    np.testing.assert_array_equal(loaded.predict(images), pipe.predict(images))
    objects = loaded[:-1].transform(images)[0]
    np.testing.assert_array_equal(objects, pipe[:-1].transform(images)[0])
    # the objects are skimage's components of the mask the pipeline makes
    mask = loaded[:3].transform(images)[0]
    assert objects.max() <= label(mask).max()


def test_save_pipeline_refuses_to_overwrite_by_default(tmp_path, coins_pipeline):
    pipe, images = coins_pipeline
    (tmp_path / "pipe.skops").write_bytes(b"the user's file")
    with pytest.raises(FileExistsError, match=r"pipe\.skops exists"):
        save_pipeline(pipe, tmp_path / "pipe.skops")
    assert (tmp_path / "pipe.skops").read_bytes() == b"the user's file"
    save_pipeline(pipe, tmp_path / "pipe.skops", overwrite=True)
    assert load_pipeline(tmp_path / "pipe.skops").predict(images).tolist() == [21]
    assert os.listdir(tmp_path) == ["pipe.skops"]


def test_file_kind_is_told_by_content_not_extension(tmp_path, coins_pipeline):
    import joblib

    pipe, images = coins_pipeline
    save_pipeline(pipe, tmp_path / "skops.joblib")
    assert load_pipeline(tmp_path / "skops.joblib").predict(images).tolist() == [21]
    joblib.dump(pipe, tmp_path / "pickle.skops")
    with pytest.raises(ValueError, match=r"pickle\.skops is not a skops file.*"
                       r"unsafe_pickle=True"):  # fmt: skip
        load_pipeline(tmp_path / "pickle.skops")
    loaded = load_pipeline(tmp_path / "pickle.skops", unsafe_pickle=True)
    assert loaded.predict(images).tolist() == [21]


def test_crafted_pickle_is_refused_before_unpickling(
    tmp_path, coins_pipeline, pickle_payload
):
    import pickle

    import joblib

    marker = tmp_path / "marker"
    joblib.dump([pickle_payload(marker), coins_pipeline[0]], tmp_path / "a.joblib")
    (tmp_path / "b.pkl").write_bytes(pickle.dumps(pickle_payload(marker)))
    for name in ["a.joblib", "b.pkl"]:
        with pytest.raises(ValueError, match="can run any code"):
            load_pipeline(tmp_path / name)
        assert not marker.exists()
    pickle.loads((tmp_path / "b.pkl").read_bytes()).close()  # the payload is live
    assert marker.exists()


def test_crafted_skops_file_is_refused_listing_the_type(tmp_path, skops_calling):
    import skops.io as sio

    marker = tmp_path / "marker"
    path = skops_calling(tmp_path / "x.skops", "builtins", "open", [str(marker), "w"])
    with pytest.raises(ValueError, match=r"not trusted: builtins\.open\."):
        load_pipeline(path)
    assert not marker.exists()
    path = skops_calling(tmp_path / "y.skops", "os", "system", [f"touch {marker}"])
    with pytest.raises(ValueError, match=r"not trusted: os\.system\."):
        load_pipeline(path)
    assert not marker.exists()
    # the first payload is live: skops runs it once the type is trusted
    sio.load(tmp_path / "x.skops", trusted=["builtins.open"]).close()
    assert marker.exists()


class Brighten(sks.Smoother):
    """A step of the user's own: a type sksegment does not know."""


def test_trusted_lets_a_listed_type_through(tmp_path, coins_pipeline):
    _, images = coins_pipeline
    pipe = sks.make_pipeline(
        Brighten(sigma=1.0),
        sks.OtsuThresholder(),
        sks.ComponentLabeler(),
        sks.ObjectCounter(),
    ).fit(images)
    save_pipeline(pipe, tmp_path / "mine.skops")
    kind = f"{Brighten.__module__}.{Brighten.__qualname__}"
    with pytest.raises(ValueError, match=rf"not trusted: {kind}\..*trusted="):
        load_pipeline(tmp_path / "mine.skops")
    for trusted in ([kind], kind, [Brighten]):
        loaded = load_pipeline(tmp_path / "mine.skops", trusted=trusted)
        np.testing.assert_array_equal(loaded.predict(images), pipe.predict(images))


def _forest_data():
    X = rng.random((30, 4))
    return X, (X[:, 0] > 0.5).astype(int)


def test_random_forest_loads_by_default_and_predicts_the_same(tmp_path):
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

    X, y = _forest_data()
    for model in [RandomForestClassifier(3, random_state=0), GradientBoostingClassifier(
        n_estimators=3, random_state=0
    )]:  # fmt: skip
        model.fit(X, y)
        save_pipeline(model, tmp_path / "model.skops", overwrite=True)
        loaded = load_pipeline(tmp_path / "model.skops")
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("field, value", [("left_child", 10**6), ("feature", 7),
                                          ("right_child", 0)])  # fmt: skip
def test_trees_with_indices_out_of_range_are_refused(tmp_path, field, value):
    from sklearn.ensemble import RandomForestClassifier

    X, y = _forest_data()
    model = RandomForestClassifier(2, random_state=0).fit(X, y)
    tree = model.estimators_[1].tree_
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    nodes[field][0] = value  # node 0 is a split: its children come after it
    tree.__setstate__({**state, "nodes": nodes})
    save_pipeline(model, tmp_path / "bad.skops")
    with pytest.raises(ValueError, match="decision tree whose node or feature"):
        load_pipeline(tmp_path / "bad.skops")


def test_types_with_unchecked_indices_need_trust(tmp_path):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _forest_data()
    model = KNeighborsClassifier(3).fit(X, y)
    save_pipeline(model, tmp_path / "knn.skops")
    with pytest.raises(ValueError, match=r"not trusted: .*KDTree"):
        load_pipeline(tmp_path / "knn.skops")


def test_load_pipeline_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.skops"):
        load_pipeline(tmp_path / "nope.skops")
    (tmp_path / "p.skops").write_bytes(b"")
    with pytest.raises(InvalidParameterError, match="'unsafe_pickle' parameter of"):
        load_pipeline(tmp_path / "p.skops", unsafe_pickle="yes")
    with pytest.raises(InvalidParameterError, match="'trusted' parameter of load_p"):
        load_pipeline(tmp_path / "p.skops", trusted=[3])
    import zipfile

    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="other.zip is not a skops file"):
        load_pipeline(tmp_path / "other.zip")


def test_trees_wider_than_the_input_their_ensemble_checks_are_refused(tmp_path):
    from sklearn.ensemble import RandomForestClassifier

    X, y = _forest_data()
    model = RandomForestClassifier(2, random_state=0).fit(X, y)
    model.n_features_in_ = 2  # X of 2 columns would pass, the trees read 4
    save_pipeline(model, tmp_path / "narrow.skops")
    with pytest.raises(ValueError, match="decision tree whose node or feature"):
        load_pipeline(tmp_path / "narrow.skops")


def test_libsvm_models_need_explicit_trust(tmp_path):
    # skops trusts SVC as a scikit-learn estimator, but libsvm follows its
    # support indices unchecked: a file with support_ cut short loaded by
    # default and then read memory out of range at predict time
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    X, y = rng.random((60, 3)), rng.integers(0, 3, 60)
    model = SVC().fit(X, y)
    save_pipeline(model, tmp_path / "svc.skops")
    with pytest.raises(ValueError, match=r"holds a SVC.*--trust sklearn\.svm"):
        load_pipeline(tmp_path / "svc.skops")
    trusted = load_pipeline(tmp_path / "svc.skops", trusted=[SVC])
    np.testing.assert_array_equal(trusted.predict(X), model.predict(X))


def test_load_pipeline_refuses_what_is_not_a_fitted_estimator(tmp_path):
    import skops.io as sio

    from sksegment.io import load_pipeline

    array = tmp_path / "array.skops"
    sio.dump(np.arange(3), array)
    with pytest.raises(TypeError, match="holds a ndarray, not a pipeline"):
        load_pipeline(array)
    unfitted = tmp_path / "unfitted.skops"
    sio.dump(sks.OtsuThresholder(), unfitted)
    with pytest.raises(ValueError, match="not fitted"):
        load_pipeline(unfitted)
