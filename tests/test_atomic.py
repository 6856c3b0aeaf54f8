"""Atomic writes: temporary files named after their writer, and those of dead writers removed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deltaprop.atomic import atomic_write, remove_stale_temps


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_the_temporary_file_names_its_writer(tmp_path):
    with atomic_write(tmp_path / "model.npz") as f:
        f.write(b"x")
        (temp,) = os.listdir(tmp_path)
        assert temp.startswith(f".model.npz.{os.getpid()}.") and temp.endswith(".tmp")
    assert os.listdir(tmp_path) == ["model.npz"]


def test_only_the_temporary_files_of_dead_writers_are_removed(tmp_path):
    dead, alive = dead_pid(), os.getpid()
    names = {
        f".model.npz.{dead}.a1b2c3d4.tmp": False,  # a writer killed outright
        f".checkpoint.npz.{dead}.zz_9yy8x.tmp": False,
        f".model.npz.{alive}.a1b2c3d4.tmp": True,  # being written now
        ".model.npz.a1b2c3d4.tmp": True,  # an older deltaprop's name: no pid to check
        f"model.npz.{dead}.a1b2c3d4.tmp": True,  # not hidden: not ours
        "checkpoint.npz": True,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / f".folder.{dead}.abcdefgh.tmp").mkdir()  # a folder is never removed
    removed = remove_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == sorted(name for name, kept in names.items() if not kept)
    assert sorted(os.listdir(tmp_path)) == sorted([*(name for name, kept in names.items() if kept), f".folder.{dead}.abcdefgh.tmp"])


@pytest.mark.parametrize("where", ["missing", "file"])
def test_a_missing_folder_holds_no_temporary_files(tmp_path, where):
    path = tmp_path / "x"
    if where == "file":
        path.write_bytes(b"")
    assert remove_stale_temps(path) == []
