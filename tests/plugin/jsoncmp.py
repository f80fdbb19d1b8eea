#!/usr/bin/python3
"""jsoncmp.py EXPECTED ACTUAL [--yaml]: exits 0 when every member of EXPECTED appears in ACTUAL
with an equal value (objects recursively, extra members in ACTUAL allowed; arrays element by
element with equal length; numbers within 1e-9 relative or 1e-12 absolute; null must be null).
ACTUAL is read as YAML with --yaml. Prints the first difference."""
import json
import math
import sys


def cmp(e, a, path):
    if isinstance(e, dict):
        if not isinstance(a, dict):
            return f"{path}: expected an object, got {a!r}"
        for k, v in e.items():
            if k not in a:
                return f"{path}.{k}: missing"
            d = cmp(v, a[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(e, list):
        if not isinstance(a, list) or len(a) != len(e):
            return f"{path}: expected a list of {len(e)}, got {a!r}"[:300]
        for i, (x, y) in enumerate(zip(e, a)):
            d = cmp(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(e, bool) or e is None or isinstance(e, str):
        return None if (type(e) is type(a) and e == a) else f"{path}: expected {e!r}, got {a!r}"
    if isinstance(e, (int, float)):
        if isinstance(a, bool) or not isinstance(a, (int, float)):
            return f"{path}: expected number {e!r}, got {a!r}"
        if math.isclose(float(e), float(a), rel_tol=1e-9, abs_tol=1e-12):
            return None
        return f"{path}: expected {e!r}, got {a!r}"
    return f"{path}: unsupported {e!r}"


exp = json.load(open(sys.argv[1], encoding="utf-8"))
with open(sys.argv[2], encoding="utf-8") as f:
    if "--yaml" in sys.argv:
        import yaml
        act = yaml.safe_load(f)
    else:
        act = json.load(f)
d = cmp(exp, act, "$")
if d:
    print(d)
    sys.exit(1)
