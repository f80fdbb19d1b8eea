"""Checks on the chart's Grafana dashboard and Prometheus rules against what modelgov exports.

  dashboard-check.py dashboard DASHBOARD.json METRICS... the dashboard is well formed and every
        panel's query names metrics (and labels) found in the /metrics outputs given
  dashboard-check.py rules RULES.yaml METRICS...          every rule expression names exported
        metrics or the file's own recording rules
  dashboard-check.py promql DASHBOARD.json OUT.yaml        writes every panel query as a
        recording rule (Grafana's variables replaced) for `promtool check rules` to parse
Well formed: title, uid, schemaVersion, unique panel ids, each panel inside the 24-column grid
and overlapping no other, a datasource that is the ${datasource} variable, targets with unique
refIds and a query, only variables the dashboard defines or Grafana provides.
Exits 0 when everything holds, else 1 listing each problem.
"""
import json
import re
import sys

import yaml

FUNCS = {'abs', 'absent', 'absent_over_time', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max',
         'clamp_min', 'count_over_time', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'holt_winters',
         'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log2', 'log10',
         'max_over_time', 'min_over_time', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rate',
         'resets', 'round', 'scalar', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time', 'sum_over_time', 'time',
         'timestamp', 'vector', 'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk',
         'quantile', 'count_values', 'group'}
KEYWORDS = {'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless',
            'offset', 'inf', 'nan'}
GRAFANA_VARS = {'__rate_interval', '__interval', '__range', '__range_s', '__interval_ms'}


def selectors(expr):
    """(metric, {label names}) for each vector selector in a PromQL expression; labels also
    from by/without/on/ignoring clauses, attributed to every metric of the expression."""
    s = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)          # strings out
    s = re.sub(r'\[[^\]]*\]', '', s)                       # range durations out
    grouping = set()
    for m in re.finditer(r'\b(by|without|on|ignoring)\s*\(([^)]*)\)', s):
        grouping |= {x.strip() for x in m.group(2).split(',') if x.strip()}
    s = re.sub(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)', ' ', s)
    out = []
    for m in re.finditer(r'([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?', s):
        name, matchers, call = m.group(1), m.group(2), m.group(3)
        if call or name in KEYWORDS or name in FUNCS or re.fullmatch(r'\d.*', name):
            continue
        labels = set(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)', matchers or ''))
        out.append((name, labels | grouping))
    return out


def exported(paths):
    """metric name → label names seen on its samples, from Prometheus text outputs."""
    names = {}
    for p in paths:
        with open(p) as f:
            for line in f:
                m = re.match(r'# TYPE (\S+) (\w+)', line)
                if m:
                    suffixes = ['_bucket', '_sum', '_count', ''] if m.group(2) == 'histogram' else ['']
                    for suf in suffixes:
                        names.setdefault(m.group(1) + suf, set())
                    continue
                m = re.match(r'([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}', line)
                if m:
                    names.setdefault(m.group(1), set()).update(re.findall(r'(\w+)="', m.group(2)))
    return names


def check_expr(where, expr, names, problems, recorded=()):
    found = selectors(expr)
    if not found and 'vector(' not in expr:
        problems.append('%s: no metric in %r' % (where, expr))
    for metric, labels in found:
        if metric in recorded:
            continue
        if metric not in names:
            problems.append('%s: %s is not exported by the operator or the webhook' % (where, metric))
            continue
        missing = labels - names[metric] - {'le', '__name__'}
        if names[metric] and missing:
            problems.append('%s: %s has no label %s (it has %s)' % (where, metric, sorted(missing), sorted(names[metric])))


def panels_of(d):
    for p in d.get('panels', []):
        yield p
        yield from p.get('panels', [])


def well_formed(d, problems):
    for k in ('title', 'uid', 'schemaVersion', 'panels'):
        if k not in d:
            problems.append('dashboard has no %s' % k)
    variables = {v['name'] for v in d.get('templating', {}).get('list', [])} | GRAFANA_VARS
    ids, cells = set(), {}
    for p in panels_of(d):
        if p.get('id') in ids:
            problems.append('panel id %s twice' % p.get('id'))
        ids.add(p.get('id'))
        g = p.get('gridPos', {})
        if not all(isinstance(g.get(k), int) for k in 'xywh') or g['x'] < 0 or g['x'] + g['w'] > 24 or g['w'] < 1:
            problems.append('panel %r: gridPos %s outside the 24-column grid' % (p.get('title'), g))
            continue
        for x in range(g['x'], g['x'] + g['w']):
            for y in range(g['y'], g['y'] + g['h']):
                if (x, y) in cells:
                    problems.append('panel %r overlaps %r' % (p['title'], cells[(x, y)]))
                cells[(x, y)] = p['title']
        if p.get('type') == 'row':
            continue
        if p.get('datasource', {}).get('uid') != '${datasource}':
            problems.append('panel %r: datasource is not the ${datasource} variable' % p.get('title'))
        refs = [t.get('refId') for t in p.get('targets', [])]
        if not refs or len(set(refs)) != len(refs):
            problems.append('panel %r: targets missing or refIds not unique: %s' % (p.get('title'), refs))
        for t in p.get('targets', []):
            for v in re.findall(r'\$\{?(\w+)', t.get('expr', '')):
                if v not in variables:
                    problems.append('panel %r: unknown variable $%s' % (p['title'], v))


def grafana_to_promql(expr):
    return expr.replace('$__rate_interval', '5m').replace('$namespace', '.*')


def dashboard(path, *metrics):
    d = json.load(open(path))
    names, problems = exported(metrics), []
    well_formed(d, problems)
    n = 0
    for p in panels_of(d):
        for t in p.get('targets', []):
            n += 1
            check_expr('panel %r' % p['title'], grafana_to_promql(t['expr']), names, problems)
    if n == 0:
        problems.append('no queries at all')
    for q in [v.get('definition', '') for v in d.get('templating', {}).get('list', []) if v.get('type') == 'query']:
        m = re.match(r'label_values\((\w+),\s*(\w+)\)', q)
        if not m or m.group(1) not in names:
            problems.append('variable query %r names no exported metric' % q)
    for p in problems:
        print('   ', p)
    return not problems


def rules(path, *metrics):
    groups = yaml.safe_load(open(path))['groups']
    names, problems = exported(metrics), []
    recorded = {r['record'] for g in groups for r in g['rules'] if 'record' in r}
    for g in groups:
        for r in g['rules']:
            check_expr(r.get('record') or r.get('alert'), r['expr'], names, problems, recorded)
    for p in problems:
        print('   ', p)
    return not problems


def promql(path, out):
    d = json.load(open(path))
    rules_ = [{'record': 'dashboard:panel%d_%s' % (p['id'], t['refId']), 'expr': grafana_to_promql(t['expr'])}
              for p in panels_of(d) for t in p.get('targets', [])]
    yaml.safe_dump({'groups': [{'name': 'dashboard', 'rules': rules_}]}, open(out, 'w'))
    return True


if __name__ == '__main__':
    fn = {'dashboard': dashboard, 'rules': rules, 'promql': promql}[sys.argv[1]]
    sys.exit(0 if fn(*sys.argv[2:]) else 1)
