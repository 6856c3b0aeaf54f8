"""Folders of images: one subfolder per class of PNG and JPEG files, read through Pillow.

The layout is that of torchvision's ``ImageFolder`` and Keras' ``image_dataset_from_directory``::

    flowers/
        daisy/    001.jpg  002.jpg  ...
        tulip/    a.png    more/b.png  ...

Symbols → names: an image of width w and height h with c channels (1 grey, 3 RGB) becomes one
row of ``h·w·c`` raw pixel values 0…255, row by row, channels last: the value of channel ch at
row r, column q is feature ``(r·w + q)·c + ch``.

The rules, applied in this order to every file:

1. **Files.** Class folders are the folder's subfolders, sorted by name; a class folder's files
   are found at any depth (symbolic links to folders are not followed) and sorted by their path
   within it. Names starting with ``.`` (``.DS_Store``, macOS' ``._x.png``,
   ``.ipynb_checkpoints``) are skipped, files and folders alike, and so are files whose suffix is
   not one of :data:`SUFFIXES` (any case). A file with one of those suffixes must be a PNG or a
   JPEG, whatever its suffix says.
2. **Decoding.** A file that Pillow cannot read in full (corrupt, truncated, not an image) is a
   one-line ``ValueError`` that names it. An image of more than :data:`MAX_PIXELS` pixels is
   refused before it is decoded (decompression bombs). The EXIF orientation of a photo is
   applied, so the picture is the one a viewer shows.
3. **Colour.** Transparent pixels are composited onto white (alpha, palette and single-value
   transparency alike): what a viewer shows on a white page. 16-bit grey is scaled to 0…255;
   palette, CMYK and YCbCr images become RGB. Grey (``color="grey"``) is Pillow's ITU-R 601-2
   luma L = 0.299 R + 0.587 G + 0.114 B; RGB of a grey image repeats the grey value. With
   ``color=None`` a folder is grey when every pixel of every image has R = G = B after
   compositing (grey, black-and-white and grey-palette files, and RGB files that hold grey
   pictures), else RGB.
4. **Size.** Every image is resized to ``size=(w, h)``, by default to the size of the first image
   (the first file of the first class), with Pillow's bilinear filter (which averages over the
   source pixels when shrinking); the aspect ratio is not kept.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..validation import is_integer, known_name

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["SUFFIXES", "COLORS", "MAX_PIXELS", "load_image_folder", "image_files", "read_images"]

#: The suffixes of image files (compared in lower case).
SUFFIXES = (".png", ".jpg", ".jpeg")
#: The colour modes an image set can have.
COLORS = ("grey", "rgb")
#: The most pixels (width × height) an image may have: 8192 × 8192.
MAX_PIXELS = 8192 * 8192
_FORMATS = ("PNG", "JPEG")
_WHITE = (255, 255, 255, 255)


def _pillow() -> tuple:
    """Pillow's ``Image`` and ``ImageOps`` modules, or a ValueError saying how to get them."""
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise ValueError("reading images needs Pillow, which is not installed: pip install 'deltaprop[images]'") from None
    return Image, ImageOps


def load_image_folder(
    folder: str | os.PathLike[str], size: Sequence[int] | None = None, color: str | None = None
) -> tuple[np.ndarray, np.ndarray, list[str], tuple[int, ...]]:
    """Read a folder of class subfolders of images (see the module's rules).

    Parameters
    ----------
    folder : str or os.PathLike
        A folder with one subfolder of PNG/JPEG files per class, at least two classes.
    size : (int, int), optional
        (width, height) every image is resized to; by default the first image's size.
    color : {"grey", "rgb"}, optional
        The colour mode; by default grey if every image is grey, else RGB.

    Returns
    -------
    X : np.ndarray
        float32 of shape (n, h·w·c), raw pixel values 0…255; the rows follow the classes in
        sorted order and, within a class, the files in sorted order.
    y : np.ndarray
        int64 of shape (n,): the index of each row's class in ``classes``.
    classes : list of str
        The class folders' names, sorted.
    image_shape : tuple of int
        (h, w) for grey, (h, w, 3) for RGB.

    Raises
    ------
    ValueError
        One line that names the file or folder: no such folder, image files outside a class
        folder, fewer than two class folders, a class folder without images, an image that
        cannot be read or is too large; or a bad ``size`` or ``color``.
    """
    size, color = _as_size(size), _as_color(color)
    classes, files = _class_files(Path(folder))
    labels, pictures = [], []
    for label, paths in enumerate(files):
        for path in paths:
            picture = _decode(path)
            size = size or picture.size
            pictures.append(_resize(picture, size))
            labels.append(label)
    color = color or ("grey" if all(_is_grey(p) for p in pictures) else "rgb")
    X = np.stack([_pixels(p, color) for p in pictures])
    width, height = size
    return X, np.array(labels, dtype=np.int64), classes, (height, width) if color == "grey" else (height, width, 3)


def image_files(path: str | os.PathLike[str]) -> list[Path]:
    """The image files to predict on: ``path`` itself if it is a file, else every image file in
    the folder ``path`` at any depth, sorted, found by the module's rules of files.

    Raises
    ------
    ValueError
        ``path`` does not exist, is a file without an image suffix, or a folder without images.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in SUFFIXES:
            raise ValueError(f"{path}: not a PNG or JPEG file (the name must end with {', '.join(SUFFIXES)}, in any case)")
        return [path]
    if not path.is_dir():
        raise ValueError(f"{path}: no such file or folder")
    found = _images_under(path)
    if not found:
        raise ValueError(f"{path}: holds no PNG or JPEG files ({', '.join(SUFFIXES)})")
    return found


def read_images(paths: Sequence[str | os.PathLike[str]], size: Sequence[int], color: str) -> np.ndarray:
    """Read image files as :func:`load_image_folder` reads a folder, for a model's inputs.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The files, e.g. from :func:`image_files`.
    size : (int, int)
        (width, height) of the model's images; every image is resized to it.
    color : {"grey", "rgb"}
        The model's colour mode; every image is converted to it.

    Returns
    -------
    np.ndarray
        float32 of shape (len(paths), h·w·c), raw pixel values 0…255, in the order of ``paths``.

    Raises
    ------
    ValueError
        No paths, a bad ``size`` or ``color``, or a file that cannot be read (named).
    """
    size = _as_size(size)
    if size is None:
        raise ValueError("size must be a (width, height) pair of positive integers; got None")
    color = known_name("color", color, COLORS)
    if not paths:
        raise ValueError("paths holds no image files")
    return np.stack([_pixels(_resize(_decode(Path(p)), size), color) for p in paths])


def _as_size(size: object) -> tuple[int, int] | None:
    """``size`` as a (width, height) tuple, ``None`` for none, or a ValueError."""
    if size is None:
        return None
    if (
        isinstance(size, str)
        or not isinstance(size, Sequence | np.ndarray)
        or len(size) != 2
        or not all(is_integer(s) and s > 0 for s in size)
    ):
        raise ValueError(f"size must be a (width, height) pair of positive integers; got {size!r}")
    width, height = int(size[0]), int(size[1])
    if width * height > MAX_PIXELS:
        raise ValueError(f"size {width}×{height} has more than {MAX_PIXELS} pixels")
    return width, height


def _as_color(color: object) -> str | None:
    """``color`` if it is one of :data:`COLORS` or ``None``, else a ValueError."""
    return None if color is None else known_name("color", color, COLORS)


def _is_visible_image(name: str) -> bool:
    """Whether a file name is an image file's: an image suffix, and not hidden."""
    return not name.startswith(".") and Path(name).suffix.lower() in SUFFIXES


def _images_under(folder: Path) -> list[Path]:
    """The visible image files in ``folder`` at any depth, sorted by their path within it."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, f) for f in files if _is_visible_image(f)]
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _class_files(folder: Path) -> tuple[list[str], list[list[Path]]]:
    """The sorted class names and, for each, its sorted image files; or a ValueError."""
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such folder")
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    loose = [p.name for p in entries if p.is_file() and _is_visible_image(p.name)]
    if loose:
        raise ValueError(
            f"{folder}: image files directly in the folder belong to no class (e.g. {loose[0]}); "
            "put each image in its class's subfolder"
        )
    classes = [p.name for p in entries if p.is_dir()]
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if classes else "none"
        raise ValueError(f"{folder}: an image data set needs one subfolder per class, at least two; found {found}")
    files = [_images_under(folder / name) for name in classes]
    for name, paths in zip(classes, files):
        if not paths:
            raise ValueError(f"{folder / name}: the class folder holds no PNG or JPEG files ({', '.join(SUFFIXES)})")
    return classes, files


def _unreadable(path: Path, error: BaseException) -> ValueError:
    """The one-line error for a file Pillow cannot read."""
    detail = " ".join(str(error).split()) or type(error).__name__
    return ValueError(f"{path}: not a readable PNG or JPEG image ({detail})")


def _too_large(path: Path, detail: str) -> ValueError:
    """The one-line error for an image of too many pixels."""
    return ValueError(f"{path}: too large to decode ({detail}); an image may have at most {MAX_PIXELS} pixels")


def _decode(path: Path) -> PILImage.Image:
    """The image in ``path``, upright, in mode "L" (grey) or "RGB", transparency on white."""
    Image, ImageOps = _pillow()
    # what Pillow raises on broken files: OSError (UnidentifiedImageError, "truncated"), and
    # from its parsers SyntaxError, ValueError, EOFError, struct.error and a few more
    errors = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, ZeroDivisionError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS decides
            image = Image.open(path, formats=_FORMATS)
    except Image.DecompressionBombError as error:
        raise _too_large(path, " ".join(str(error).split())) from None
    except errors as error:
        raise _unreadable(path, error) from None
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise _too_large(path, f"{width}×{height} pixels")
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
        except errors as error:
            raise _unreadable(path, error) from None
    return _canonical(path, image)


def _canonical(path: Path, image: PILImage.Image) -> PILImage.Image:
    """``image`` (loaded) in mode "L" or "RGB" by the module's rules of colour."""
    Image, _ = _pillow()
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):  # 16-bit grey: 0…65535 to 0…255
        grey = np.asarray(image, dtype=np.float64) / 257.0
        return Image.fromarray(np.clip(np.rint(grey), 0, 255).astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, _WHITE)
        return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    if image.mode in ("1", "L"):
        return image.convert("L")
    if image.mode in ("P", "RGB", "CMYK", "YCbCr"):
        return image.convert("RGB")
    raise ValueError(f"{path}: images of mode {image.mode!r} are not supported (grey, RGB, palette, CMYK, with or without alpha)")


def _resize(image: PILImage.Image, size: tuple[int, int]) -> PILImage.Image:
    """``image`` at ``size`` (width, height), bilinear; itself if it has that size."""
    Image, _ = _pillow()
    return image if image.size == size else image.resize(size, Image.Resampling.BILINEAR)


def _is_grey(image: PILImage.Image) -> bool:
    """Whether every pixel has R = G = B."""
    if image.mode == "L":
        return True
    rgb = np.asarray(image)
    return bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())


def _pixels(image: PILImage.Image, color: str) -> np.ndarray:
    """The pixels of ``image`` (mode "L" or "RGB") in ``color``, one float32 row."""
    mode = "L" if color == "grey" else "RGB"
    return np.asarray(image if image.mode == mode else image.convert(mode), dtype=np.float32).reshape(-1)
