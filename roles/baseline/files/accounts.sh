#!/bin/sh
# accounts.sh check|apply CONTROL... -- keep=NAME... : local accounts (PDC-ACC-001..004)
# Prints "fix ..." per change made (or due, in check mode) and "FAIL: ..." per finding that needs a
# person (a second UID 0 account, duplicate ids, a .rhosts file): it never deletes accounts or files.
# Exits 0; the task fails on any FAIL line.
set -u
mode=$1; shift
controls=" "
keep=" "
while [ $# -gt 0 ]; do
  case $1 in --) shift; break ;; *) controls="$controls$1 " ;; esac; shift
done
for k in "$@"; do keep="$keep$k "; done
on() { case $controls in *" $1 "*) return 0 ;; esac; return 1; }
fix() { echo "fix $1"; [ "$mode" = check ] && return 1; return 0; }
uid_min=$(awk '$1 == "UID_MIN" {print $2}' /etc/login.defs)
uid_min=${uid_min:-1000}
nologin_shell() { case $1 in /usr/sbin/nologin|/sbin/nologin|/bin/false|/usr/bin/false) return 0 ;; esac; return 1; }

if on PDC-ACC-001; then
  # 5.4.2.1-5.4.2.3: UID 0 and GID 0 are root's alone
  awk -F: '$3 == 0 && $1 != "root" {print "FAIL: account " $1 " has UID 0"}
           $4 == 0 && $1 !~ /^(root|sync|shutdown|halt|operator)$/ {print "FAIL: account " $1 " has primary GID 0"}' /etc/passwd
  awk -F: '$3 == 0 && $1 != "root" {print "FAIL: group " $1 " has GID 0"}' /etc/group
  # 5.4.2.4: root's password is locked or set, never empty
  if [ "$(passwd -S root | awk '{print $2}')" = NP ]; then fix "lock root (empty password)" && passwd -l root >/dev/null; fi
  # 5.4.2.5: root's login PATH
  rpath=$(env -i HOME=/root TERM=dumb /bin/bash -lc 'printf %s "$PATH"' 2>/dev/null || true)
  case ":$rpath:" in *::*) echo "FAIL: root's PATH has an empty entry" ;; esac
  IFS=:; for d in $rpath; do
    case $d in /*) ;; *) echo "FAIL: root's PATH has the relative entry '$d'"; continue ;; esac
    [ -d "$d" ] || continue
    perms=$(stat -L -c '%U %A' "$d")
    case $perms in "root "*) ;; *) echo "FAIL: root's PATH entry $d is not owned by root" ;; esac
    case $perms in *" d????w????"|*" d???????w?"*) echo "FAIL: root's PATH entry $d is group or world writable" ;; esac
  done; unset IFS
  # 5.4.2.6: root's own dot files leave the umask to /etc/profile.d (PDC-SHL-002)
  for f in /root/.bashrc /root/.bash_profile /root/.profile; do
    if [ -f "$f" ] && grep -Eq '^[[:space:]]*umask[[:space:]]' "$f"; then
      fix "comment out umask in $f" && sed -i -E 's/^([[:space:]]*umask[[:space:]])/# PDC-ACC-001 \1/' "$f"
    fi
  done
fi

if on PDC-ACC-002; then
  # 5.4.2.7 / 5.4.2.8: system accounts get nologin; accounts without a login shell are locked
  awk -F: -v min="$uid_min" '($3 < min || $3 == 65534) {print $1 ":" $7}' /etc/passwd | while IFS=: read -r user shell; do
    case $keep in *" $user "*) continue ;; esac
    if ! nologin_shell "$shell"; then fix "shell of $user ($shell -> /usr/sbin/nologin)" && usermod -s /usr/sbin/nologin "$user"; fi
  done
  awk -F: '{print $1 ":" $7}' /etc/passwd | while IFS=: read -r user shell; do
    [ "$user" = root ] && continue
    nologin_shell "$shell" || continue
    if [ "$(passwd -S "$user" | awk '{print $2}')" != L ]; then fix "lock $user (no login shell)" && usermod -L "$user"; fi
  done
fi

if on PDC-ACC-003; then
  # 7.2.1: every account shadowed
  if awk -F: '$2 != "x" {found = 1} END {exit !found}' /etc/passwd; then fix "move passwords to /etc/shadow (pwconv)" && pwconv; fi
  # 7.2.2: no empty password
  awk -F: '$2 == "" {print $1}' /etc/shadow | while read -r user; do fix "lock $user (empty password)" && passwd -l "$user" >/dev/null; done
  # 5.4.1.6: no last password change in the future
  today=$(( $(date +%s) / 86400 ))
  awk -F: -v t="$today" '$3 != "" && $3 > t {print $1}' /etc/shadow | while read -r user; do
    fix "last password change of $user was in the future" && chage -d "$(date +%Y-%m-%d)" "$user"
  done
  # 7.2.3: every primary group exists
  awk -F: 'NR == FNR {g[$3] = 1; next} !($4 in g) {print "FAIL: account " $1 " has GID " $4 ", which /etc/group lacks"}' /etc/group /etc/passwd
  # 7.2.4: the shadow group has no member
  members=$(awk -F: '$1 == "shadow" {print $4}' /etc/group)
  if [ -n "$members" ]; then fix "empty the shadow group ($members)" && gpasswd -M '' shadow >/dev/null; fi
  sgid=$(awk -F: '$1 == "shadow" {print $3}' /etc/group)
  [ -z "$sgid" ] || awk -F: -v g="$sgid" '$4 == g {print "FAIL: account " $1 " has shadow as its primary group"}' /etc/passwd
  # 7.2.5-7.2.8: no duplicates
  cut -d: -f3 /etc/passwd | sort | uniq -d | sed 's/^/FAIL: duplicate UID /'
  cut -d: -f3 /etc/group | sort | uniq -d | sed 's/^/FAIL: duplicate GID /'
  cut -d: -f1 /etc/passwd | sort | uniq -d | sed 's/^/FAIL: duplicate user name /'
  cut -d: -f1 /etc/group | sort | uniq -d | sed 's/^/FAIL: duplicate group name /'
fi

if on PDC-ACC-005; then
  # 5.4.3.1 (Level 2): nologin is no login shell
  if grep -q '/nologin$' /etc/shells; then fix "remove nologin from /etc/shells" && sed -i '\#/nologin$#d' /etc/shells; fi
fi

if on PDC-ACC-004; then
  # 7.2.9 / 7.2.10: interactive users' homes and dot files
  awk -F: -v min="$uid_min" '($3 >= min && $3 != 65534) || $1 == "root" {print $1 ":" $4 ":" $6 ":" $7}' /etc/passwd |
  while IFS=: read -r user gid home shell; do
    nologin_shell "$shell" && continue
    if [ ! -d "$home" ]; then
      fix "create $home for $user" && install -d -m 0750 -o "$user" -g "$gid" "$home"
      [ -d "$home" ] || continue
    fi
    [ "$(stat -c %U "$home")" = "$user" ] || { fix "owner of $home -> $user" && chown "$user" "$home"; }
    if [ -n "$(find "$home" -maxdepth 0 -perm /0027)" ]; then fix "mode of $home (g-w,o-rwx)" && chmod g-w,o-rwx "$home"; fi
    for f in .rhosts .netrc .forward; do [ -e "$home/$f" ] && echo "FAIL: $home/$f exists"; done
    find "$home" -maxdepth 1 -name '.*' -type f -perm /0022 | while read -r f; do fix "mode of $f (go-w)" && chmod go-w "$f"; done
    if [ -f "$home/.bash_history" ] && [ -n "$(find "$home/.bash_history" -perm /0077)" ]; then
      fix "mode of $home/.bash_history (0600)" && chmod 0600 "$home/.bash_history"
    fi
  done
fi
exit 0
