#!/usr/bin/env bash
# Lints every .github/workflows/*.yml: the schema check of @action-validator/cli (a root
# devDependency, pinned), and every `uses:` pinned by commit SHA to one of the allowed actions,
# with its tag in a comment. Exits non-zero on any error. Run by .ci/run.
set -uo pipefail
cd "$(dirname "$0")/.."

ALLOWED=(
  "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
  "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3"
  "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0"
  "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2"
  "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0"
)

errors=0
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "FAIL no workflow files in .github/workflows"
  exit 1
fi
for f in "${files[@]}"; do
  if out=$(pnpm exec action-validator "$f" 2>&1); then
    echo "PASS action-validator $f"
  else
    echo "FAIL action-validator $f"
    echo "$out" | head -60
    errors=$((errors + 1))
  fi
  while IFS= read -r line; do
    use=$(sed -E 's/^[[:space:]]*(- )?uses:[[:space:]]*//' <<<"$line")
    ok=0
    for a in "${ALLOWED[@]}"; do [ "$use" = "$a" ] && ok=1; done
    if [ $ok = 0 ]; then
      echo "FAIL $f: \`uses: $use\` is not one of the allowed SHA-pinned actions"
      errors=$((errors + 1))
    fi
  done < <(grep -E '^[[:space:]]*(- )?uses:' "$f")
  echo "PASS pinned actions $f ($(grep -cE '^[[:space:]]*(- )?uses:' "$f") uses)"
done
[ "$errors" -eq 0 ] || {
  echo "workflow check: $errors error(s)"
  exit 1
}
echo "workflow check: ${#files[@]} file(s) OK"
