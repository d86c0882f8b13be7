"""Print `make mutation`'s score per file and every surviving mutant with its diff.

mutmut keeps one `<file>.meta` per mutated file under mutants/, mapping each mutant to the exit code
of the tests run against it. Exits non-zero when a mutant survived that docs/testing.md does not list
as equivalent, so a weakened test shows up as a failure and not as a quieter score.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

MUTANTS = Path("mutants")
EQUIVALENTS = Path("docs/testing.md")
KILLED = {1, 3, 37}  # a failing test, pytest's internal error, the type checker
TIMEOUT = {24, -24, 36, 152, 255}  # a mutant that loops forever is caught, not survived


def results() -> dict[str, dict[str, int | None]]:
    by_file = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            by_file[str(meta.relative_to(MUTANTS))[: -len(".meta")]] = codes
    return by_file


def listed_equivalents() -> set[str]:
    """Mutant names written in backticks in docs/testing.md's list of equivalent mutants."""
    if not EQUIVALENTS.exists():
        return set()
    return set(re.findall(r"`([\w.]+__mutmut_\d+)`", EQUIVALENTS.read_text()))


def main() -> int:
    by_file = results()
    if not by_file:
        print("No mutation results: run `make mutation`.")
        return 1
    equivalents = listed_equivalents()
    unexplained = []
    print(f"{'file':45} {'mutants':>8} {'killed':>8} {'equiv.':>7} {'score':>7}")
    for path, codes in by_file.items():
        caught = sum(1 for code in codes.values() if code in KILLED | TIMEOUT)
        equivalent = sum(1 for name in codes if name in equivalents)
        score = (caught + equivalent) / len(codes)
        print(f"{path:45} {len(codes):8} {caught:8} {equivalent:7} {score:7.1%}")
        unexplained += [
            name
            for name, code in codes.items()
            if code not in KILLED | TIMEOUT and name not in equivalents
        ]
    for name in unexplained:
        diff = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name], capture_output=True, text=True
        ).stdout
        print(f"\nSURVIVED {name}\n{diff}")
    print(
        f"\n{len(unexplained)} mutants survived and are not listed as equivalent in {EQUIVALENTS}."
    )
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
