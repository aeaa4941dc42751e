"""deploy/systemd/: the unit files the README tells an operator to install, checked as systemd reads them
(`systemd-analyze verify`, with the paths moved to this checkout) and the backup unit's commands run for real."""

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
UNITS = BASE_DIR / "deploy" / "systemd"
APP = "/srv/newsroom/app"
BACKUPS = "/srv/newsroom/backups"


def read_unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def installed_copy(tmp_path):
    """The units with their paths pointing at this checkout and a temporary backup folder."""
    folder = tmp_path / "units"
    folder.mkdir()
    for unit in UNITS.iterdir():
        text = unit.read_text().replace(APP, str(BASE_DIR)).replace(BACKUPS, str(tmp_path / "backups"))
        (folder / unit.name).write_text(text.replace(f"{BASE_DIR}/.venv/bin/python", sys.executable))
    return folder


def test_every_timer_starts_a_unit_that_is_shipped():
    names = {unit.name for unit in UNITS.iterdir()}
    timers = sorted(UNITS.glob("*.timer"))
    assert timers
    for timer in timers:
        target = read_unit(timer)["Timer"].get("Unit", timer.name.replace(".timer", ".service"))
        template = target.split("@", 1)[0] + "@.service" if "@" in target else target
        assert template in names, (timer.name, target)


def test_gunicorn_runs_as_the_readme_says():
    exec_start = read_unit(UNITS / "newsroom.service")["Service"]["ExecStart"]
    readme = (BASE_DIR / "README.md").read_text()
    for option in (
        "--worker-class newsroom.gunicorn_worker.BalancedThreadWorker",
        "--threads 2",
        "--timeout 60",
        "--graceful-timeout 20",
    ):
        assert option in exec_start and option in readme


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    folder = installed_copy(tmp_path)
    units = [str(path) for path in sorted(folder.iterdir()) if "@." not in path.name]
    units.append(str(folder / "newsroom-manage@empty_trash.service"))

    result = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "is not executable" not in result.stderr


def test_the_backup_unit_writes_a_backup_and_removes_only_old_ones(tmp_path):
    folder = installed_copy(tmp_path)
    service = read_unit(folder / "newsroom-backup.service")["Service"]
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "s" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "NEWSROOM_CACHE_DIR": str(tmp_path / "cache"),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=environment, check=True)
    backups = tmp_path / "backups"
    old, recent = backups / "20251001T031500Z", backups / "20261120T031500Z"
    for kept in (old, recent):
        (kept / "media").mkdir(parents=True)
    month_ago = time.time() - 40 * 24 * 3600
    os.utime(old, (month_ago, month_ago))

    for key in ("ExecStart", "ExecStartPost"):
        argv = shlex.split(service[key])
        result = subprocess.run(argv, cwd=service["WorkingDirectory"], env=environment, capture_output=True, text=True)
        assert result.returncode == 0, (key, result.stderr)

    made = [path for path in backups.iterdir() if path not in (old, recent)]
    assert len(made) == 1 and (made[0] / "manifest.json").is_file()
    assert recent.is_dir() and not old.exists()
