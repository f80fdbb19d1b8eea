# Helpers for suites that run bin/modelgov-webhook against a test API server (source it).
# Used by tests/integration/webhook.sh and hack/demo.sh.
#   webhook_wait_port LOG       # waits up to 10 s for the "listening" line of a --log-format json
#                               # log, prints the port; returns 1 when none came
#   webhook_vwc_yaml PORT CA    # prints the ValidatingWebhookConfiguration "modelgov" for a webhook
#                               # on https://127.0.0.1:PORT/validate whose CA is the file CA

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

webhook_vwc_yaml() {
  cat <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: modelgov}
webhooks:
- name: validate.mlops.modelgov.io
  clientConfig: {url: "https://127.0.0.1:$1/validate", caBundle: "$(base64 -w0 "$2")"}
  rules:
  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods, pods/ephemeralcontainers]}
  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments, deployments/scale]}
  - apiGroups: [mlops.modelgov.io]
    apiVersions: [v1alpha1]
    operations: [CREATE, UPDATE, DELETE]
    resources: [modelversions, modelreviews, datasetversions, trainingruns, modeldeployments, modeldeployments/scale]
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
  namespaceSelector: {matchLabels: {modelgov.io/governed: "true"}}
YAML
}
