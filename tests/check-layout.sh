#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The layout's rules (docs/architecture.md), read off the sources' #include lines:
# no circle of includes between units, each folder includes only what it may, and no file in
# src/ is over 1,000 lines. A unit is one basename: pb-window.c and pb-window.h are one node, and
# so are the parts of one class that share its -private.h (pb-window-export.c, say).
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 1
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..7"

ok () { echo "ok $1 - $2"; }
not_ok () {
  echo "not ok $1 - $2"
  sed 's/^/# /' "$tmp/out"
  status=1
}

# Where each header lives: "folder basename", for src/ and core/.
find src core -name '*.h' | sed 's|^\(.*\)/\([^/]*\)$|\1 \2|' > "$tmp/headers"

# The unit of every file: its basename, or the class it is a part of, when a header of the
# basename's leading words stands beside it (pb-window-private.h and pb-window-export.c are
# parts of pb-window; a public header such as pb-cli-commands.h is a unit of its own).
find src -name '*.[ch]' | sort | while read -r f; do
  dir=$(dirname "$f"); base=$(basename "$f"); base=${base%.[ch]}; unit=$base; head=$base
  case $f in *.c|*-private.h) ;; *) head= ;; esac
  while [ "${head%-*}" != "$head" ]; do
    head=${head%-*}
    if [ -f "$dir/$head.h" ] && [ "$head" != pb ]; then unit=$head; break; fi
  done
  echo "$f $unit"
done > "$tmp/units"

# Every quoted include as "file folder-of-file included-folder included-unit header-basename".
find src -name '*.[ch]' | sort | while read -r f; do
  dir=$(dirname "$f")
  grep -h '^#include "' "$f" | sed 's/^#include "\([^"]*\)".*/\1/' | while read -r h; do
    to=$(awk -v h="$h" '$2 == h { print $1; exit }' "$tmp/headers")
    [ -n "$to" ] || continue  # generated (config.h) or resources
    echo "$f $dir $to $(awk -v p="$to/$h" '$1 == p { print $2 }' "$tmp/units") ${h%.h}"
  done
done > "$tmp/edges"

# 1: no circle between units of src/.
awk 'NR == FNR { unit[$1] = $2; next }
     { u = unit[$1]; if ($3 ~ /^src/ && u != $4) print u, $4 }' "$tmp/units" "$tmp/edges" \
  > "$tmp/graph"
if tsort "$tmp/graph" > /dev/null 2> "$tmp/out"; then
  ok 1 "no include circle between the units of src/"
else
  not_ok 1 "an include circle between units of src/ (tsort names its members)"
fi

# 2: draw/ includes only draw/ and core/, and no GTK.
{ awk '$2 ~ /^src\/draw/ && $3 !~ /^(src\/draw|core)$/ { print $1 " includes " $3 "/" $4 ".h" }' \
    "$tmp/edges"
  grep -n -E '^#include <(gtk|adwaita|gdk)' src/draw/* 2> /dev/null; } > "$tmp/out"
if [ -s "$tmp/out" ]; then not_ok 2 "src/draw/ reaches outside draw/ and core/"
else ok 2 "src/draw/ includes only draw/, core/ and cairo/pango/glib"; fi

# 3: cli/ needs no GTK and no app/.
{ awk '$2 ~ /^src\/cli/ && $3 !~ /^(src\/cli|src\/draw|core)$/ { print $1 " includes " $3 "/" $4 ".h" }' \
    "$tmp/edges"
  grep -n -E '^#include <(gtk|adwaita|gdk)' src/cli/* 2> /dev/null; } > "$tmp/out"
if [ -s "$tmp/out" ]; then not_ok 3 "src/cli/ reaches GTK or the app"
else ok 3 "src/cli/ includes only cli/, draw/ and core/, with no GTK"; fi

# 4: widgets know no page and not the window; views reach core/ only through models.
{ awk '$2 ~ /^src\/app\/widgets/ && ($3 ~ /^src\/(app\/views|cli)$/ ||
       $4 ~ /^(pb-window|pb-application|pb-preferences-window)$/) {
         print $1 " includes " $3 "/" $4 ".h" }' "$tmp/edges"
  awk '$2 ~ /^src\/app\/views/ && $3 == "core" { print $1 " includes core/" $4 ".h" }' \
    "$tmp/edges"; } > "$tmp/out"
if [ -s "$tmp/out" ]; then not_ok 4 "a widget reaches a page or the window, or a view reaches core/"
else ok 4 "widgets know no page nor the window; views reach core/ only through the models"; fi

# 5: the models in app/ include no view or widget; only the window, the application, the
# preferences and main put the pages together.
awk '$2 == "src/app" && $3 ~ /^src\/app\/(views|widgets)$/ &&
     $1 !~ /\/(main|pb-application|pb-window(-[a-z]+)?|pb-preferences-window)\.[ch]$/ {
       print $1 " includes " $3 "/" $4 ".h" }' "$tmp/edges" > "$tmp/out"
if [ -s "$tmp/out" ]; then not_ok 5 "a model in src/app/ includes a view or a widget"
else ok 5 "the models in src/app/ include no view or widget"; fi

# 6: no source file in src/ over 1,000 lines, and none loose in src/ itself.
{ find src -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 1000 { print $2 ": " $1 " lines" }'
  ls src/*.c src/*.h 2> /dev/null | sed 's/$/: directly in src\//'; } > "$tmp/out"
if [ -s "$tmp/out" ]; then not_ok 6 "source files over 1,000 lines, or loose in src/"
else ok 6 "every source file in src/ is in a folder and at most 1,000 lines"; fi

# 7: no circle of calls: a file that calls a function declared in a header it includes calls
# the file that defines it, so the CLI's commands calling back into main's file through
# pb-cli.h, say, would close a circle that the includes alone do not show.
find src -name '*.c' | while read -r c; do
  grep -o -E '^pb_[a-z0-9_]+ \(' "$c" | sed 's/ (//' | sed "s|^|$c |"
done > "$tmp/defined"
find src -name '*.[ch]' | while read -r f; do
  grep -o -E 'pb_[a-z0-9_]+ \(' "$f" | sed 's/ (//' | sort -u | sed "s|^|$f |"
done > "$tmp/used"
awk 'FILENAME == ARGV[1] { unit[$1] = $2; next }
     FILENAME == ARGV[2] { definer[$2] = unit[$1]; next }
     { d = definer[$2]; if (d != "" && d != unit[$1]) print unit[$1], d }' \
  "$tmp/units" "$tmp/defined" "$tmp/used" | sort -u > "$tmp/calls"
if tsort "$tmp/calls" > /dev/null 2> "$tmp/out"; then
  ok 7 "no circle of calls between the units of src/"
else
  not_ok 7 "a circle of calls between units of src/ (tsort names its members)"
fi

exit $status
