"""Checks on `kubectl modelgov report` output made by the demo (tests/integration/demo.sh).

  report-check.py golden GOLDEN OUT      OUT/<name>.json against the golden GOLDEN (its file name
                                         is <name>.json), with the cluster state the demo dumped
                                         into OUT (state-*.json, demo.env); then the plots
  report-check.py dom DOM OUT NAME       the page Chromium rendered (its --dump-dom) against the
                                         report's JSON OUT/NAME.json: sections, tables, plots
  report-check.py png PNG MAXBYTES       a screenshot: a PNG, not blank, at most MAXBYTES
  report-check.py markdown MD OUT NAME   the Markdown report against the JSON
  report-check.py schema SCHEMA JSON...  every JSON report validates against the JSON Schema

The golden files hold the document's structure and every value the demo decides itself
(names, reviewers, comments, thresholds); a value the cluster decided is written as
  {"$state": "KIND/NAME", "path": "spec.x.0.y"}    looked up in OUT/state-KIND.json
and ${VAR} in any string is replaced from OUT/demo.env (digests the demo pushed, generated
names). Placeholders: "<time>" (RFC 3339), "<uid>", "<number>", "<re:REGEX>", "<plots>" (checked
on their own below), {"$unordered": [...]} (the same elements in any order: Events of the same
second), and in it {"$some": X} (one or more elements matching X: an Event the operator may
repeat). Each check exits 0 when it holds, else 1 with the differences on stdout.
"""
import datetime
import html.parser
import json
import math
import re
import struct
import sys
import zlib

TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')
UID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


def load(path):
    with open(path) as f:
        return json.load(f)


def env_of(out):
    env = {}
    with open(out + '/demo.env') as f:
        for line in f:
            k, _, v = line.strip().partition('=')
            env[k] = v
    return env


def subst(s, env):
    return re.sub(r'\$\{(\w+)\}', lambda m: env[m.group(1)], s)


def state_get(out, ref, path, env):
    kind, _, name = subst(ref, env).partition('/')
    items = load('%s/state-%s.json' % (out, kind))['items']
    obj = [o for o in items if o['metadata']['name'] == name]
    if not obj:
        raise KeyError('%s not in the cluster state' % ref)
    v = obj[0]
    for p in path.split('.'):
        v = v[int(p)] if isinstance(v, list) else v[p]
    return v


def resolve(g, out, env):
    """The golden with ${VAR} and $state references replaced (placeholders stay)."""
    if isinstance(g, dict):
        if '$state' in g:
            return state_get(out, g['$state'], subst(g['path'], env), env)
        return {k: resolve(v, out, env) for k, v in g.items()}
    if isinstance(g, list):
        return [resolve(v, out, env) for v in g]
    if isinstance(g, str):
        return subst(g, env)
    return g


def match(want, got, where, problems):
    if isinstance(want, str) and want.startswith('<') and want.endswith('>'):
        ok = {'<time>': lambda: isinstance(got, str) and TIME.match(got),
              '<uid>': lambda: isinstance(got, str) and UID.match(got),
              '<number>': lambda: isinstance(got, (int, float)) and not isinstance(got, bool),
              '<plots>': lambda: isinstance(got, list)}.get(want)
        if want.startswith('<re:'):
            ok = lambda: isinstance(got, str) and re.fullmatch(want[4:-1], got)
        if ok is None:
            problems.append('%s: unknown placeholder %s' % (where, want))
        elif not ok():
            problems.append('%s: want %s, got %r' % (where, want, got))
        return
    if isinstance(want, dict) and '$unordered' in want:
        rest = list(got) if isinstance(got, list) else []
        for w in want['$unordered']:
            some = isinstance(w, dict) and '$some' in w   # one or more (an Event repeated)
            w = w['$some'] if some else w
            hit = [k for k, g in enumerate(rest) if matches(w, g)]
            if not hit:
                problems.append('%s: no element matches %s' % (where, json.dumps(w)[:200]))
            for k in reversed(hit if some else hit[:1]):
                rest.pop(k)
        if rest:
            problems.append('%s: unexpected elements %s' % (where, json.dumps(rest)[:300]))
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            problems.append('%s: want an object, got %r' % (where, got))
            return
        for k in want:
            if k not in got:
                problems.append('%s/%s: missing' % (where, k))
            else:
                match(want[k], got[k], '%s/%s' % (where, k), problems)
        for k in got:
            if k not in want:
                problems.append('%s/%s: not in the golden (%r)' % (where, k, got[k]))
        # the document's own member order is part of its schema; objects copied from the
        # cluster keep the API server's order
        if where.count('/') <= 2 and list(want) != [k for k in got if k in want]:
            problems.append('%s: member order %s, want %s' % (where, list(got), list(want)))
        return
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            problems.append('%s: want %d elements, got %r' % (where, len(want), got))
            return
        for i, (w, g) in enumerate(zip(want, got)):
            match(w, g, '%s/%d' % (where, i), problems)
        return
    same = want == got if not isinstance(want, float) else isinstance(got, (int, float)) and \
        math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-12)
    if not same or type(want) is bool and type(got) is not bool:
        problems.append('%s: want %r, got %r' % (where, want, got))


def matches(want, got):
    problems = []
    match(want, got, '', problems)
    return not problems


def plot_problems(doc, out, env):
    """Every plot: its points lie in the intervals the deployment served this version (from
    the ModelDeployment's status.history in the cluster state), its thresholds are the
    deployment's spec.monitoring ones, its PSI series are baseline features."""
    problems = []
    name = doc['identity']['name']
    mv = state_get(out, 'mv/' + name, 'spec', env)
    features = {f['name'] for f in mv.get('baseline', {}).get('features', [])}
    end = doc['range']['end']
    for p in doc['plots']:
        md = state_get(out, 'md/' + p['deployment'], 'spec', env)
        hist = state_get(out, 'md/' + p['deployment'], 'status.history', env)
        spans = [(h['from'], h.get('to', end)) for h in hist if h['modelVersion'] == name]
        for lv in ('warn', 'quarantine'):
            want = md.get('monitoring', {}).get(lv, {}).get(p['threshold'] or '')
            if p['thresholds'].get(lv) != want:
                problems.append('plot %s: %s threshold %r, the deployment has %r'
                                % (p['id'], lv, p['thresholds'].get(lv), want))
        for s in p['series']:
            if p['figure'] == 'psi' and s['name'] not in features:
                problems.append('plot %s: series %s is no baseline feature' % (p['id'], s['name']))
            for t, v in s['points']:
                ts = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
                if not any(a <= ts <= b for a, b in spans):
                    problems.append('plot %s: point at %s outside %s' % (p['id'], ts, spans))
            if s['summary']['points'] != len(s['points']):
                problems.append('plot %s: summary counts %d points of %d'
                                % (p['id'], s['summary']['points'], len(s['points'])))
    return problems


def golden(gpath, out):
    env = env_of(out)
    name = gpath.rsplit('/', 1)[-1][:-len('.json')]
    doc = load('%s/%s.json' % (out, subst(name, env)))
    problems = []
    match(resolve(load(gpath), out, env), doc, '', problems)
    problems += plot_problems(doc, out, env)
    # the baseline's fairness figures, computed here from the ModelVersion's group rates
    groups = (mv.get('baseline') or {}).get('groups', []) if (mv := state_get(out, 'mv/' + doc['identity']['name'],
                                                                             'spec', env)) else []
    for attr in {g['attribute'] for g in groups}:
        pr = [g['positiveRate'] for g in groups if g['attribute'] == attr]
        tpr = [g['truePositiveRate'] for g in groups if g['attribute'] == attr]
        want = {'demographicParityDiff': max(pr) - min(pr), 'disparateImpact': min(pr) / max(pr),
                'equalOpportunityDiff': max(tpr) - min(tpr)}
        got = doc['monitoring']['baseline']['fairness'].get(attr, {})
        for k, v in want.items():
            if not math.isclose(got.get(k, math.nan), v, rel_tol=1e-9, abs_tol=1e-12):
                problems.append('baseline fairness %s %s: %r, computed %r' % (attr, k, got.get(k), v))
    for part in ('incidents', 'reviews'):
        times = [i['time'] for i in doc[part]]
        if times != sorted(times):
            problems.append('%s not in time order: %s' % (part, times))
    for p in problems:
        print('   ', p)
    return not problems


class Dom(html.parser.HTMLParser):
    """The parts of the rendered page the checks need."""

    def __init__(self):
        super().__init__()
        self.stack, self.sections, self.plots, self.scripts, self.external = [], [], {}, 0, []
        self.cells, self.in_td, self.plot = [], False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'script':
            self.scripts += 1
        for k in ('src', 'href'):
            if k in a and not a[k].startswith('#') and not a[k].startswith('data:'):
                self.external.append(a[k])
        if tag == 'section':
            self.sections.append(a.get('id'))
        if tag == 'svg' and 'data-plot' in a:
            self.plot = self.plots.setdefault(a['data-plot'], {'series': {}, 'thresholds': {}})
        if tag == 'g' and self.plot is not None and 'data-series' in a:
            self.plot['series'][a['data-series']] = int(a['data-points'])
        if tag == 'line' and self.plot is not None and 'threshold' in a.get('class', ''):
            self.plot['thresholds'][a['class'].split()[1]] = float(a['data-value'])
        if tag == 'td':
            self.in_td = True
            self.cells.append('')

    def handle_endtag(self, tag):
        if tag == 'svg':
            self.plot = None
        if tag == 'td':
            self.in_td = False

    def handle_data(self, data):
        if self.in_td:
            self.cells[-1] += data


def dom(path, out, name):
    doc = load('%s/%s.json' % (out, name))
    d = Dom()
    with open(path) as f:
        d.feed(f.read())
    problems = []
    want = ['identity', 'lineage', 'reviews', 'deployments', 'monitoring', 'incidents', 'retraining']
    if d.sections != want:
        problems.append('sections %s, want %s' % (d.sections, want))
    if d.scripts or d.external:
        problems.append('not self-contained: %d scripts, external references %s' % (d.scripts, d.external))
    for p in doc['plots']:
        got = d.plots.get(p['id'])
        if got is None:
            problems.append('plot %s not drawn' % p['id'])
            continue
        series = {s['name']: len(s['points']) for s in p['series']}
        if got['series'] != series:
            problems.append('plot %s: drawn series %s, the report has %s' % (p['id'], got['series'], series))
        if got['thresholds'] != p['thresholds']:
            problems.append('plot %s: drawn thresholds %s, want %s' % (p['id'], got['thresholds'], p['thresholds']))
    if len(d.plots) != len(doc['plots']):
        problems.append('%d plots drawn, the report has %d' % (len(d.plots), len(doc['plots'])))
    for r in doc['reviews']:
        if r['reviewer'] not in d.cells or r.get('comment', '\u2014') not in d.cells:
            problems.append('review %s (%s, %s) not in a table cell' % (r['name'], r['reviewer'], r.get('comment')))
    for k in ('model', 'version', 'digest', 'author'):
        if doc['identity'][k] not in d.cells:
            problems.append('identity %s %s not shown' % (k, doc['identity'][k]))
    for i in doc['incidents']:
        if i.get('reason') and i['reason'] not in d.cells:
            problems.append('incident %s not shown' % i['reason'])
    for p in problems:
        print('   ', p)
    return not problems


def png(path, maxbytes):
    """A PNG (signature, IHDR) whose pixels are not all one colour, at most maxbytes."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        print('    not a PNG')
        return False
    w, h = struct.unpack('>II', data[16:24])
    raw, pos = b'', 8
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'IDAT':
            raw += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    pixels = zlib.decompress(raw)
    distinct = len(set(pixels[i:i + 4] for i in range(1, min(len(pixels), 4_000_000), 4)))
    ok = len(data) <= maxbytes and w >= 400 and h >= 400 and distinct > 50
    if not ok:
        print('    %dx%d, %d bytes (max %d), %d distinct pixel values' % (w, h, len(data), maxbytes, distinct))
    return ok


def markdown(path, out, name):
    doc = load('%s/%s.json' % (out, name))
    text = open(path).read()
    problems = []
    for h in ('## Identity', '## Lineage', '## Reviews and approval', '## Where and when it ran',
              '## Monitoring', '## Incidents', '## Retraining'):
        if h not in text:
            problems.append('no section %s' % h)
    if '<svg' in text or '<script' in text:
        problems.append('HTML in the Markdown')
    for p in doc['plots']:
        if '**%s \u2014 %s**' % (p['title'], p['deployment']) not in text:
            problems.append('plot %s has no summary table' % p['id'])
    if doc['identity']['digest'] not in text:
        problems.append('digest missing')
    for p in problems:
        print('   ', p)
    return not problems


def schema(spath, docs):
    import jsonschema
    s = load(spath)
    ok = True
    for d in docs:
        for e in jsonschema.Draft202012Validator(s).iter_errors(load(d)):
            print('    %s: %s at %s' % (d, e.message[:200], '/'.join(map(str, e.absolute_path))))
            ok = False
    return ok


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {'golden': golden, 'dom': dom, 'markdown': markdown, 'schema': lambda s, *d: schema(s, d),
          'png': lambda p, m: png(p, int(m))}[cmd]
    sys.exit(0 if fn(*args) else 1)
