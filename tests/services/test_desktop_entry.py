"""`kontor --install-desktop-entry`: a valid menu entry, file types the desktop's own tools accept, and removal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app.cli import main
from app.services.desktop_entry import APP_ID, exec_quoted


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def test_the_entry_is_installed_for_the_user_and_removed_again(data_home: Path, capsys) -> None:
    assert main(["--install-desktop-entry"]) == 0
    assert f"in {data_home}" in capsys.readouterr().out
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    lines = dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines() if "=" in line)
    assert lines["Exec"].endswith(" gui %F") and "@EXEC@" not in lines["Exec"]
    assert lines["MimeType"] == "application/x-kontor-ledger;application/x-mt940;application/x-camt+xml;"
    assert (data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes().startswith(b"<")
    assert (data_home / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
    if shutil.which("update-mime-database"):  # the desktop's own compiler read the file types
        globs = (data_home / "mime" / "globs2").read_text(encoding="utf-8")
        assert "application/x-kontor-ledger:*.kontor" in globs and "application/x-mt940:*.sta" in globs
        namespaces = (data_home / "mime" / "XMLnamespaces").read_text(encoding="utf-8")
        assert "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 Document application/x-camt+xml" in namespaces

    assert main(["--remove-desktop-entry"]) == 0
    assert "4 files" in capsys.readouterr().out
    assert not entry.exists() and not (data_home / "mime" / "packages" / f"{APP_ID}.xml").exists()


def test_the_metadata_is_valid_appstream() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed")
    metainfo = Path(__file__).resolve().parents[2] / "resources" / "desktop" / f"{APP_ID}.metainfo.xml"
    checked = subprocess.run([tool, "validate", "--no-net", str(metainfo)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/opt/Kontor/kontor", "/opt/Kontor/kontor"),
        ("/home/anna/Meine Programme/kontor", '"/home/anna/Meine Programme/kontor"'),
        ('/tmp/a"b$c', '"/tmp/a\\"b\\$c"'),
        ("/opt/100%/kontor", "/opt/100%%/kontor"),
    ],
)
def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_wants(argument: str, quoted: str) -> None:
    assert exec_quoted(argument) == quoted
