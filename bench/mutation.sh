#!/usr/bin/env bash
# Mutation testing of the five pure decision modules (rules, catalog, names, ids, dates).
#
#     bash bench/mutation.sh          # fresh run: baseline, mutmut run, summary (minutes)
#     bash bench/mutation.sh --summary   # only print the summary of the last run
#
# Needs the `mutation` extra: .venv/bin/pip install -e '.[mutation]'
# What is mutated and which tests run is configured in pyproject.toml under [tool.mutmut];
# the results are written up in docs/mutation.md. Not part of CI.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"
PY="$BIN/python"

if ! "$PY" -c 'import mutmut' 2>/dev/null; then
    echo "mutmut is not installed: $BIN/pip install -e '.[mutation]'" >&2
    exit 2
fi

summary() {
    "$PY" - <<'EOF'
import json
import sys
from collections import Counter
from pathlib import Path

import mutmut
from mutmut.stats import status_by_exit_code

print(f"mutmut {mutmut.__version__}")
rows = []
total = Counter()
survivors = []
for meta in sorted(Path("mutants/src/certcheck").glob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    counts = Counter(status_by_exit_code[code] for code in codes.values())
    rows.append((meta.name.removesuffix(".py.meta"), len(codes), counts))
    total.update(counts)
    survivors += sorted(k for k, v in codes.items() if status_by_exit_code[v] != "killed")
if not rows:
    sys.exit("no results under mutants/: run bash bench/mutation.sh first")


def share(counts):
    n = sum(counts.values())
    return f"{100 * counts['killed'] / n:.1f} %" if n else "-"


others = sorted({s for _, _, c in rows for s in c} - {"killed", "survived", "timeout"})
head = ["module", "mutants", "killed", "survived", "timeout", *others, "killed share"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for name, n, c in rows + [("**all**", sum(total.values()), total)]:
    cells = [name, n, c["killed"], c["survived"], c["timeout"], *(c[o] for o in others), share(c)]
    print("| " + " | ".join(str(x) for x in cells) + " |")
if survivors:
    print("\nnot killed (mutmut show NAME for the diff):")
    for name in survivors:
        print("   ", name)
EOF
}

if [[ "${1:-}" == "--summary" ]]; then
    summary
    exit 0
fi

# mutmut refuses to start unless the selected tests pass on the unmutated code; say which fail.
mapfile -t TESTS < <("$PY" -c '
import tomllib
conf = tomllib.load(open("pyproject.toml", "rb"))["tool"]["mutmut"]
print("\n".join(conf["pytest_add_cli_args_test_selection"] + conf["pytest_add_cli_args"]))')
echo "== baseline: the selected tests on the unmutated code"
"$PY" -m pytest -q -p no:randomly "${TESTS[@]}"

# A fresh copy every time: mutmut copies src/ into mutants/ only once, so a kept mutants/ would
# test stale copies of the modules that are not mutated (models.py, data/catalog.json).
rm -rf mutants
echo "== mutmut run"
start=$(date +%s)
log=$(mktemp)
"$BIN/mutmut" run --max-children "${MUTMUT_CHILDREN:-2}" >"$log" 2>&1 || {
    tail -40 "$log" >&2
    exit 1
}
mv "$log" mutants/run.log
echo "== done in $(($(date +%s) - start)) s (log: mutants/run.log)"
summary
