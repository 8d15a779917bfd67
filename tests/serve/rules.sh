#!/bin/bash
# tests/serve/rules.sh: the shipped Prometheus files are valid for promtool
# (deploy/nfsq-alerts.yml: check rules and the unit tests in nfsq-alerts.test.yml;
# deploy/prometheus.yml: check config).
set -u
deploy=$(cd "$(dirname "$0")/../../deploy" && pwd)
command -v promtool >/dev/null || { echo "SKIP: promtool is not installed (./dev setup)"; exit 77; }
rc=0
promtool check rules "$deploy/nfsq-alerts.yml" || rc=1
promtool check config "$deploy/prometheus.yml" || rc=1
promtool test rules "$deploy/nfsq-alerts.test.yml" || rc=1
exit $rc
