#!/usr/bin/env bash
# Clone the precision corpus: every repository in repos.tsv, at its commit, as a working tree with
# its .git (the way a user lints it). No fetched code lives in this repository; only names and commits.
#
#   benchmarks/precision/corpus.sh [DEST]     # DEST default: $MLF_PRECISION_CORPUS or ~/.cache/mlf-lint-precision
#
# Each clone goes to DEST/<owner>+<name>. An existing clone is only moved to the listed commit.
# MIRROR=DIR clones from DIR/<owner>+<name>/repo (a local mirror) instead of GitHub.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:-${MLF_PRECISION_CORPUS:-$HOME/.cache/mlf-lint-precision}}"
mkdir -p "$dest"

tail -n +2 "$here/repos.tsv" | while IFS=$'\t' read -r repo commit _note; do
  [[ -z "$repo" || "$repo" == \#* ]] && continue
  into="$dest/$repo"
  if [[ ! -d "$into/.git" ]]; then
    source_url="https://github.com/${repo/+//}.git"
    [[ -n "${MIRROR:-}" ]] && source_url="$MIRROR/$repo/repo"
    echo "corpus: cloning $repo" >&2
    git clone --quiet "$source_url" "$into"
  fi
  if ! git -C "$into" cat-file -e "$commit^{commit}" 2>/dev/null; then
    git -C "$into" fetch --quiet origin "$commit" 2>/dev/null || true
  fi
  if git -C "$into" cat-file -e "$commit^{commit}" 2>/dev/null; then
    git -C "$into" checkout --quiet --detach "$commit"
    echo "corpus: $repo at $commit" >&2
  else
    echo "corpus: $repo: commit $commit not found; left at $(git -C "$into" rev-parse HEAD) (labels match by line text)" >&2
  fi
done
