#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every source file with translatable strings must be listed in po/POTFILES.in, and every listed
# file must exist.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 1
status=0
echo "1..3"

missing=$(grep -rlE '(^|[^A-Za-z0-9_])N?_ ?\(|translatable="yes"|<summary>|<description>|^(Name|Comment|GenericName|Keywords)=' \
            src ui data 2>/dev/null \
          | grep -vE '^data/mnist/|\.svg$|meson\.build$' \
          | sort | while read -r f; do
              grep -qxF "$f" po/POTFILES.in || echo "$f"
            done)
if [ -n "$missing" ]; then
  echo "not ok 1 - files with translatable strings missing from po/POTFILES.in:"
  echo "$missing" | sed 's/^/# /'
  status=1
else
  echo "ok 1 - po/POTFILES.in lists every file with translatable strings"
fi

gone=$(grep -vE '^(#|$)' po/POTFILES.in | while read -r f; do [ -f "$f" ] || echo "$f"; done)
if [ -n "$gone" ]; then
  echo "not ok 2 - po/POTFILES.in lists files that do not exist:"
  echo "$gone" | sed 's/^/# /'
  status=1
else
  echo "ok 2 - every file in po/POTFILES.in exists"
fi
for po in $(sed 's/#.*//' po/LINGUAS); do
  stats=$(msgfmt --check --statistics -o /dev/null "po/$po.po" 2>&1)
  case "$stats" in
    *untranslated*|*fuzzy*|*error*)
      echo "not ok 3 - po/$po.po is incomplete: $stats"
      status=1 ;;
    *)
      echo "ok 3 - po/$po.po is complete: $stats" ;;
  esac
done
exit $status
