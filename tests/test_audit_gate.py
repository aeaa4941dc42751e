"""`make audit` judges pip-audit's report itself: pip-audit says "No known vulnerabilities found" and exits 0 when
it could not reach its vulnerability database, so "nothing checked" must fail, not pass."""

import json
import subprocess
import sys
from pathlib import Path

GATE = Path(__file__).resolve().parent.parent / "ops" / "pip_audit_gate.py"
SKIPPED = "Dependency not found on PyPI and could not be audited: django (5.2.19)"


def gate(tmp_path, report):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report) if not isinstance(report, str) else report)
    return subprocess.run([sys.executable, GATE, path], capture_output=True, text=True)


def test_every_package_checked_and_clean_passes(tmp_path):
    report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}], "fixes": []}
    result = gate(tmp_path, report)
    assert result.returncode == 0
    assert "1 packages checked, 0 not checked, 0 vulnerable" in result.stdout


def test_nothing_checked_because_the_database_was_unreachable_fails(tmp_path):
    # What pip-audit 2.10.1 reports here, where its vulnerability service cannot be reached, while exiting 0.
    report = {"dependencies": [{"name": "django", "skip_reason": SKIPPED}], "fixes": []}
    result = gate(tmp_path, report)
    assert result.returncode == 2
    assert "NOT CHECKED django" in result.stdout and "not a pass" in result.stdout


def test_one_package_not_checked_fails_even_if_the_rest_are_clean(tmp_path):
    report = {
        "dependencies": [
            {"name": "nh3", "version": "0.3.7", "vulns": []},
            {"name": "django", "skip_reason": SKIPPED},
        ]
    }
    assert gate(tmp_path, report).returncode == 2


def test_known_vulnerability_fails_and_names_the_fix(tmp_path):
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["5.2.20"], "aliases": [], "description": ""}
    report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": [vuln]}]}
    result = gate(tmp_path, report)
    assert result.returncode == 1
    assert "VULNERABLE django 5.2.19: PYSEC-2099-1 (fixed in: 5.2.20)" in result.stdout


def test_no_report_at_all_fails(tmp_path):
    assert gate(tmp_path, "").returncode == 2
    assert gate(tmp_path, {"dependencies": []}).returncode == 2


def test_a_package_the_report_says_nothing_about_is_not_a_pass(tmp_path):
    report = {"dependencies": [{"name": "nh3", "version": "0.3.7", "vulns": []}, {"name": "django"}]}
    result = gate(tmp_path, report)
    assert result.returncode == 2
    assert "NOT CHECKED django" in result.stdout
