"""``deltaprop playground``: the URL as the first line, loopback unless told, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import deltaprop
from deltaprop.cli import main

SRC = str(Path(deltaprop.__file__).parents[1])


def start(*args: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "deltaprop", "playground", "--port", "0", "--no-browser", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return proc, proc.stdout.readline()


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    return err


def test_the_first_line_is_the_url_of_a_server_on_loopback(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("u,v,label\n" + "".join(f"{i % 7},{i % 5},{'yes' if i % 3 else 'no'}\n" for i in range(60)))
    proc, line = start("--dataset", str(table))
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\n", line), line
        with urllib.request.urlopen(line.strip() + "api/state", timeout=60) as response:
            state = json.load(response)
        assert state["settings"]["dataset"] == "csv" and state["data"]["name"] == "t.csv" and state["classes"] == ["no", "yes"]
    finally:
        err = stop(proc)
    assert "training a 2-8-8-1 network on t.csv" in err


def test_another_host_is_warned_about() -> None:
    proc, line = start("--host", "127.0.0.2")
    try:
        assert re.fullmatch(r"http://127\.0\.0\.2:\d+/\n", line), line
    finally:
        err = stop(proc)
    assert "deltaprop: warning: the playground listens on 127.0.0.2: other machines that reach it can drive it" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--dataset", "mnist"], "deltaprop: error: --dataset must be xor, moons, circles, spirals or an existing .csv file; got 'mnist'\n"),
    (["--port", "70000"], "deltaprop: error: --port must be from 0 to 65535; got 70000\n"),
])
def test_bad_arguments_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["playground", "--no-browser", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == message
