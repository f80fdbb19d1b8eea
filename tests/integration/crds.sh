#!/bin/bash
# Checks crds/ and crds/samples/: every file parses; the CRDs follow the design contract (group, version,
# names, short names, category, subresources, printer columns, required fields, patterns) and the
# structural-schema rules; every sample validates against its CRD with no unknown (pruned) field,
# and broken copies of the samples are refused. Uses hack/testcluster's schema module (the test
# API server's CRD validation) when present. Then applies the CRDs and samples with kubectl to
# the API server MG_TEST_SERVER names (the test server by default, or a real kube-apiserver).
set -euo pipefail
cd "$(dirname "$0")/../.."
/usr/bin/python3 - <<'PY'
import copy, glob, json, os, re, sys

import yaml

failures = []
def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)

GROUP = "mlops.modelgov.io"
EXPECT = {
    "DatasetVersion": dict(plural="datasetversions", short="dsv", required=["dataset", "version", "digest", "source", "privacy"],
                           columns=["Dataset", "Version", "Age"]),
    "TrainingRun": dict(plural="trainingruns", short="tr", required=["experiment", "datasetVersion", "model"],
                        columns=["Experiment", "Dataset", "Phase", "Age"]),
    "ModelVersion": dict(plural="modelversions", short="mv", required=["model", "version", "image", "digest"],
                         columns=["Model", "Version", "Approved", "Quarantined", "Age"]),
    "ModelReview": dict(plural="modelreviews", short="mrev", required=["kind", "verdict", "reviewer"],
                        columns=["Kind", "Verdict", "Reviewer", "Age"]),
    "ModelDeployment": dict(plural="modeldeployments", short="md", required=["modelVersion"],
                            columns=["Model", "Version", "Phase", "Ready", "Age"]),
}

# ---- parse everything -------------------------------------------------------------------------
crds = {}
for path in sorted(glob.glob("crds/*.yaml")):
    try:
        docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{path}: does not parse: {e}")
        continue
    if len(docs) != 1 or docs[0].get("kind") != "CustomResourceDefinition":
        fail(f"{path}: expected exactly one CustomResourceDefinition")
        continue
    crd = docs[0]
    kind = crd["spec"]["names"]["kind"]
    crds[kind] = crd
    want = f"crds/{GROUP}_{crd['spec']['names']['plural']}.yaml"
    if path != want:
        fail(f"{path}: should be named {want}")
if sorted(crds) != sorted(EXPECT):
    fail(f"CRD kinds {sorted(crds)} != {sorted(EXPECT)}")

samples = []
for path in sorted(glob.glob("crds/samples/*.yaml")):
    try:
        samples += [(path, d) for d in yaml.safe_load_all(open(path)) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{path}: does not parse: {e}")

# ---- structural rules (apiextensions v1) ------------------------------------------------------
def structural(node, path, in_logic=False):
    if not isinstance(node, dict):
        fail(f"{path}: schema node is not a mapping")
        return
    for key in ("$ref", "definitions", "dependencies", "id", "patternProperties", "additionalItems", "uniqueItems"):
        if key in node:
            fail(f"{path}: '{key}' is not allowed in a structural schema")
    if in_logic:
        for key in ("type", "additionalProperties", "description", "default", "nullable", "x-kubernetes-preserve-unknown-fields"):
            if key in node:
                fail(f"{path}: '{key}' must not appear inside anyOf/allOf/oneOf/not")
    else:
        int_or_string = node.get("x-kubernetes-int-or-string") is True
        if "type" not in node and not int_or_string and not node.get("x-kubernetes-preserve-unknown-fields"):
            fail(f"{path}: no type")
        if node.get("type") not in (None, "object", "array", "string", "integer", "number", "boolean"):
            fail(f"{path}: bad type {node.get('type')}")
        if "properties" in node and "additionalProperties" in node:
            fail(f"{path}: properties and additionalProperties are mutually exclusive")
        if node.get("type") == "array" and "items" not in node:
            fail(f"{path}: array without items")
        for r in node.get("required", []):
            if r not in node.get("properties", {}):
                fail(f"{path}: required '{r}' is not a property")
        if "default" in node:
            errs = validate(node, copy.deepcopy(node["default"]), path + ".default")
            for e in errs:
                fail(f"default does not validate: {e}")
        if "pattern" in node:
            re.compile(node["pattern"])
    for k, v in node.get("properties", {}).items():
        structural(v, f"{path}.{k}", in_logic)
    if isinstance(node.get("additionalProperties"), dict):
        structural(node["additionalProperties"], f"{path}[*]", in_logic)
    if "items" in node:
        structural(node["items"], f"{path}[]", in_logic)
    for key in ("anyOf", "allOf", "oneOf"):
        if key == "anyOf" and node.get("x-kubernetes-int-or-string") and node[key] == [{"type": "integer"}, {"type": "string"}]:
            continue  # the one allowed use of types inside anyOf
        for i, sub in enumerate(node.get(key, [])):
            structural(sub, f"{path}.{key}[{i}]", True)
    if "not" in node:
        structural(node["not"], f"{path}.not", True)

# ---- a small validator (type, required, enum, pattern, bounds, unknown fields) -----------------
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}
def validate(s, v, path):
    errs = []
    t = s.get("type")
    if s.get("x-kubernetes-int-or-string"):
        if not (isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))):
            errs.append(f"{path}: must be int or string")
        return errs
    if t == "integer":
        if not isinstance(v, int) or isinstance(v, bool):
            return [f"{path}: must be an integer, got {v!r}"]
    elif t == "number":
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return [f"{path}: must be a number, got {v!r}"]
    elif t in TYPES and not isinstance(v, TYPES[t]):
        return [f"{path}: must be {t}, got {type(v).__name__}"]
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{path}: {v!r} not in {s['enum']}")
    if isinstance(v, str):
        if "pattern" in s and not re.search(s["pattern"], v):
            errs.append(f"{path}: {v!r} does not match {s['pattern']}")
        if "maxLength" in s and len(v) > s["maxLength"]:
            errs.append(f"{path}: longer than {s['maxLength']}")
        if "minLength" in s and len(v) < s["minLength"]:
            errs.append(f"{path}: shorter than {s['minLength']}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            errs.append(f"{path}: {v} < minimum {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            errs.append(f"{path}: {v} > maximum {s['maximum']}")
    if isinstance(v, list):
        if "maxItems" in s and len(v) > s["maxItems"]:
            errs.append(f"{path}: more than {s['maxItems']} items")
        for i, item in enumerate(v):
            errs += validate(s.get("items", {}), item, f"{path}[{i}]")
    if isinstance(v, dict):
        for r in s.get("required", []):
            if r not in v:
                errs.append(f"{path}.{r}: Required value")
        if "anyOf" in s:
            if not any(all(r in v for r in sub.get("required", [])) for sub in s["anyOf"]):
                errs.append(f"{path}: must validate at least one schema (anyOf)")
        props = s.get("properties", {})
        for k, item in v.items():
            if k in props:
                errs += validate(props[k], item, f"{path}.{k}")
            elif isinstance(s.get("additionalProperties"), dict):
                errs += validate(s["additionalProperties"], item, f"{path}.{k}")
            elif not s.get("x-kubernetes-preserve-unknown-fields") and not (path.endswith(".metadata") and path.count(".") == 1):
                errs.append(f"{path}.{k}: unknown field (would be pruned)")
    return errs

def col_path_ok(schema, json_path):
    node = schema
    for part in json_path.strip(".").split("."):
        if node.get("x-kubernetes-preserve-unknown-fields"):
            return True
        props = node.get("properties", {})
        if part not in props:
            return part in ("creationTimestamp", "name", "namespace") and "metadata" in json_path
        node = props[part]
    return True

# ---- the CRDs against the design contract --------------------------------------------------------------
for kind, crd in crds.items():
    e = EXPECT.get(kind)
    if not e:
        continue
    spec, names = crd["spec"], crd["spec"]["names"]
    tag = f"CRD {kind}"
    if crd.get("apiVersion") != "apiextensions.k8s.io/v1": fail(f"{tag}: apiVersion")
    if crd["metadata"]["name"] != f"{e['plural']}.{GROUP}": fail(f"{tag}: metadata.name")
    if spec["group"] != GROUP: fail(f"{tag}: group")
    if spec["scope"] != "Namespaced": fail(f"{tag}: scope")
    if names["plural"] != e["plural"] or names["singular"] != kind.lower(): fail(f"{tag}: names")
    if names.get("shortNames") != [e["short"]]: fail(f"{tag}: shortNames {names.get('shortNames')}")
    if "modelgov" not in names.get("categories", []): fail(f"{tag}: category modelgov")
    vers = spec["versions"]
    if [v["name"] for v in vers] != ["v1alpha1"] or not vers[0]["served"] or not vers[0]["storage"]: fail(f"{tag}: versions")
    v = vers[0]
    if "status" not in v.get("subresources", {}): fail(f"{tag}: no status subresource")
    if kind == "ModelDeployment":
        sc = v.get("subresources", {}).get("scale", {})
        if sc != {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector"}:
            fail(f"{tag}: scale subresource {sc}")
    elif "scale" in v.get("subresources", {}):
        fail(f"{tag}: unexpected scale subresource")
    schema = v["schema"]["openAPIV3Schema"]
    structural(schema, kind)
    sp = schema["properties"]["spec"]
    if sorted(sp.get("required", [])) != sorted(e["required"]): fail(f"{tag}: spec.required {sp.get('required')} != {e['required']}")
    cols = [c["name"] for c in v.get("additionalPrinterColumns", [])]
    for c in e["columns"]:
        if c not in cols: fail(f"{tag}: printer column {c} missing ({cols})")
    for c in v.get("additionalPrinterColumns", []):
        if not col_path_ok(schema, c["jsonPath"]): fail(f"{tag}: printer column {c['name']} path {c['jsonPath']} not in the schema")
        if c["type"] not in ("string", "integer", "number", "boolean", "date"): fail(f"{tag}: column type {c['type']}")
    if "status" not in schema["properties"]: fail(f"{tag}: no status schema")

# ---- samples ------------------------------------------------------------------------------------
kinds_seen = {}
for path, obj in samples:
    kind = obj.get("kind")
    kinds_seen[kind] = kinds_seen.get(kind, 0) + 1
    if obj.get("apiVersion") != f"{GROUP}/v1alpha1":
        fail(f"{path}: apiVersion {obj.get('apiVersion')}")
    if kind not in crds:
        fail(f"{path}: unknown kind {kind}")
        continue
    name = obj.get("metadata", {}).get("name", "")
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name) or len(name) > 253:
        fail(f"{path}: bad name {name!r}")
    schema = crds[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for err in validate(schema, obj, kind):
        fail(f"{path}: {err}")
for kind, n in {"DatasetVersion": 1, "TrainingRun": 1, "ModelVersion": 1, "ModelReview": 3, "ModelDeployment": 1}.items():
    if kinds_seen.get(kind, 0) < n:
        fail(f"samples: expected at least {n} {kind}")

# the sample set must be coherent: references resolve inside it
by = {}
for _, o in samples:
    by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
for o in by.get("TrainingRun", {}).values():
    if o["spec"]["datasetVersion"] not in by.get("DatasetVersion", {}): fail(f"sample {o['metadata']['name']}: dataset not in samples")
for o in by.get("ModelVersion", {}).values():
    if o["spec"].get("datasetVersion") not in by.get("DatasetVersion", {}): fail("sample ModelVersion: dataset not in samples")
    if o["spec"].get("trainingRun") not in by.get("TrainingRun", {}): fail("sample ModelVersion: training run not in samples")
    author = o["metadata"].get("annotations", {}).get("mlops.modelgov.io/author")
    revs = [r for r in by.get("ModelReview", {}).values() if r["spec"].get("modelVersion") == o["metadata"]["name"]]
    if sorted(r["spec"]["kind"] for r in revs) != ["bias", "performance", "security"]: fail("sample reviews: need security, performance, bias")
    if any(r["spec"]["reviewer"] == author for r in revs): fail("sample reviews: the author reviews his own model")
for o in by.get("ModelDeployment", {}).values():
    if o["spec"]["modelVersion"] not in by.get("ModelVersion", {}): fail("sample ModelDeployment: ModelVersion not in samples")

# ---- the schemas must refuse broken objects ------------------------------------------------------
def broken(kind, mutate, expect):
    obj = copy.deepcopy(next(iter(by[kind].values())))
    mutate(obj)
    errs = validate(crds[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"], obj, kind)
    if not any(expect in e for e in errs):
        fail(f"broken {kind} ({expect}) was accepted: {errs}")
    return obj

NEG = [
    ("DatasetVersion", lambda o: o["spec"].__setitem__("digest", "sha256:ABC"), "does not match"),
    ("DatasetVersion", lambda o: o["spec"]["privacy"].__setitem__("method", "hashed"), "not in"),
    ("DatasetVersion", lambda o: o["spec"]["source"].__setitem__("type", "scraped"), "not in"),
    ("DatasetVersion", lambda o: o["spec"].pop("privacy"), "Required value"),
    ("DatasetVersion", lambda o: o["spec"].__setitem__("sizeBytes", -1), "minimum"),
    ("DatasetVersion", lambda o: o["spec"].__setitem__("dataset", "x" * 300), "longer than"),
    ("TrainingRun", lambda o: o["spec"]["params"].__setitem__("n", 3), "must be string"),
    ("TrainingRun", lambda o: o["spec"]["model"].__setitem__("version", "-bad"), "does not match"),
    ("TrainingRun", lambda o: o["spec"].pop("datasetVersion"), "Required value"),
    ("ModelVersion", lambda o: o["spec"].__setitem__("version", "1.4.0+build"), "does not match"),
    ("ModelVersion", lambda o: o["spec"].__setitem__("version", "v" * 129), "does not match"),
    ("ModelVersion", lambda o: o["spec"].__setitem__("digest", "sha256:" + "a" * 63), "does not match"),
    ("ModelVersion", lambda o: o["spec"].__setitem__("image", "r.io/m@sha256:x"), "does not match"),
    ("ModelVersion", lambda o: o["spec"].__setitem__("bogus", 1), "unknown field"),
    ("ModelReview", lambda o: o["spec"].__setitem__("verdict", "maybe"), "not in"),
    ("ModelReview", lambda o: o["spec"].__setitem__("kind", "style"), "not in"),
    ("ModelReview", lambda o: o["spec"].pop("modelVersion"), "anyOf"),
    ("ModelDeployment", lambda o: o["spec"].__setitem__("replicas", -1), "minimum"),
    ("ModelDeployment", lambda o: o["spec"]["monitoring"].__setitem__("interval", "30 seconds"), "does not match"),
    ("ModelDeployment", lambda o: o["spec"]["monitoring"].__setitem__("source", "statsd"), "not in"),
    ("ModelDeployment", lambda o: o["spec"]["monitoring"]["warn"].__setitem__("maxPSI", -0.1), "minimum"),
    ("ModelDeployment", lambda o: o["spec"].__setitem__("port", 70000), "maximum"),
    ("ModelDeployment", lambda o: o["spec"].pop("modelVersion"), "Required value"),
]
for kind, mut, expect in NEG:
    if kind in by:
        broken(kind, mut, expect)

# ---- the test API server's own CRD/schema rules, when that module is present ------------------------
tc_dir = "hack/testcluster"
if os.path.isdir(os.path.join(tc_dir, "tc")):
    sys.path.insert(0, tc_dir)
    try:
        from tc import schema as tcschema
    except Exception as e:  # the module is another helper's; report, don't crash
        fail(f"cannot import hack/testcluster/tc/schema.py: {e}")
        tcschema = None
    if tcschema:
        for kind, crd in crds.items():
            c = copy.deepcopy(crd)
            if hasattr(tcschema, "crd_defaults"):
                tcschema.crd_defaults(c)
            for cause in tcschema.validate_crd(c):
                fail(f"CRD {kind} refused by tc.schema: {cause}")
        for path, obj in samples:
            crd = crds.get(obj["kind"])
            if not crd:
                continue
            s = tcschema.Schema(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
            o = copy.deepcopy(obj)
            o.setdefault("metadata", {}).setdefault("namespace", "default")
            unknown = s.prune(o)
            if unknown:
                fail(f"{path}: tc.schema prunes {unknown}")
            s.apply_defaults(o)
            for cause in tcschema.validate_custom_object(s, o, True):
                fail(f"{path}: tc.schema: {cause}")
        print("tc.schema checks ran")

if failures:
    print(f"crds: {len(failures)} failure(s)")
    sys.exit(1)
print(f"crds: {len(crds)} CRDs and {len(samples)} samples OK ({len(NEG)} broken samples refused)")
PY

# ---- apply against the API server (MG_TEST_SERVER: the test server or a real one) ---------------
IT_ROOT=$PWD
source tests/integration/lib-cluster.sh # IT_SERVER_KIND, IT_CLUSTER_CMD
if [ -x "$IT_CLUSTER_CMD" ] && command -v kubectl >/dev/null; then
  dir=$(mktemp -d)
  cleanup() { "$IT_CLUSTER_CMD" down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
  trap cleanup EXIT
  "$IT_CLUSTER_CMD" up --dir "$dir" >"$dir/up.log" 2>&1 || { cat "$dir/up.log"; echo "crds: $IT_SERVER_KIND up failed"; exit 1; }
  export KUBECONFIG="$dir/kubeconfig"
  kubectl apply -f crds/ >/dev/null
  for c in datasetversions trainingruns modelversions modelreviews modeldeployments; do
    kubectl wait --for=condition=Established "crd/$c.mlops.modelgov.io" --timeout=30s >/dev/null
  done
  kubectl apply -f crds/samples/ >/dev/null
  kubectl get modelgov -o name | sort > "$dir/names"
  [ "$(wc -l < "$dir/names")" -eq 7 ] || { cat "$dir/names"; echo "crds: expected 7 objects"; exit 1; }
  out=$(kubectl get md fraud-detector)
  [[ "$out" =~ NAME\ +MODEL\ +VERSION\ +PHASE\ +READY\ +AGE ]] || { echo "$out"; echo "crds: md columns"; exit 1; }
  out=$(kubectl get mv fraud-detector-1-4-0)
  [[ "$out" =~ NAME\ +MODEL\ +VERSION\ +APPROVED\ +QUARANTINED\ +AGE ]] || { echo "$out"; echo "crds: mv columns"; exit 1; }
  [[ "$out" =~ fraud-detector-1-4-0\ +fraud-detector\ +1\.4\.0 ]] || { echo "$out"; echo "crds: mv cells"; exit 1; }
  kubectl scale md fraud-detector --replicas=3 >/dev/null
  [ "$(kubectl get md fraud-detector -o jsonpath='{.spec.replicas}')" = 3 ] || { echo "crds: scale subresource"; exit 1; }
  if kubectl apply -f - >/dev/null 2>&1 <<'YAML'
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelVersion
metadata: {name: bad}
spec: {model: m, version: "-x", image: r.io/m, digest: "sha256:abc"}
YAML
  then echo "crds: an invalid ModelVersion was accepted by the API server"; exit 1; fi
  if out=$(kubectl apply -f - 2>&1 <<'YAML'
apiVersion: mlops.modelgov.io/v1alpha1
kind: ModelReview
metadata: {name: bad-verdict}
spec: {modelVersion: fraud-detector-1-4-0, kind: incident, verdict: approve, reviewer: alice}
YAML
  ); then echo "crds: an incident review with verdict approve was accepted (CEL rule)"; exit 1; fi
  [[ "$out" == *"incident reviews confirm or release"* ]] || { echo "$out"; echo "crds: CEL message"; exit 1; }
  echo "crds: applied to the $IT_SERVER_KIND API server"
fi
