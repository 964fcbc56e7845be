#!/bin/sh
# log-perms.sh check|apply : files under /var/log closed to other users (PDC-LOG-005, CIS 6.1.4.1)
# No file is world-readable, -writable or -executable, nor group-writable or -executable; the login
# records (wtmp, btmp, lastlog), which their writers open by group, only lose world write.
# apt's own logs (apt/history.log and the solver dump apt/eipp.log.xz: package names only) are left
# alone: apt sets them 0644 on every install, so any later package task would undo the fix and no
# run would be idempotent (seen on the lab: history.log open again after the service roles' installs).
# Prints "fix ..." per file changed (due, in check mode).
set -u
mode=$1
find /var/log -xdev -type f \( -perm /0007 -o -perm /0030 \) 2>/dev/null | while read -r path; do
  case $path in /var/log/apt/history.log|/var/log/apt/eipp.log.xz) continue ;; esac
  case ${path##*/} in
    wtmp|wtmp.*|btmp|btmp.*|lastlog)
      [ -n "$(find "$path" -perm /0002)" ] || continue
      echo "fix $path (o-w)"; [ "$mode" = check ] || chmod o-w "$path" ;;
    *)
      echo "fix $path (g-wx,o-rwx)"; [ "$mode" = check ] || chmod g-wx,o-rwx "$path" ;;
  esac
done
exit 0
