# Helpers for suites that run bin/modelgov-webhook outside the cluster (source it). Used by
# tests/integration/webhook*.sh and hack/demo.sh.
#   webhook_wait_port LOG          # waits up to 10 s for the "listening" line of a --log-format
#                                  # json log, prints the port; returns 1 when none came
#   webhook_chart_configs PORT CA [helm args...]
#                                  # prints, as one JSON List, the webhook configurations the
#                                  # chart renders (ValidatingWebhookConfiguration and
#                                  # MutatingWebhookConfiguration), pointed at
#                                  # https://127.0.0.1:PORT with the chart value
#                                  # webhook.development.{url,caBundle}; CA is the PEM file of the
#                                  # CA that signed the webhook's certificate
#   webhook_register PORT CA [helm args...]
#                                  # kubectl apply of exactly those configurations
#
# The configurations are the chart's own, unchanged (rules, operations, subresources, selectors,
# failurePolicy, matchPolicy, timeout): security tests must judge what the product ships, never a
# rule list written for the test. Extra helm arguments set chart values (e.g. --set
# webhook.timeoutSeconds=10); the release is "modelgov" in namespace "modelgov-system", whose
# name the chart's namespaceSelector excludes.

WEBHOOK_CHART_RELEASE=modelgov
WEBHOOK_CHART_NAMESPACE=modelgov-system

webhook_wait_port() {
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*"msg":"listening".*"port":"\([0-9]*\)".*/\1/p' "$1" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || return 1
  echo "$port"
}

webhook_chart_configs() {
  local port=$1 ca=$2 root
  shift 2
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  helm template "$WEBHOOK_CHART_RELEASE" "$root/charts/modelgov" --namespace "$WEBHOOK_CHART_NAMESPACE" \
    --set "webhook.development.url=https://127.0.0.1:$port" \
    --set "webhook.development.caBundle=$(base64 -w0 "$ca")" "$@" |
    /usr/bin/python3 -c '
import json, sys, yaml
kinds = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
items = [d for d in yaml.safe_load_all(sys.stdin) if isinstance(d, dict) and d.get("kind") in kinds]
if not any(d["kind"] == kinds[0] for d in items):
    sys.exit("helm template rendered no ValidatingWebhookConfiguration")
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)'
}

webhook_register() {
  local configs
  configs=$(webhook_chart_configs "$@") || return 1
  kubectl apply -f - >/dev/null <<<"$configs"
}
