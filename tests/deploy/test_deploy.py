"""The example systemd unit: valid for systemd, non-root, restarts, hardened."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "liaison.service"
INSTALLED_AT = "/opt/liaison/bin/liaison"


def settings() -> dict[str, list[str]]:
    """Key -> values of the unit (systemd allows a key more than once)."""
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_unit_runs_unprivileged_restarts_and_is_hardened() -> None:
    """A non-root user, restart on failure, and the main hardening options."""
    unit = settings()
    assert unit["User"] == ["liaison"] and unit["User"] != ["root"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecStart"][0].startswith(INSTALLED_AT)
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert unit[key] == [value], key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    """systemd itself finds no error and no unknown key (the binary path made real)."""
    liaison = Path(sys.executable).with_name("liaison")
    if not liaison.exists():
        pytest.skip("the liaison console script is not installed beside this Python")
    unit = tmp_path / "liaison.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED_AT, str(liaison)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in done.stderr.splitlines() if str(unit) in line or "liaison" in line]
    assert done.returncode == 0, done.stderr
    assert problems == [], problems
