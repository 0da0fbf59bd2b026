"""The command line on bad input: one clean line naming the input, a non-zero exit, never a
traceback; several files wherever a file is read; messages that name what was used.

Every command is tried with a missing file, a directory, a non-UTF-8 file, an empty file, a
file of corrupt lines, truncated or corrupt lines among good ones, and a PostgreSQL store on a
port where nothing listens. Commands run in-process (click's runner, which lets any exception
through) or, where the real entry point matters, as a real ``agentwrap`` process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import agentwrap
from agentwrap.cli import _build_cli
from agentwrap.demo import AIRLINE_SCRIPT, run_airline_agent
from tests._auto import clean_env

AGENTWRAP = Path(sys.executable).with_name("agentwrap")


def nothing(run):
    """A detector that finds nothing (backfill needs one)."""
    return []


@pytest.fixture(scope="module")
def files(tmp_path_factory, server) -> dict[str, Path]:
    """Good and bad inputs (read only): two real runs' files, and every kind of broken one."""
    import openai

    tmp_path = tmp_path_factory.mktemp("inputs")
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    made: dict[str, Path] = {}
    for name, release in (("good", "v1"), ("other", "v2")):
        made[name] = tmp_path / f"{name}.jsonl"
        agentwrap.instrument(file=str(made[name]), capture_content=True, log_summaries=False)
        server.enqueue(*AIRLINE_SCRIPT())
        with agentwrap.run(name="airline-agent", release=release):
            run_airline_agent(client)
        agentwrap.uninstrument()
    client.close()
    lines = made["good"].read_bytes().splitlines(keepends=True)
    made["truncated"] = tmp_path / "truncated.jsonl"  # the last line cut short (a crash)
    made["truncated"].write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    made["corrupt"] = tmp_path / "corrupt.jsonl"  # two bad lines (one not UTF-8) among good ones
    made["corrupt"].write_bytes(b"".join([*lines[:3], b'{"type": "sp\n', b"\xff\xfe\x00\n", *lines[3:]]))
    made["garbage"] = tmp_path / "garbage.jsonl"
    made["garbage"].write_bytes(b"not json\n{broken\n")
    made["binary"] = tmp_path / "binary.jsonl"  # not UTF-8 at all
    made["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8\xff\n")
    made["empty"] = tmp_path / "empty.jsonl"
    made["empty"].write_bytes(b"")
    made["directory"] = tmp_path / "a-directory"
    made["directory"].mkdir()
    made["missing"] = tmp_path / "missing.jsonl"
    made["spans_only"] = tmp_path / "spans-only.jsonl"  # records, but no run closed in them
    made["spans_only"].write_bytes(b"".join(line for line in lines if b'"type":"span"' in line))
    return made


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(_build_cli(), list(args), catch_exceptions=False)


def _reading(command: str, path: Path, tmp_path: Path) -> list[str]:
    """The arguments of a command that reads the JSONL file ``path``."""
    return {
        "view": ["view", str(path)],
        "report": ["report", "--from", str(path)],
        "dashboard": ["dashboard", "--from", str(path), "-o", str(tmp_path / "d.html")],
        "import": ["import", str(path), "--store", str(tmp_path / "runs.db")],
        "backfill": [
            "backfill",
            str(path),
            "--detector",
            f"{__name__}:nothing",
            "--store",
            str(tmp_path / "fs.db"),
        ],
    }[command]


READING = ["view", "report", "dashboard", "import", "backfill"]


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    [line] = result.stderr.splitlines()
    return line


@pytest.mark.parametrize("command", READING)
@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("missing", "Could not open file '{path}': No such file or directory"),
        ("directory", "Could not open file '{path}': Is a directory"),
        ("binary", "{path}: no records (3 lines are not JSON)"),
        ("garbage", "{path}: no records (2 lines are not JSON)"),
        ("empty", "{path}: no records (the file is empty)"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_error_line(files, tmp_path, command, kind, says):
    path = files[kind]
    result = _invoke(*_reading(command, path, tmp_path))
    assert _one_error_line(result) == "Error: " + says.format(path=path)
    assert result.stdout == ""


@pytest.mark.parametrize("command", READING)
@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("truncated", "agentwrap: {path}: line 10 is not JSON, skipped"),
        ("corrupt", "agentwrap: {path}: 2 lines are not JSON, skipped (the first: line 4)"),
    ],
)
def test_bad_lines_among_good_ones_are_skipped_with_one_warning_line(files, tmp_path, command, kind, says):
    lines = files["good"].read_bytes().splitlines()
    assert len(lines) == 10  # the truncated file's last line is line 10
    path = files[kind]
    result = _invoke(*_reading(command, path, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [says.format(path=path)]


def test_the_issue_s_three_cases_in_a_real_process(files, tmp_path):
    def agentwrap_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AGENTWRAP), *args], capture_output=True, text=True, timeout=60, env=clean_env(), cwd=tmp_path
        )

    viewed = agentwrap_cli("view", str(files["binary"]))
    assert (viewed.returncode, viewed.stdout) == (1, "")
    assert viewed.stderr == f"Error: {files['binary']}: no records (3 lines are not JSON)\n"
    imported = agentwrap_cli(
        "import", str(files["good"]), str(files["other"]), "--store", str(tmp_path / "r.db")
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        f"imported 1 runs, 1 events, 8 spans from {files[name]} into {tmp_path / 'r.db'}"
        for name in ("good", "other")
    ]
    reported = agentwrap_cli("report", "--from", str(files["garbage"]))
    assert (reported.returncode, reported.stdout) == (1, "")
    assert reported.stderr == f"Error: {files['garbage']}: no records (2 lines are not JSON)\n"


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--store", "{url}"],
        ["dashboard", "--store", "{url}", "-o", "{tmp}/d.html"],
        ["import", "{good}", "--store", "{url}"],
        ["backfill", "--from-store", "{url}", "--detector", f"{__name__}:nothing", "--store", "{tmp}/fs.db"],
    ],
    ids=["report", "dashboard", "import", "backfill"],
)
def test_a_database_that_cannot_be_reached_is_one_error_line(files, tmp_path, closed_port, args):
    pytest.importorskip("psycopg")
    url = f"postgresql://agentwrap:secret@127.0.0.1:{closed_port}/runs"
    given = [a.format(url=url, tmp=tmp_path, good=files["good"]) for a in args]
    line = _one_error_line(_invoke(*given))
    masked = f"postgresql://agentwrap:***@127.0.0.1:{closed_port}/runs"
    assert line.startswith(f"Error: cannot use the store {masked}: connection failed: "), line
    assert "refused" in line.lower() and "secret" not in line


@pytest.mark.parametrize("command", ["report", "dashboard", "backfill"])
def test_a_command_that_reads_a_store_never_creates_one(files, tmp_path, command):
    missing = tmp_path / "nowhere.db"
    args = {
        "report": ["report", "--store", str(missing)],
        "dashboard": ["dashboard", "--store", str(missing), "-o", str(tmp_path / "d.html")],
        "backfill": ["backfill", "--from-store", str(missing), "--detector", f"{__name__}:nothing"],
    }[command]
    line = _one_error_line(_invoke(*args))
    assert line == f"Error: no run store at {missing} (`agentwrap import` creates one)"
    assert not missing.exists()
    directory = _one_error_line(_invoke(*[str(files["directory"]) if a == str(missing) else a for a in args]))
    assert directory == f"Error: {files['directory']} is a directory, not a run store"
    not_a_database = _one_error_line(_invoke(*[str(files["good"]) if a == str(missing) else a for a in args]))
    assert not_a_database == f"Error: cannot use the store {files['good']}: file is not a database"


def test_the_default_store_is_named_when_there_is_none(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENTWRAP_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    line = _one_error_line(_invoke("report"))
    assert f"no run store at {tmp_path / 'data' / 'agentwrap' / 'agentwrap.db'} " in line


def test_several_files_wherever_a_file_is_read(files, tmp_path):
    good, other = str(files["good"]), str(files["other"])
    viewed = _invoke("view", good, other)
    assert viewed.exit_code == 0 and viewed.stdout.count("run=airline-agent") == 2
    report = _invoke("report", "--from", good, "--from", other, "--by", "release")
    assert report.exit_code == 0 and "2 runs" in report.stdout
    assert "v1" in report.stdout and "v2" in report.stdout
    out = tmp_path / "d.html"
    made = _invoke("dashboard", "--from", good, "--from", other, "-o", str(out))
    assert made.stdout == f"dashboard of {good}, {other} written to {out}\n"
    assert "2 runs" in out.read_text(encoding="utf-8")
    db = tmp_path / "runs.db"
    imported = _invoke("import", good, other, "--store", str(db))
    assert imported.stdout.splitlines() == [
        f"imported 1 runs, 1 events, 8 spans from {path} into {db}" for path in (good, other)
    ]
    replayed = _invoke(
        "backfill", good, other, "--detector", f"{__name__}:nothing", "--store", str(tmp_path / "f.db")
    )
    assert f"replayed 2 run(s) through 1 detector(s) from {good}, {other}" in replayed.stdout
    # One bad file among good ones: the command stops on it, and names it.
    line = _one_error_line(_invoke("view", good, str(files["missing"])))
    assert line == f"Error: Could not open file '{files['missing']}': No such file or directory"


def test_messages_name_the_input_used(files, tmp_path):
    spans_only = str(files["spans_only"])
    assert _invoke("report", "--from", spans_only).stdout == f"no runs in {spans_only} for this window\n"
    db = tmp_path / "runs.db"
    _invoke("import", spans_only, "--store", str(db))
    assert _invoke("report", "--store", str(db)).stdout == f"no runs in {db} for this window\n"


@pytest.mark.parametrize("command", ["demo", "run", "dashboard"])
@pytest.mark.parametrize(
    ("kind", "hint"), [("directory", "Is a directory"), ("under_a_file", "Not a directory")]
)
def test_an_output_that_cannot_be_written_is_one_error_line(files, command, kind, hint):
    # A real process: `run` would otherwise replace the test's own process with the program.
    target = files["directory"] if kind == "directory" else files["good"] / "runs.jsonl"
    args = {
        "demo": ["demo", "--quiet", "--file", str(target)],
        "run": ["run", "--file", str(target), "--", "python", "-c", "print('ran')"],
        "dashboard": ["dashboard", "--from", str(files["good"]), "-o", str(target)],
    }[command]
    proc = subprocess.run(
        [str(AGENTWRAP), *args], capture_output=True, text=True, timeout=60, env=clean_env()
    )
    assert (proc.returncode, proc.stdout) == (1, ""), proc.stderr
    assert proc.stderr == f"Error: Could not open file '{target}': {hint}\n"


def test_run_with_a_command_that_does_not_exist_is_one_error_line(tmp_path):
    proc = subprocess.run(
        [str(AGENTWRAP), "run", "--", "no-such-program-xyz"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "Error: cannot run no-such-program-xyz: No such file or directory\n"
