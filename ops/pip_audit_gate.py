"""Judge a pip-audit JSON report honestly (`make audit`).

pip-audit prints "No known vulnerabilities found" and exits 0 when it could not reach its vulnerability database:
every package is then only "skipped" ("Dependency not found on PyPI and could not be audited"). This gate passes
only when every package was really checked and none has a known vulnerability:

    python ops/pip_audit_gate.py REPORT.json

Exit status: 0 all checked and clean; 1 known vulnerabilities; 2 some or all packages could not be checked.
"""

import json
import sys


def judge(report):
    dependencies = report.get("dependencies", [])
    checked = [item for item in dependencies if "vulns" in item]
    skipped = [item for item in dependencies if "skip_reason" in item]
    vulnerable = [item for item in checked if item["vulns"]]
    lines = [f"pip-audit: {len(checked)} packages checked, {len(skipped)} not checked, {len(vulnerable)} vulnerable"]
    for item in vulnerable:
        for vuln in item["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"  VULNERABLE {item['name']} {item['version']}: {vuln['id']} (fixed in: {fixed})")
    for item in skipped:
        lines.append(f"  NOT CHECKED {item['name']}: {item['skip_reason']}")
    if vulnerable:
        return 1, lines
    unknown = [item for item in dependencies if "vulns" not in item and "skip_reason" not in item]
    for item in unknown:
        lines.append(f"  NOT CHECKED {item.get('name', '?')}: the report says neither its vulnerabilities nor why")
    if skipped or unknown or not checked:
        lines.append(
            "pip-audit could not check every package (no access to its vulnerability database?): "
            "this is not a pass, whatever pip-audit itself printed."
        )
        return 2, lines
    return 0, lines


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as stream:
            report = json.load(stream)
    except (OSError, ValueError) as error:
        print(f"pip-audit gave no readable report ({error}): not a pass", file=sys.stderr)
        return 2
    status, lines = judge(report)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
