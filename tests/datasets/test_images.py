"""Folders of images: scikit-learn's digits written as PNG files in class-named folders and read
back exactly; colour, size, transparency and broken files by the rules of datasets.images."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.datasets import image_files, images, load_image_folder, read_images, train_test_split
from deltaprop.scaling import Scaling

Image = pytest.importorskip("PIL.Image")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
#: the class folders sorted by name, as the reader numbers them
SORTED = sorted(NAMES)


def digits_as_pixels() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 digits as 8×8 uint8 pictures 0…240 (0…16 times 15) and their digits."""
    X, y = sklearn_datasets.load_digits(return_X_y=True)
    return (X * 15).astype(np.uint8).reshape(-1, 8, 8), y


def write_digits(folder: Path, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Write the first ``count`` digits as ``folder/<name>/<index>.png``; return, in the order
    the reader gives them (classes by name, files by name), their pixels (n, 64) and labels."""
    pictures, digits = digits_as_pixels()
    pictures, digits = pictures[:count], digits[:count]
    for i, (picture, digit) in enumerate(zip(pictures, digits)):
        (folder / NAMES[digit]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(picture, mode="L").save(folder / NAMES[digit] / f"{i:04d}.png")
    labels = np.array([SORTED.index(NAMES[d]) for d in digits])
    order = np.argsort(labels, kind="stable")  # within a class, the files' names follow i
    return pictures[order].reshape(len(order), 64).astype(np.float32), labels[order]


def two_classes(folder: Path, picture: Image.Image, suffix: str = ".png") -> Path:
    """A folder whose class 'a' holds ``picture`` and class 'b' a black 8×8 grey image."""
    for name in "ab":
        (folder / name).mkdir(parents=True)
    picture.save(folder / "a" / f"x{suffix}")
    Image.new("L", (8, 8)).save(folder / "b" / "y.png")
    return folder


def one_line(error: pytest.ExceptionInfo, path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    return message


# ---------------------------------------------------------------- reading back exactly
def test_digits_read_back_exactly(tmp_path):
    expected_X, expected_y = write_digits(tmp_path, count=300)
    X, y, classes, shape = load_image_folder(tmp_path)
    assert classes == SORTED and shape == (8, 8)
    assert X.dtype == np.float32 and y.dtype == np.int64 and X.shape == (300, 64)
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y, expected_y)


def test_rgb_on_request_repeats_the_grey_value(tmp_path):
    expected_X, _ = write_digits(tmp_path, count=40)
    X, _, _, shape = load_image_folder(tmp_path, color="rgb")
    assert shape == (8, 8, 3) and X.shape == (40, 192)
    np.testing.assert_array_equal(X.reshape(40, 64, 3), np.repeat(expected_X[:, :, None], 3, axis=2))


def test_colour_decided_by_the_pixels(tmp_path):
    grey_in_rgb = Image.fromarray(np.full((8, 8, 3), 90, np.uint8), mode="RGB")
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "grey", grey_in_rgb))
    assert shape == (8, 8) and X[0, 0] == 90  # an RGB file holding a grey picture is grey
    colour = np.zeros((8, 8, 3), np.uint8)
    colour[0, 0] = (200, 100, 50)
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "colour", Image.fromarray(colour, mode="RGB")))
    assert shape == (8, 8, 3) and X[0, :3].tolist() == [200, 100, 50] and X[1].max() == 0
    X, _, _, shape = load_image_folder(tmp_path / "colour", color="grey")
    assert shape == (8, 8) and X[0, 0] == round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)  # ITU-R 601-2 luma


def test_resize_to_size_and_to_the_first_image(tmp_path):
    write_digits(tmp_path, count=20)
    X, _, _, shape = load_image_folder(tmp_path, size=(6, 3))  # (width, height)
    assert shape == (3, 6) and X.shape == (20, 18)
    first = sorted((tmp_path / SORTED[0]).iterdir())[0]
    expected = Image.open(first).resize((6, 3), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(X[0], np.asarray(expected, dtype=np.float32).reshape(-1))
    big = tmp_path / SORTED[-1] / "9999.png"  # the last file of the last class
    Image.new("L", (16, 12), 200).save(big)
    X, _, _, shape = load_image_folder(tmp_path)
    assert shape == (8, 8) and (X[-1] == 200).all()  # resized to the first image's size


def test_jpeg_any_case_suffix_and_deeper_files(tmp_path):
    write_digits(tmp_path, count=20)
    deeper = tmp_path / SORTED[0] / "more"
    deeper.mkdir()
    Image.new("RGB", (8, 8), (128, 128, 128)).save(deeper / "Z.JPG", quality=95)
    X, y, _, shape = load_image_folder(tmp_path)
    rows = np.flatnonzero(y == 0)
    assert shape == (8, 8) and np.abs(X[rows[-1]] - 128).max() <= 2  # sorted last in its class


def test_exif_orientation_is_applied(tmp_path):
    picture = Image.new("L", (6, 3))  # 6 wide, 3 high; stored sideways with orientation 6
    exif = Image.Exif()
    exif[0x0112] = 6
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    picture.save(tmp_path / "a" / "x.png", exif=exif)
    Image.new("L", (3, 6)).save(tmp_path / "b" / "y.png")
    _, _, _, shape = load_image_folder(tmp_path)
    assert shape == (6, 3)  # height 6, width 3: as a viewer shows it


# ---------------------------------------------------------------- transparency and modes
def test_transparency_is_composited_onto_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[0, 0] = (0, 0, 0, 255)  # opaque black
    rgba[0, 1] = (0, 0, 0, 0)  # transparent: white
    rgba[0, 2] = (0, 0, 0, 128)  # half: half-way to white
    rgba[0, 3] = (255, 0, 0, 255)
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "rgba", Image.fromarray(rgba, mode="RGBA")))
    assert shape == (8, 8, 3)
    assert X[0, :12].tolist() == [0, 0, 0, 255, 255, 255, 127, 127, 127, 255, 0, 0]


def test_palette_grey_alpha_black_and_white_and_16_bit(tmp_path):
    palette = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), mode="P")
    palette.putpalette([10, 20, 30, 40, 50, 60, 0, 0, 0])
    palette.info["transparency"] = 2
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "p", palette), size=(2, 2))
    assert shape == (2, 2, 3) and X[0].tolist() == [10, 20, 30, 40, 50, 60, 255, 255, 255, 40, 50, 60]
    la = Image.fromarray(np.array([[[50, 255], [50, 0]]], np.uint8), mode="LA")
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "la", la), size=(2, 1))
    assert shape == (1, 2) and X[0].tolist() == [50, 255]
    bilevel = Image.new("1", (2, 1))
    bilevel.putpixel((0, 0), 1)
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "1", bilevel), size=(2, 1))
    assert shape == (1, 2) and X[0].tolist() == [255, 0]
    wide = Image.fromarray(np.array([[0, 257 * 100, 65535]], np.uint16))
    X, _, _, shape = load_image_folder(two_classes(tmp_path / "16", wide), size=(3, 1))
    assert shape == (1, 3) and X[0].tolist() == [0, 100, 255]


# ---------------------------------------------------------------- files and folders
def test_hidden_and_non_image_files_are_skipped(tmp_path):
    expected_X, expected_y = write_digits(tmp_path, count=30)
    (tmp_path / ".DS_Store").write_bytes(b"\0\1junk")
    (tmp_path / "README.txt").write_text("digits")
    (tmp_path / SORTED[0] / "notes.txt").write_text("not an image")
    (tmp_path / SORTED[0] / "._0000.png").write_bytes(b"AppleDouble junk")  # macOS resource fork
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / SORTED[1] / ".cache").mkdir()
    Image.new("L", (3, 3)).save(tmp_path / SORTED[1] / ".cache" / "x.png")
    X, y, classes, _ = load_image_folder(tmp_path)
    assert classes == SORTED
    np.testing.assert_array_equal(X, expected_X)
    np.testing.assert_array_equal(y, expected_y)


def test_corrupt_and_fake_images_are_named_in_one_line(tmp_path):
    write_digits(tmp_path, count=20)
    victim = sorted((tmp_path / SORTED[2]).iterdir())[0]
    victim.write_bytes(victim.read_bytes()[:-30])  # truncated in the image data
    with pytest.raises(ValueError, match="not a readable PNG or JPEG image") as error:
        load_image_folder(tmp_path)
    one_line(error, victim)
    victim.write_bytes(b"hello, I am text")
    with pytest.raises(ValueError, match="not a readable PNG or JPEG image") as error:
        load_image_folder(tmp_path)
    one_line(error, victim)
    Image.new("L", (8, 8)).save(victim, format="GIF")  # an image, but neither PNG nor JPEG
    with pytest.raises(ValueError, match="not a readable PNG or JPEG image") as error:
        load_image_folder(tmp_path)
    one_line(error, victim)


def test_empty_class_folder(tmp_path):
    write_digits(tmp_path, count=20)
    (tmp_path / "ten").mkdir()
    (tmp_path / "ten" / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match="the class folder holds no PNG or JPEG files") as error:
        load_image_folder(tmp_path)
    one_line(error, tmp_path / "ten")


def test_classes_and_folders_that_cannot_be_a_data_set(tmp_path):
    (tmp_path / "cats").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "cats" / "x.png")
    with pytest.raises(ValueError, match="at least two; found only 'cats'") as error:
        load_image_folder(tmp_path)
    one_line(error, tmp_path)
    with pytest.raises(ValueError, match="belong to no class \\(e.g. x.png\\)"):
        load_image_folder(tmp_path / "cats")  # a class folder given for the data set
    (tmp_path / "cats" / "x.png").unlink()
    with pytest.raises(ValueError, match="at least two; found none"):
        load_image_folder(tmp_path / "cats")
    (tmp_path / "dogs").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "dogs" / "y.png")
    Image.new("L", (8, 8)).save(tmp_path / "stray.png")
    with pytest.raises(ValueError, match="belong to no class \\(e.g. stray.png\\)"):
        load_image_folder(tmp_path)
    with pytest.raises(ValueError, match="no such folder"):
        load_image_folder(tmp_path / "nowhere")


def test_decompression_bombs_are_refused_before_decoding(tmp_path, monkeypatch):
    write_digits(tmp_path, count=20)
    monkeypatch.setattr(images, "MAX_PIXELS", 63)
    with pytest.raises(ValueError, match="too large to decode \\(8×8 pixels\\); an image may have at most 63 pixels"):
        load_image_folder(tmp_path)


@pytest.mark.parametrize("size", [(0, 8), (8,), (8, 8, 8), "8x8", (True, 8), (8.0, 8), 8, (100000, 100000)])
def test_bad_size(tmp_path, size):
    with pytest.raises(ValueError, match="size"):
        load_image_folder(tmp_path, size=size)


def test_bad_colour(tmp_path):
    with pytest.raises(ValueError, match="color"):
        load_image_folder(tmp_path, color="gray")
    with pytest.raises(ValueError, match="color"):
        read_images([tmp_path / "x.png"], (8, 8), None)


def test_without_pillow_says_which_extra(tmp_path, monkeypatch):
    write_digits(tmp_path, count=20)
    monkeypatch.setitem(sys.modules, "PIL", None)  # what `import PIL` sees when it is absent
    with pytest.raises(ValueError, match=r"^reading images needs Pillow, which is not installed: pip install 'deltaprop\[images\]'$"):
        load_image_folder(tmp_path)


def test_pillow_is_imported_only_when_reading_images():
    code = "import sys, deltaprop, deltaprop.datasets, deltaprop.cli\nassert 'PIL' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- inputs for prediction
def test_image_files_one_file_or_a_folder(tmp_path):
    write_digits(tmp_path, count=20)
    (tmp_path / "notes.txt").write_text("skipped")
    found = image_files(tmp_path)
    assert len(found) == 20 and found == sorted(found, key=lambda p: p.relative_to(tmp_path).parts)
    assert image_files(found[3]) == [found[3]]
    with pytest.raises(ValueError, match="notes.txt: not a PNG or JPEG file"):
        image_files(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: holds no PNG or JPEG files"):
        image_files(tmp_path / "empty")
    with pytest.raises(ValueError, match="nowhere: no such file or folder"):
        image_files(tmp_path / "nowhere")


def test_read_images_converts_as_the_folder_reader(tmp_path):
    write_digits(tmp_path, count=20)
    X, _, _, _ = load_image_folder(tmp_path, size=(4, 5), color="rgb")
    files = [p for name in SORTED for p in sorted((tmp_path / name).iterdir())]
    np.testing.assert_array_equal(read_images(files, (4, 5), "rgb"), X)
    assert read_images(files[:2], [8, 8], "grey").shape == (2, 64)
    with pytest.raises(ValueError, match="paths holds no image files"):
        read_images([], (8, 8), "grey")
    with pytest.raises(ValueError, match="size must be a \\(width, height\\) pair"):
        read_images(files, None, "grey")


# ---------------------------------------------------------------- through the registry
def test_read_and_load_an_image_folder(tmp_path):
    expected_X, expected_y = write_digits(tmp_path, count=200)
    data = dp.datasets.read(tmp_path, test_fraction=0.25, seed=3)
    assert data.classes == SORTED and data.image_shape == (8, 8) and data.name == str(tmp_path)
    assert data.input_scaling == Scaling.divide_by(255, 64)
    (X, y), (X_test, y_test) = data.train, data.test
    assert len(X) == 150 and len(X_test) == 50 and X.max() == 240
    for part, expected in zip((X, y, X_test, y_test), (a for pair in train_test_split(expected_X, expected_y, 0.25, 3) for a in pair)):
        np.testing.assert_array_equal(part, expected)  # the seeded shuffle of every other source
    (Xs, ys), _ = dp.datasets.load(tmp_path, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(Xs, X / np.float32(255))
    assert Xs.min() >= 0 and Xs.max() <= 1 and Xs.dtype == np.float32
    np.testing.assert_array_equal(ys, y)
    (Xr, _), _ = dp.datasets.load(tmp_path, image_size=(4, 2), color="rgb")
    assert Xr.shape[1] == 4 * 2 * 3
    assert dp.datasets.read(tmp_path, image_size=(4, 2)).image_shape == (2, 4)


def test_image_options_apply_to_image_folders_only(tmp_path):
    with pytest.raises(ValueError, match="image_size=\\(8, 8\\) applies to folders of images only; 'digits' is not one"):
        dp.datasets.read("digits", image_size=(8, 8))
    with pytest.raises(ValueError, match="color='rgb' applies to folders of images only"):
        dp.datasets.load("xor", color="rgb")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="a data set must be a folder of IDX files or of class subfolders of images, a .csv or an .npz file"):
        dp.datasets.read(tmp_path)  # a folder with neither


def test_a_network_learns_digits_pngs_and_names_a_new_one(tmp_path):
    write_digits(tmp_path)
    data = dp.datasets.read(tmp_path)
    net = dp.Network([64, 32, 10], activation="sigmoid", output="softmax", cost="log_likelihood", seed=0)
    net.input_scaling, net.classes = data.input_scaling, data.classes
    (X, y), (X_test, y_test) = data.train, data.test
    dp.fit(net, X, y, epochs=10, batch_size=16, optimizer=dp.Adam(lr=0.01), seed=0, progress=False)
    accuracy = np.mean(net.predict(X_test) == np.array(data.classes)[y_test])
    assert accuracy > 0.9, accuracy
    sample = tmp_path / "new.png"  # a held-out digit, 4× bigger and in RGB: shrunk (blurred) and made grey
    picture = Image.fromarray(X_test[0].reshape(8, 8).astype(np.uint8), mode="L")
    picture.resize((32, 32), Image.Resampling.NEAREST).convert("RGB").save(sample)
    X_new = read_images(image_files(sample), size=(8, 8), color="grey")
    assert net.predict(X_new).tolist() == [data.classes[y_test[0]]]
