#!/usr/bin/env bash
# make demo: the main job end to end on the embedded lab.
#   validate -> plan -> lab up -> WAN push -> audit (before) -> harden -> audit (after) -> summary
# The lab goes down at the end unless KEEP=1. Reports land in reports/demo/.
# The real-kernel VM host joins only with VM=1: Ansible in a TCG guest costs 5-7 s a task,
# so the kernel controls are proven by `make test-kernel` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=reports/demo
ENV=lab
rm -rf "$OUT"
mkdir -p "$OUT"
# each step's wall time goes to steps.tsv, which the summary reads
current="" started=$SECONDS
step() {
  [[ -z $current ]] || printf '%s\t%d\n' "$current" $((SECONDS - started)) >> "$OUT/steps.tsv"
  current="$*" started=$SECONDS
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
finish() {
  if [[ "${KEEP:-0}" != 1 ]]; then step "lab down"; $BIN/pdc lab down $ENV || true; fi
}
trap finish EXIT

step "validate"
$BIN/pdc validate lab
$BIN/pdc validate haiduong

step "plan the tenants (Pulumi program in-process, policies offline)"
$BIN/pdc plan lab --json "$OUT/plan-lab.json"
$BIN/pdc plan haiduong --json "$OUT/plan-haiduong.json" >/dev/null
echo "haiduong plan: $OUT/plan-haiduong.json"

step "lab up"
$BIN/pdc lab up $ENV $([[ "${VM:-0}" == 1 ]] || echo --no-vm)
$BIN/pdc lab status $ENV

step "WAN: diff, then push the remediation to every emulated switch"
rc=0; $BIN/pdc wan diff $ENV --quiet || rc=$?
[[ $rc -le 2 ]] || exit $rc
$BIN/pdc wan push $ENV --apply --yes --report "$OUT/wan-push.json"

step "audit before hardening (failures expected)"
$BIN/pdc audit $ENV --brief --report-dir "$OUT/audit-before" || true

step "harden and configure the hosts (playbooks/site.yml)"
$BIN/ansible-playbook -i inventories/$ENV playbooks/site.yml 2>&1 | tee "$OUT/site.log"

step "audit after hardening"
$BIN/pdc audit $ENV --report-dir "$OUT/audit-after"

step "summary"
$BIN/python -m pdc.demo "$OUT"
