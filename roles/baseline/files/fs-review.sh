#!/bin/sh
# fs-review.sh check|apply ALLOWED... : the root filesystem's files (PDC-FIL-003, CIS 7.1.11-7.1.13)
# One walk of / (-xdev: not /proc, /sys, tmpfs or other mounts). Fixes world-writable files (o-w),
# world-writable directories without the sticky bit (+t) and files without a known owner or group
# (root:root); prints "fix ..." for each (due, in check mode). A SUID/SGID program outside ALLOWED is
# printed "FAIL: ..." for review: its bits are never changed here. Exits 0; the task fails on FAIL.
set -u
mode=$1; shift
allowed=" $* "
find / -xdev \( -type f -perm -0002 -printf 'ww %p\n' \) , \
              \( -type d -perm -0002 ! -perm -1000 -printf 'wd %p\n' \) , \
              \( \( -nouser -o -nogroup \) -printf 'no %p\n' \) , \
              \( -type f -perm /6000 -printf 'su %p\n' \) 2>/dev/null |
while read -r kind path; do
  case $kind in
    ww) echo "fix $path (world-writable: o-w)"; [ "$mode" = check ] || chmod o-w "$path" ;;
    wd) echo "fix $path (world-writable directory: +t)"; [ "$mode" = check ] || chmod +t "$path" ;;
    no) echo "fix $path (no owner or group: root:root)"; [ "$mode" = check ] || chown -h root:root "$path" ;;
    su) case $allowed in *" $path "*) ;; *) echo "FAIL: $path is SUID/SGID and not on the approved list (PDC-FIL-003)" ;; esac ;;
  esac
done
exit 0
