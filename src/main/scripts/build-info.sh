#!/usr/bin/env bash
# The version and source commit of a build of snn: written into the jar for snn.runtime.BuildInfo (run by Maven in
# the generate-resources phase), and compared by bin/snn with the jar's to rebuild when the checkout has changed.
# Needs no network; without git, or outside a git checkout of this project (e.g. unpacked from a source tarball),
# the commit is "unknown".
#
#   build-info.sh commit               prints HEAD's commit of this project's checkout, with "-dirty" when tracked
#                                      files differ from it (untracked files do not count), or "unknown"
#   build-info.sh write VERSION FILE   writes FILE (Java properties): version, commit and build time in UTC
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)

commit() {
  local top head changes
  if ! command -v git >/dev/null 2>&1 \
      || ! top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) \
      || [ "$(cd "$top" && pwd -P)" != "$root" ] \
      || ! head=$(git -C "$root" rev-parse --verify --quiet HEAD 2>/dev/null); then
    echo unknown
    return
  fi
  # --no-optional-locks: no index refresh written back, so a concurrent git command in this checkout is not disturbed.
  if changes=$(git -C "$root" --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null) \
      && [ -n "$changes" ]; then
    head="$head-dirty"
  fi
  echo "$head"
}

case "${1:-}" in
  commit)
    commit
    ;;
  write)
    version=${2:?usage: build-info.sh write VERSION FILE}
    file=${3:?usage: build-info.sh write VERSION FILE}
    mkdir -p "$(dirname "$file")"
    tmp="$file.tmp.$$"
    {
      echo "# snn build information, written by src/main/scripts/build-info.sh"
      echo "version=$version"
      echo "commit=$(commit)"
      echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } > "$tmp"
    mv -f "$tmp" "$file"
    ;;
  *)
    echo "usage: build-info.sh commit | build-info.sh write VERSION FILE" >&2
    exit 2
    ;;
esac
