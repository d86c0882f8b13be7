"""Print `make mutation`'s score per file and every surviving mutant with its diff.

mutmut keeps one `<file>.meta` per mutated file under mutants/, mapping each mutant to the exit code
of the tests run against it. A file's score is the issue's: killed / (all - documented equivalents).

    tests/mutation_report.py                          # every file; fails on an unexplained survivor
    tests/mutation_report.py checkout/pricing.py      # only these files
    tests/mutation_report.py --min-score checkout/pricing.py
        # fails only when a file scores below the score recorded for it in docs/testing.md's table,
        # or was not fully run (CI: a weakened test shows up as a failure, not as a quieter score)

Without --min-score it exits non-zero when a mutant survived that docs/testing.md does not list as
equivalent.
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

MUTANTS = Path("mutants")
DOCS = Path("docs/testing.md")
KILLED = {1, 3, 37}  # a failing test, pytest's internal error, the type checker
TIMEOUT = {24, -24, 36, 152, 255}  # a mutant that loops forever is caught, not survived
# A row of the score table: | `checkout/pricing.py` | 295 | 280 | 3 | 96.9 % |
RECORDED_SCORE = re.compile(r"^\|\s*`([\w/.]+\.py)`\s*\|.*?\|\s*([\d.]+)\s*%\s*\|\s*$", re.M)


def results() -> dict[str, dict[str, int | None]]:
    by_file = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            by_file[str(meta.relative_to(MUTANTS))[: -len(".meta")]] = codes
    return by_file


def listed_equivalents() -> set[str]:
    """Mutant names written in backticks in docs/testing.md's list of equivalent mutants."""
    if not DOCS.exists():
        return set()
    return set(re.findall(r"`([\w.]+__mutmut_\d+)`", DOCS.read_text()))


def recorded_scores() -> dict[str, float]:
    """The score (percent) docs/testing.md's table records for each file."""
    if not DOCS.exists():
        return {}
    return {path: float(score) for path, score in RECORDED_SCORE.findall(DOCS.read_text())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="report only these source files")
    parser.add_argument(
        "--min-score",
        action="store_true",
        help="fail when a file scores below its score recorded in docs/testing.md",
    )
    args = parser.parse_args(argv)
    by_file = results()
    if args.files:
        missing = sorted(set(args.files) - set(by_file))
        if missing:
            print(f"No mutation results for {', '.join(missing)}: run mutmut on them first.")
            return 1
        by_file = {path: by_file[path] for path in args.files}
    if not by_file:
        print("No mutation results: run `make mutation`.")
        return 1
    equivalents = listed_equivalents()
    recorded = recorded_scores()
    unexplained, below = [], []
    header = f"{'file':45} {'mutants':>8} {'killed':>7} {'equiv.':>7} {'unrun':>6} {'score':>7}"
    print(header + ("  recorded" if args.min_score else ""))
    for path, codes in by_file.items():
        caught = sum(1 for code in codes.values() if code in KILLED | TIMEOUT)
        unrun = sum(1 for code in codes.values() if code is None)
        equivalent = sum(1 for name in codes if name in equivalents)
        score = 100 * caught / max(len(codes) - equivalent, 1)
        line = f"{path:45} {len(codes):8} {caught:7} {equivalent:7} {unrun:6} {score:6.1f}%"
        if args.min_score:
            floor = recorded.get(path)
            line += f"  {floor:.1f}%" if floor is not None else "  (none recorded)"
            # Recorded to one decimal: compare at that precision.
            if unrun or floor is None or round(score, 1) < floor:
                below.append(path)
        print(line)
        unexplained += [
            name
            for name, code in codes.items()
            if code is not None and code not in KILLED | TIMEOUT and name not in equivalents
        ]
    for name in unexplained:
        diff = subprocess.run(
            [sys.executable, "-m", "mutmut", "show", name], capture_output=True, text=True
        ).stdout
        print(f"\nSURVIVED {name}\n{diff}")
    print(f"\n{len(unexplained)} mutants survived and are not listed as equivalent in {DOCS}.")
    if args.min_score:
        if below:
            print(f"Below the score recorded in {DOCS}, or not fully run: {', '.join(below)}.")
        return 1 if below else 0
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
