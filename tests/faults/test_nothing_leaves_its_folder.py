"""Nothing leaves its folder: the package copies only what is in the results folder and the
harness source (never through a symbolic link), writes only into the folder it builds, refuses
names that would make a path, and a download is unpacked only when every member is a plain file
or folder inside the archive."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import package_fixtures as fx
import pytest

from mlperf_tui.assets.download import extract
from mlperf_tui.cli import main
from mlperf_tui.errors import AssetError, ExitCode, PackageError, ProfileError
from mlperf_tui.package import build_package
from mlperf_tui.package import tree as package_tree
from mlperf_tui.package.source import folder_name
from mlperf_tui.profile import parse_profile
from mlperf_tui.profile.checks import MAX_NAME_CHARS


def _results(good: dict[str, Path], tmp_path: Path) -> Path:
    return fx.copy_tree(good["test_results"], tmp_path / "results")


def _refused(results: Path, tmp_path: Path, match: str) -> PackageError:
    out = tmp_path / "out" / "pkg"
    with pytest.raises(PackageError, match=match) as raised:
        build_package(results, out, tar=True)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    return raised.value


# -- the package copies only what lies in the results folder ----------------------------------


def test_a_run_log_linked_from_outside_is_refused(good: dict[str, Path], tmp_path: Path) -> None:
    results = _results(good, tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for publication\n", encoding="utf-8")
    log = results / "runs" / "Offline-performance" / "mlperf_log_summary.txt"
    log.unlink()
    log.symlink_to(secret)
    error = _refused(results, tmp_path, "is a symbolic link")
    assert "mlperf_log_summary.txt" in error.message and str(secret) in error.message
    assert "copy of the file" in error.fix


@pytest.mark.parametrize("name", ["profile.yaml", "system.json"])
def test_the_results_description_linked_from_outside_is_refused(
    good: dict[str, Path], tmp_path: Path, name: str
) -> None:
    results = _results(good, tmp_path)
    outside = tmp_path / f"outside-{name}"
    shutil.move(str(results / name), outside)
    (results / name).symlink_to(outside)
    error = _refused(results, tmp_path, "is a symbolic link")
    assert name in error.message


def test_a_run_folder_linked_from_outside_is_refused(good: dict[str, Path], tmp_path: Path) -> None:
    results = _results(good, tmp_path)
    run = results / "runs" / "Offline-accuracy"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(run), elsewhere)
    run.symlink_to(elsewhere, target_is_directory=True)
    error = _refused(results, tmp_path, "outside the results folder")
    assert "Offline-accuracy" in error.message


def test_a_run_id_that_climbs_out_is_refused_and_nothing_is_written(
    good: dict[str, Path], tmp_path: Path
) -> None:
    results = _results(good, tmp_path)
    summary = results / "summary.json"
    doc = json.loads(summary.read_text(encoding="utf-8"))
    doc["runs"][0]["run_id"] = "../../../escaped"
    summary.write_text(json.dumps(doc), encoding="utf-8")
    error = _refused(results, tmp_path, "not a folder name")
    assert "edited by hand" in error.fix
    assert not list(tmp_path.rglob("escaped*"))


def test_a_link_in_the_harness_source_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness

    fake = tmp_path / "harness"
    fake.mkdir()
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "private.key").write_text("secret\n", encoding="utf-8")
    (fake / "settings.py").symlink_to(tmp_path / "private.key")
    monkeypatch.setattr(harness, "__file__", str(fake / "__init__.py"))
    with pytest.raises(PackageError, match="symbolic link") as raised:
        package_tree.copy_harness_source(tmp_path / "dest")
    assert "settings.py" in raised.value.message
    assert not (tmp_path / "dest").exists()


# -- names that would make a path --------------------------------------------------------------

_PROFILE = """\
schema_version: 1
round: v6.1
benchmark: resnet50
division: open
category: edge
scenarios: [Offline]
modes: [performance]
execution: test
assets:
  model: {source: synthetic, kind: resnet50}
  dataset: {source: synthetic, count: 64}
"""


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("submitter", "../ACME"),
        ("submitter", "ACME/Labs"),
        ("submitter", ".ACME"),
        ("submitter", "ACME\n"),
        ("submitter", "ACME\0"),
        ("submitter", "A" * (MAX_NAME_CHARS + 1)),
        ("system_name", "../../etc"),
        ("system_name", "box/1"),
        ("system_name", "box\\1"),
        ("system_name", ".box"),
        ("system_name", "box\0one"),
        ("system_name", "box\tone"),
        ("system_name", "b" * (MAX_NAME_CHARS + 1)),
    ],
)
def test_a_name_that_would_make_a_path_is_refused_at_profile_load(key: str, value: str) -> None:
    text = _PROFILE + f"{key}: {json.dumps(value)}\n"
    with pytest.raises(ProfileError) as raised:
        parse_profile(text, "p.yaml")
    assert key in raised.value.message
    assert raised.value.fix
    assert raised.value.exit_code == ExitCode.BAD_INPUT


@pytest.mark.parametrize("value", ["ACME Labs box (2x Xeon 8480+)", "x" * MAX_NAME_CHARS])
def test_ordinary_system_names_still_load(value: str) -> None:
    assert parse_profile(_PROFILE + f"system_name: {json.dumps(value)}\n").system_name == value


def test_a_name_that_would_make_a_path_is_refused_at_package_time(
    good: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = fx.variant_results(
        good["test_results"], tmp_path / "results", profile={"submitter": "../../x"}, summary={}
    )
    out = tmp_path / "out" / "pkg"
    code = main(["package", str(results), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == int(ExitCode.BAD_INPUT), err
    assert "submitter" in err and "fix:" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "x").exists()


def test_a_detected_system_name_becomes_a_short_plain_folder_name() -> None:
    name = folder_name("AMD Ryzen 9 7940HS w/ Radeon 780M Graphics " * 10)
    assert len(name) <= MAX_NAME_CHARS
    assert "/" not in name and not name.startswith(".") and not name.endswith("_")
    assert folder_name("../..") == "system"


# -- archives of downloads ---------------------------------------------------------------------


def _tar(path: Path, add: Callable[[tarfile.TarFile], None]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        ok = tarfile.TarInfo("data/ok.txt")
        ok.size = 3
        tf.addfile(ok, io.BytesIO(b"ok\n"))
        add(tf)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, **attrs: Any) -> Callable[[Any], None]:
    def add(tf: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        for key, value in attrs.items():
            setattr(info, key, value)
        tf.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)

    return add


@pytest.mark.parametrize(
    ("member", "what"),
    [
        (_member("/etc/cron.d/evil"), "absolute path"),
        (_member("../evil.txt"), "absolute path or .."),
        (_member("data/../../evil.txt"), "absolute path or .."),
        (_member("data/link", tarfile.SYMTYPE, linkname="/etc/passwd"), "a link"),
        (_member("data/inside", tarfile.SYMTYPE, linkname="ok.txt"), "a link"),
        (_member("data/hard", tarfile.LNKTYPE, linkname="data/ok.txt"), "a link"),
        (_member("data/null", tarfile.CHRTYPE, devmajor=1, devminor=3), "device file"),
        (_member("data/disk", tarfile.BLKTYPE, devmajor=8, devminor=0), "device file"),
        (_member("data/pipe", tarfile.FIFOTYPE), "device file, pipe"),
    ],
    ids=[
        "absolute",
        "dotdot",
        "dotdot-inside",
        "symlink-out",
        "symlink-in",
        "hardlink",
        "char-device",
        "block-device",
        "fifo",
    ],
)
def test_a_tar_member_that_is_not_a_plain_file_inside_is_refused(
    tmp_path: Path, member: Callable[[tarfile.TarFile], None], what: str
) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    archive = _tar(root / "data.tar.gz", member)
    with pytest.raises(AssetError, match="nothing was unpacked") as raised:
        extract(archive, root)
    assert what in raised.value.message
    assert raised.value.fix
    assert sorted(p.name for p in root.iterdir()) == ["data.tar.gz"]  # no extracted/, no temp
    assert not (tmp_path / "evil.txt").exists()


def _zip(path: Path, name: str, mode: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data/ok.txt", "ok\n")
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        zf.writestr(info, "/etc/passwd" if mode and stat.S_ISLNK(mode) else "x")
    return path


@pytest.mark.parametrize(
    ("name", "mode", "what"),
    [
        ("/abs.txt", None, "absolute path"),
        ("../evil.txt", None, "absolute path or .."),
        ("data\\..\\..\\evil.txt", None, "absolute path or .."),
        ("C:/evil.txt", None, "absolute path"),
        ("data/link", stat.S_IFLNK | 0o777, "symbolic link"),
        ("data/pipe", stat.S_IFIFO | 0o644, "device file, pipe"),
    ],
    ids=["absolute", "dotdot", "backslash-dotdot", "drive", "symlink", "fifo"],
)
def test_a_zip_member_that_is_not_a_plain_file_inside_is_refused(
    tmp_path: Path, name: str, mode: int | None, what: str
) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    archive = _zip(root / "data.zip", name, mode)
    with pytest.raises(AssetError, match="nothing was unpacked") as raised:
        extract(archive, root)
    assert what in raised.value.message
    assert sorted(p.name for p in root.iterdir()) == ["data.zip"]


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_a_plain_archive_is_still_unpacked(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    if kind == "tar":
        archive = _tar(root / "data.tar.gz", _member("data/more/b.txt"))
    else:
        archive = _zip(root / "data.zip", "data/more/b.txt", stat.S_IFREG | 0o644)
    dest = extract(archive, root)
    assert (dest / "data" / "ok.txt").read_text(encoding="utf-8") == "ok\n"
    assert (dest / "data" / "more" / "b.txt").is_file()
    assert not any(p.name.startswith(".extract.") for p in root.iterdir())
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert os.path.realpath(dest).startswith(os.path.realpath(root))
