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
#   webhook_certs                  # a CA and a serving certificate for 127.0.0.1/localhost in
#                                  # $IT_DIR (ca.crt, tls.crt, tls.key)
#   webhook_start NAME CONFIG [flags...]
#                                  # starts bin/modelgov-webhook (MG_WEBHOOK_BIN overrides) with
#                                  # those certificates, logs to $IT_DIR/NAME.log, sets WPORT and
#                                  # waits for /readyz; exits the suite when it does not start
#   expect_denied WHAT FRAGMENT CMD...   # one check: CMD fails and its output has FRAGMENT
#   expect_ok WHAT CMD...                # one check: CMD succeeds
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

webhook_certs() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=webhook-ca -keyout "$IT_DIR/ca.key" \
    -out "$IT_DIR/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=modelgov-webhook -keyout "$IT_DIR/tls.key" \
    -out "$IT_DIR/tls.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$IT_DIR/san.ext"
  openssl x509 -req -in "$IT_DIR/tls.csr" -CA "$IT_DIR/ca.crt" -CAkey "$IT_DIR/ca.key" -CAcreateserial \
    -days 2 -extfile "$IT_DIR/san.ext" -out "$IT_DIR/tls.crt" 2>/dev/null
}

WPORT=
webhook_start() {
  local name=$1 config=$2 bin=${MG_WEBHOOK_BIN:-$IT_ROOT/bin/modelgov-webhook}
  shift 2
  it_bg "$name" "$bin" --listen 127.0.0.1:0 --tls-cert "$IT_DIR/tls.crt" --tls-key "$IT_DIR/tls.key" \
    --config "$config" --kubeconfig "$KUBECONFIG" --log-format json --threads 2 "$@"
  WPORT=$(webhook_wait_port "$IT_DIR/$name.log") || { cat "$IT_DIR/$name.log"; echo "FATAL: webhook did not start"; exit 1; }
  it_wait "$name: /readyz after the caches synced" 20 curl -sf --cacert "$IT_DIR/ca.crt" "https://127.0.0.1:$WPORT/readyz"
}

expect_denied() {
  local what=$1 frag=$2 out
  shift 2
  if out=$("$@" 2>&1); then it_fail "$what (was admitted: $out)"; return; fi
  if grep -qF -- "$frag" <<<"$out"; then it_pass "$what"; else it_fail "$what (message: $out)"; fi
}

# on_conflict_retry CMD...: runs CMD again (up to 5 times) while the API server answers 409
# Conflict. kubectl replace GETs the resourceVersion and PUTs with it; on a real API server the
# controllers write status in between (a fresh Deployment's first status), as a user retries.
on_conflict_retry() {
  local out attempt
  for attempt in 1 2 3 4 5; do
    if out=$("$@" 2>&1); then printf '%s\n' "$out"; return 0; fi
    grep -qF 'the object has been modified' <<<"$out" || break
    sleep 1
  done
  printf '%s\n' "$out"
  return 1
}

expect_ok() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then it_pass "$what"; else it_fail "$what ($out)"; fi
}
