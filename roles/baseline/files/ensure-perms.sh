#!/bin/sh
# ensure-perms.sh check|apply PATH:MODE:OWNER:GROUP ... | PATH:absent ...
# Prints one line per path it changed (or would change, in check mode); silent when all is right.
set -eu
mode=$1; shift
for spec in "$@"; do
  path=${spec%%:*}; rest=${spec#*:}
  if [ "$rest" = absent ]; then
    if [ -e "$path" ]; then
      echo "remove $path"; [ "$mode" = check ] || rm -f "$path"
    fi
    continue
  fi
  [ -e "$path" ] || continue
  want_mode=${rest%%:*}; rest=${rest#*:}; owner=${rest%%:*}; group=${rest#*:}
  have=$(stat -c '%04a:%U:%G' "$path")
  if [ "$have" != "$want_mode:$owner:$group" ]; then
    echo "fix $path ($have -> $want_mode:$owner:$group)"
    if [ "$mode" != check ]; then chown "$owner:$group" "$path"; chmod "$want_mode" "$path"; fi
  fi
done
