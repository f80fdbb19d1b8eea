#!/bin/bash
# make demo's governance story (hack/demo.sh) as an integration suite: every step asserts its
# outcome (refusals carry the webhook's message, phases and alerts are waited for with
# timeouts), the script exits non-zero when one fails and stops everything it started.
#
# Then the governance reports the demo wrote at its end, checked against the cluster state it
# dumped beside them (tests/integration/report-check.py): the JSON against golden files whose
# values come from that state and from the demo's own inputs, the JSON Schema, the Markdown,
# and the HTML rendered by a real browser (Debian's headless Chromium): its DOM (sections,
# tables, every plot with its series and thresholds, nothing external), a screenshot and a
# printed PDF. REPORT_EXAMPLE_PNG=FILE keeps the screenshot (the README's picture).
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT" || exit 1
OUT=$IT_DIR/report
CHECK=(/usr/bin/python3 tests/integration/report-check.py)
# the README's picture stays small: the retrained model's report down to its plots, at half scale
SHOT_MAX_BYTES=153600

if DEMO_OUT=$OUT hack/demo.sh; then it_pass "hack/demo.sh: every step"; else it_fail "hack/demo.sh (see its table above)"; it_finish; exit; fi
source "$OUT/demo.env"

for g in tests/integration/report-golden/*.json; do
  it_check "golden $(basename "$g"): the report's JSON holds the cluster's state" "${CHECK[@]}" golden "$g" "$OUT"
done
it_check "JSON Schema src/report/report.schema.json: both reports valid" \
  "${CHECK[@]}" schema src/report/report.schema.json "$OUT/$MV1.json" "$OUT/$MV2.json"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["identity"]["approved"]="yes"; del d["incidents"]; json.dump(d,open(sys.argv[2],"w"))' \
  "$OUT/$MV1.json" "$IT_DIR/broken.json"
it_check "JSON Schema: a report with a retyped and a missing member is refused" \
  bash -c "! ${CHECK[*]} schema src/report/report.schema.json '$IT_DIR/broken.json' >/dev/null"
for mv in "$MV1" "$MV2"; do
  it_check "$mv.md: every section, a summary table per plot, no HTML" "${CHECK[@]}" markdown "$OUT/$mv.md" "$OUT" "$mv"
  # the page and the JSON came from two runs of the command with one --until
  it_check "$mv: --from-file renders the saved JSON to the same HTML (but for the generation time)" \
    bash -c "cmp -s <(kubectl modelgov report --from-file '$OUT/$mv.json' -o html | sed -E 's/[0-9T:-]{19}Z//g') <(sed -E 's/[0-9T:-]{19}Z//g' '$OUT/$mv.html')"
done
it_check "--until: both reports' plots end at the demo's moment ($UNTIL)" \
  /usr/bin/python3 -c 'import json,sys; sys.exit(any(json.load(open(f))["range"]["end"] != sys.argv[1] for f in sys.argv[2:]))' \
  "$UNTIL" "$OUT/$MV1.json" "$OUT/$MV2.json"
it_check "--until that is not a time: a usage error that says so (exit 2)" \
  bash -c "out=\$(kubectl modelgov report '$MV2' --until yesterday 2>&1 >/dev/null); [ \$? = 2 ] && grep -q 'until yesterday is not an RFC 3339 time' <<<\"\$out\""

# --- the chart's Grafana dashboard and Prometheus rules against what the binaries export -----
DASH=(/usr/bin/python3 tests/integration/dashboard-check.py)
METRICS=("$OUT/metrics-operator.txt" "$OUT/metrics-webhook.txt")
it_check "Grafana dashboard: well formed; every panel's query names metrics and labels the operator or webhook exports" \
  "${DASH[@]}" dashboard charts/modelgov/files/grafana-dashboard.json "${METRICS[@]}"
"${DASH[@]}" promql charts/modelgov/files/grafana-dashboard.json "$IT_DIR/dashboard-rules.yaml"
it_check "Grafana dashboard: promtool parses every panel's query" \
  bash -c "promtool check rules '$IT_DIR/dashboard-rules.yaml' >'$IT_DIR/promtool-dash.log' 2>&1 || { cat '$IT_DIR/promtool-dash.log'; exit 1; }"
it_check "Prometheus rules: every expression names exported metrics or the file's own recording rules" \
  "${DASH[@]}" rules charts/modelgov/files/prometheus-rules.yaml "${METRICS[@]}"
sed 's/modelgov_webhook_ready/modelgov_webhook_readiness/' charts/modelgov/files/grafana-dashboard.json >"$IT_DIR/typo-dashboard.json"
it_check "the dashboard check catches a metric the binaries do not export" \
  bash -c "! ${DASH[*]} dashboard '$IT_DIR/typo-dashboard.json' ${METRICS[*]} >/dev/null"

# --- a real browser -------------------------------------------------------------------------
command -v chromium >/dev/null || { it_fail "chromium is not installed (hack/deps.sh installs it)"; it_finish; exit; }
chrome() { # ARGS...: headless Chromium with a fresh profile, no network use of its own
  local profile
  profile=$(mktemp -d "$IT_DIR/chromium.XXXXXX")
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --hide-scrollbars "$@" 2>>"$IT_DIR/chromium.log"
}
for mv in "$MV1" "$MV2"; do
  chrome --dump-dom "file://$OUT/$mv.html" >"$IT_DIR/$mv.dom.html"
  it_check "Chromium renders $mv.html: sections, identity, reviews, incidents, every plot with its series and thresholds, nothing external" \
    "${CHECK[@]}" dom "$IT_DIR/$mv.dom.html" "$OUT" "$mv"
done
chrome --window-size=1100,3000 --force-device-scale-factor=0.5 --screenshot="$IT_DIR/$MV2.png" "file://$OUT/$MV2.html" >/dev/null
it_check "Chromium screenshot of $MV2.html: a PNG, not blank, at most $SHOT_MAX_BYTES bytes" \
  "${CHECK[@]}" png "$IT_DIR/$MV2.png" "$SHOT_MAX_BYTES"
chrome --print-to-pdf="$IT_DIR/$MV1.pdf" --no-pdf-header-footer "file://$OUT/$MV1.html" >/dev/null
it_check "Chromium prints $MV1.html: a PDF of several A4 pages" \
  bash -c "head -c 5 '$IT_DIR/$MV1.pdf' | grep -q '%PDF' && [ \$(grep -ao '/Count [0-9]*' '$IT_DIR/$MV1.pdf' | awk '{print \$2}') -ge 2 ]"
if [ -n "${REPORT_EXAMPLE_PNG:-}" ] && [ "$IT_FAIL" -eq 0 ]; then cp "$IT_DIR/$MV2.png" "$REPORT_EXAMPLE_PNG"; fi
it_finish
