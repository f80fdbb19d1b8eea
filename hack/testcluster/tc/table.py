"""meta.k8s.io/v1 Table output as kube-apiserver 1.28 renders it for `kubectl get`
(Accept: application/json;as=Table;v=v1;g=meta.k8s.io).

Custom resources: apiextensions tableconvertor (Name + additionalPrinterColumns evaluated with a
client-go JSONPath subset; `date` columns rendered as a human duration by the server; `string`
columns printed like jsonpath does: scalars as text, lists/maps as compact JSON).
Built-ins: the column lists of pkg/printers/internalversion (names, types, priorities exact;
descriptions of non-metadata columns shortened, see INTERFACE.md).
"""
import datetime
import json

NAME_DESC = ("Name must be unique within a namespace. Is required when creating resources, although "
             "some resources may allow a client to request the generation of an appropriate name "
             "automatically. Name is primarily intended for creation idempotence and configuration "
             "definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
CREATED_DESC = ("CreationTimestamp is a timestamp representing the server time when this object was "
                "created. It is not guaranteed to be set in happens-before order across separate "
                "operations. Clients may not set this value. It is represented in RFC3339 form and is "
                "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")


# ------------------------------------------------------------------ time helpers

def parse_time(s):
    if not s or not isinstance(s, str):
        return None
    try:
        s2 = s.replace('Z', '+00:00')
        return datetime.datetime.fromisoformat(s2)
    except ValueError:
        return None


def human_duration(seconds_total):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    secs = int(seconds_total)
    if secs < -1:
        return '<invalid>'
    if secs < 0:
        return '0s'
    if secs < 120:
        return '%ds' % secs
    minutes = secs // 60
    if minutes < 10:
        s = secs % 60
        return '%dm' % minutes if s == 0 else '%dm%ds' % (minutes, s)
    if minutes < 180:
        return '%dm' % minutes
    hours = secs // 3600
    if hours < 8:
        m = minutes % 60
        return '%dh' % hours if m == 0 else '%dh%dm' % (hours, m)
    if hours < 48:
        return '%dh' % hours
    if hours < 24 * 8:
        h = hours % 24
        return '%dd' % (hours // 24) if h == 0 else '%dd%dh' % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return '%dd' % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return '%dy' % (hours // 24 // 365) if dy == 0 else '%dy%dd' % (hours // 24 // 365, dy)
    return '%dy' % (hours // 24 // 365)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def age(ts, now=None):
    """translateTimestampSince / ConvertToHumanReadableDateType."""
    t = parse_time(ts)
    if t is None:
        return '<unknown>'
    return human_duration(((now or _now()) - t).total_seconds())


# ------------------------------------------------------------------ JSONPath subset

class JSONPathError(ValueError):
    pass


def _parse_jsonpath(expr):
    e = expr.strip()
    if e.startswith('{') and e.endswith('}'):
        e = e[1:-1]
    if e.startswith('$'):
        e = e[1:]
    steps, i, n = [], 0, len(e)
    while i < n:
        c = e[i]
        if c == '.':
            i += 1
            if i < n and e[i] == '.':
                raise JSONPathError('recursive descent not supported')
            j = i
            name = ''
            while j < n and e[j] not in '.[':
                if e[j] == '\\' and j + 1 < n:
                    name += e[j + 1]
                    j += 2
                    continue
                name += e[j]
                j += 1
            if name == '*':
                steps.append(('*',))
            elif name:
                steps.append(('key', name))
            i = j
        elif c == '[':
            j = e.index(']', i)
            inner = e[i + 1:j].strip()
            if inner == '*':
                steps.append(('*',))
            elif inner[:1] in '\'"':
                steps.append(('key', inner[1:-1]))
            elif ':' in inner:
                a, _, b = inner.partition(':')
                steps.append(('slice', int(a) if a else None, int(b) if b else None))
            else:
                try:
                    steps.append(('idx', int(inner)))
                except ValueError:
                    raise JSONPathError('unsupported JSONPath element [%s]' % inner)
            i = j + 1
        else:
            raise JSONPathError('unrecognized character in JSONPath %r' % expr)
    return steps


def jsonpath(obj, expr):
    """All values `expr` selects in obj (missing keys select nothing)."""
    cur = [obj]
    for st in _parse_jsonpath(expr):
        nxt = []
        for v in cur:
            if st[0] == 'key':
                if isinstance(v, dict) and st[1] in v:
                    nxt.append(v[st[1]])
            elif st[0] == 'idx':
                if isinstance(v, list):
                    k = st[1]
                    if -len(v) <= k < len(v):
                        nxt.append(v[k])
            elif st[0] == 'slice':
                if isinstance(v, list):
                    nxt.extend(v[st[1]:st[2]])
            elif st[0] == '*':
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v[k] for k in sorted(v))
        cur = nxt
    return cur


def _go_json(v):
    # encoding/json: sorted keys, compact, HTML-escaped
    s = json.dumps(v, separators=(',', ':'), sort_keys=True, ensure_ascii=False)
    return s.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')


def _text(v):
    """jsonpath PrintResults for one value."""
    if isinstance(v, (dict, list)):
        return _go_json(v)
    if v is None:
        return None
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, float):
        from .errors import go_float
        return go_float(v)
    return str(v)


def _num_out(f):
    if isinstance(f, float) and f.is_integer() and abs(f) < 1e21:
        return int(f)
    return f


def cell_for(ctype, value):
    """cellForJSONValue (non-string printer column types)."""
    if value is None:
        return None
    if ctype == 'integer':
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
    elif ctype == 'number':
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return _num_out(float(value))
    elif ctype == 'boolean':
        if isinstance(value, bool):
            return value
    elif ctype == 'string':
        if isinstance(value, str):
            return value
    elif ctype == 'date':
        if isinstance(value, str):
            if parse_time(value) is None:
                return '<invalid>'
            return age(value)
    return None


def crd_columns(crd_version):
    """Columns for a CRD version (its additionalPrinterColumns, or the default Age column)."""
    cols = [column('Name', 'string', NAME_DESC, fmt='name', cell=lambda o: _md(o).get('name', ''))]
    pcs = crd_version.get('additionalPrinterColumns')
    if not pcs:
        pcs = [{'name': 'Age', 'type': 'date', 'description': CREATED_DESC,
                'jsonPath': '.metadata.creationTimestamp'}]
    for pc in pcs:
        if not isinstance(pc, dict):
            continue
        jp = pc.get('jsonPath', '')
        cols.append(column(pc.get('name', ''), pc.get('type', 'string'),
                           pc.get('description') or
                           'Custom resource definition column (in JSONPath format): %s' % jp,
                           fmt=pc.get('format', ''), priority=pc.get('priority', 0) or 0,
                           cell=_jsonpath_cell(jp, pc.get('type', 'string'))))
    return cols


def _jsonpath_cell(path, ctype):
    def cell(obj):
        try:
            vals = jsonpath(obj, path)
        except (JSONPathError, ValueError):
            return None
        if not vals:
            return None
        v = vals[0]
        if ctype == 'string':
            return _text(v)
        return cell_for(ctype, v)
    return cell


def column(name, ctype, desc, fmt='', priority=0, cell=None):
    return {'name': name, 'type': ctype, 'format': fmt, 'description': desc, 'priority': priority,
            'cell': cell}


def _md(o):
    return o.get('metadata') or {}


def to_table(objects, columns, list_rv, continue_token=None, include_object='Metadata',
             remaining=None, no_headers=False):
    t = {'kind': 'Table', 'apiVersion': 'meta.k8s.io/v1'}
    meta = {}
    if list_rv:
        meta['resourceVersion'] = str(list_rv)
    if continue_token:
        meta['continue'] = continue_token
    if remaining is not None:
        meta['remainingItemCount'] = remaining
    t['metadata'] = meta
    if not no_headers:
        t['columnDefinitions'] = [dict((k, c[k]) for k in ('name', 'type', 'format', 'description', 'priority'))
                                  for c in columns]
    rows = []
    for o in objects:
        cells = []
        for c in columns:
            fn = c.get('cell')
            try:
                cells.append(fn(o) if fn else None)
            except (TypeError, ValueError, AttributeError, KeyError, IndexError):
                cells.append(None)  # malformed (e.g. schemaless) data: an empty cell, not a 500
        row = {'cells': cells}
        rc = columns[0].get('row_conditions') if columns else None
        if rc is not None:
            try:
                conds = rc(o)
            except (TypeError, ValueError, AttributeError, KeyError, IndexError):
                conds = None
            if conds:
                row['conditions'] = conds
        if include_object == 'Object':
            row['object'] = o
        elif include_object == 'None':
            row['object'] = None
        else:
            row['object'] = {'kind': 'PartialObjectMetadata', 'apiVersion': 'meta.k8s.io/v1',
                             'metadata': _md(o)}
        rows.append(row)
    t['rows'] = rows
    return t


# ------------------------------------------------------------------ built-in printers

def _age(o):
    return age(_md(o).get('creationTimestamp'))


def _name_col():
    return column('Name', 'string', NAME_DESC, fmt='name', cell=lambda o: _md(o).get('name', ''))


def _age_col():
    return column('Age', 'string', CREATED_DESC, cell=_age)


def _sel_string(sel):
    """metav1.FormatLabelSelector."""
    from . import selectors, errors
    try:
        text = str(selectors.label_selector_from_object(sel))
    except errors.ApiError:
        return '<error>'
    return text or '<none>'


def _containers(o):
    cs = (((o.get('spec') or {}).get('template') or {}).get('spec') or {}).get('containers') or []
    return cs


def _pod_cells(p):
    """printPod (1.28): ready count, status reason and restarts."""
    spec, st = p.get('spec') or {}, p.get('status') or {}
    inits = spec.get('initContainers') or []
    restartable = set(c.get('name') for c in inits if (c or {}).get('restartPolicy') == 'Always')
    total = len(spec.get('containers') or []) + len(restartable)
    ready = restarts = 0
    r_restarts = 0
    last = r_last = None
    reason = st.get('phase', '') or ''
    if st.get('reason'):
        reason = st['reason']
    for c in st.get('conditions') or []:
        if c.get('type') == 'PodScheduled' and c.get('reason') == 'SchedulingGated':
            reason = 'SchedulingGated'

    def later(a, b):
        return b if a is None or (b is not None and b > a) else a

    initializing = False
    ics = st.get('initContainerStatuses') or []
    for i, c in enumerate(ics):
        restarts += int(c.get('restartCount', 0) or 0)
        term_at = parse_time(((c.get('lastState') or {}).get('terminated') or {}).get('finishedAt'))
        last = later(last, term_at)
        if c.get('name') in restartable:
            r_restarts += int(c.get('restartCount', 0) or 0)
            r_last = later(r_last, term_at)
        state = c.get('state') or {}
        term, wait = state.get('terminated'), state.get('waiting')
        if term is not None and (term.get('exitCode', 0) or 0) == 0:
            continue
        if c.get('name') in restartable and c.get('started'):
            if c.get('ready'):
                ready += 1
            continue
        if term is not None:
            if not term.get('reason'):
                reason = ('Init:Signal:%d' % term['signal']) if term.get('signal') else \
                    'Init:ExitCode:%d' % (term.get('exitCode', 0) or 0)
            else:
                reason = 'Init:' + term['reason']
        elif wait is not None and wait.get('reason') and wait['reason'] != 'PodInitializing':
            reason = 'Init:' + wait['reason']
        else:
            reason = 'Init:%d/%d' % (i, len(inits))
        initializing = True
        break
    initialized = any(c.get('type') == 'Initialized' and c.get('status') == 'True' for c in st.get('conditions') or [])
    if not initializing or initialized:
        restarts, last = r_restarts, r_last
        has_running = False
        for c in reversed(st.get('containerStatuses') or []):
            restarts += int(c.get('restartCount', 0) or 0)
            last = later(last, parse_time(((c.get('lastState') or {}).get('terminated') or {}).get('finishedAt')))
            state = c.get('state') or {}
            wait, term = state.get('waiting'), state.get('terminated')
            if wait is not None and wait.get('reason'):
                reason = wait['reason']
            elif term is not None and term.get('reason'):
                reason = term['reason']
            elif term is not None:
                reason = ('Signal:%d' % term['signal']) if term.get('signal') else \
                    'ExitCode:%d' % (term.get('exitCode', 0) or 0)
            elif c.get('ready') and state.get('running') is not None:
                has_running = True
                ready += 1
        if reason == 'Completed' and has_running:
            ready_cond = any(c.get('type') == 'Ready' and c.get('status') == 'True' for c in st.get('conditions') or [])
            reason = 'Running' if ready_cond else 'NotReady'
    if _md(p).get('deletionTimestamp'):
        reason = 'Unknown' if st.get('reason') == 'NodeLost' else 'Terminating'
    rs = str(restarts)
    if restarts and last is not None:
        rs = '%d (%s ago)' % (restarts, human_duration((_now() - last).total_seconds()))
    return '%d/%d' % (ready, total), reason, rs


def _pod_ready(p):
    return _pod_cells(p)[0]


def _pod_status(p):
    return _pod_cells(p)[1]


def _pod_restarts(p):
    return _pod_cells(p)[2]


def _pod_ip(p):
    st = p.get('status') or {}
    ips = st.get('podIPs') or []
    ip = (ips[0] or {}).get('ip', '') if ips else ''
    return ip or '<none>'


def _pod_gates(p):
    gates = (p.get('spec') or {}).get('readinessGates') or []
    if not gates:
        return '<none>'
    conds = (p.get('status') or {}).get('conditions') or []
    true = 0
    for g in gates:
        for c in conds:
            if c.get('type') == g.get('conditionType'):
                if c.get('status') == 'True':
                    true += 1
                break
    return '%d/%d' % (true, len(gates))


def _pod_row_conditions(p):
    phase = (p.get('status') or {}).get('phase')
    if phase == 'Succeeded':
        return [{'type': 'Completed', 'status': 'True', 'reason': 'Succeeded',
                 'message': 'The pod has completed successfully.'}]
    if phase == 'Failed':
        return [{'type': 'Completed', 'status': 'True', 'reason': 'Failed', 'message': 'The pod failed.'}]
    return None


def _svc_ports(s):
    out = []
    for p in (s.get('spec') or {}).get('ports') or []:
        proto = p.get('protocol', 'TCP')
        if p.get('nodePort'):
            out.append('%s:%s/%s' % (p.get('port'), p['nodePort'], proto))
        else:
            out.append('%s/%s' % (p.get('port'), proto))
    return ','.join(out) if out else '<none>'


def _svc_external(s):
    spec = s.get('spec') or {}
    t = spec.get('type', 'ClusterIP')
    if t == 'ExternalName':
        return spec.get('externalName', '')
    ips = list(spec.get('externalIPs') or [])
    if t == 'LoadBalancer':
        ing = ((s.get('status') or {}).get('loadBalancer') or {}).get('ingress') or []
        ips = [i.get('ip') or i.get('hostname') for i in ing] + ips
        return ','.join(ips) if ips else '<pending>'
    return ','.join(ips) if ips else '<none>'


def _job_completions(j):
    spec, st = j.get('spec') or {}, j.get('status') or {}
    succ = st.get('succeeded', 0) or 0
    if spec.get('completions') is not None:
        return '%d/%d' % (succ, spec['completions'])
    par = spec.get('parallelism', 0) or 0
    if par > 1:
        return '%d/1 of %d' % (succ, par)
    return '%d/1' % succ


def _job_duration(j):
    st = j.get('status') or {}
    start = parse_time(st.get('startTime'))
    if start is None:
        return ''
    end = parse_time(st.get('completionTime')) or _now()
    return human_duration((end - start).total_seconds())


def _event_core(e):
    """events.k8s.io/v1 Event -> the core fields the printer reads (the internal type is shared)."""
    if 'regarding' in e or 'note' in e or 'deprecatedSource' in e or 'reportingController' in e and 'involvedObject' not in e:
        return {'involvedObject': e.get('regarding') or {}, 'message': e.get('note', ''),
                'source': e.get('deprecatedSource') or {}, 'firstTimestamp': e.get('deprecatedFirstTimestamp'),
                'lastTimestamp': e.get('deprecatedLastTimestamp'), 'count': e.get('deprecatedCount', 0),
                'eventTime': e.get('eventTime'), 'series': e.get('series'), 'type': e.get('type', ''),
                'reason': e.get('reason', ''), 'reportingComponent': e.get('reportingController', ''),
                'reportingInstance': e.get('reportingInstance', ''), 'metadata': _md(e)}
    return e


def _event_first(e):
    e = _event_core(e)
    return age(e.get('firstTimestamp') or e.get('eventTime'))


def _event_last(e):
    e = _event_core(e)
    if e.get('series'):
        return age((e['series'] or {}).get('lastObservedTime'))
    if e.get('lastTimestamp'):
        return age(e['lastTimestamp'])
    return _event_first(e)


def _event_count(e):
    e = _event_core(e)
    if e.get('series'):
        return int((e['series'] or {}).get('count', 0) or 0)
    return int(e.get('count') or 0) or 1


def _event_object(e):
    io_ = _event_core(e).get('involvedObject') or {}
    kind = (io_.get('kind') or '').lower()
    return '%s/%s' % (kind, io_['name']) if io_.get('name') else kind


def _event_source(e):
    e = _event_core(e)
    src = e.get('source') or {}
    comp = src.get('component') or e.get('reportingComponent') or ''
    inst = src.get('host') or e.get('reportingInstance') or ''
    return comp + (', ' + inst if inst else '')


def builtin_columns(group, resource):
    """Table columns of kube-apiserver's printers for the built-in resources this server serves."""
    key = (group, resource)
    N, A = _name_col(), _age_col()
    if key == ('', 'namespaces'):
        return [N, column('Status', 'string', 'The status of the namespace',
                          cell=lambda o: (o.get('status') or {}).get('phase', '')), A]
    if key == ('', 'pods'):
        N['row_conditions'] = _pod_row_conditions
        return [N,
                column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.', cell=_pod_ready),
                column('Status', 'string', 'The aggregate status of the containers in this pod.', cell=_pod_status),
                column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and '
                       'when the last container in this pod has restarted.', cell=_pod_restarts),
                A,
                column('IP', 'string', 'podIP address allocated to the pod.', priority=1, cell=_pod_ip),
                column('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', priority=1,
                       cell=lambda o: (o.get('spec') or {}).get('nodeName') or '<none>'),
                column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.',
                       priority=1, cell=lambda o: (o.get('status') or {}).get('nominatedNodeName') or '<none>'),
                column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.',
                       priority=1, cell=_pod_gates)]
    if key == ('', 'services'):
        return [N,
                column('Type', 'string', 'type determines how the Service is exposed.',
                       cell=lambda o: (o.get('spec') or {}).get('type', 'ClusterIP')),
                column('Cluster-IP', 'string', 'clusterIP is the IP address of the service.',
                       cell=lambda o: (o.get('spec') or {}).get('clusterIP') or '<none>'),
                column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
                       cell=_svc_external),
                column('Port(s)', 'string', 'The list of ports that are exposed by this service.', cell=_svc_ports),
                A,
                column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.',
                       priority=1, cell=lambda o: ','.join('%s=%s' % (k, v) for k, v in sorted(((o.get('spec') or {}).get('selector') or {}).items())) or '<none>')]
    if key == ('', 'configmaps'):
        return [N, column('Data', 'string', 'Data contains the configuration data.',
                          cell=lambda o: len(o.get('data') or {}) + len(o.get('binaryData') or {})), A]
    if key == ('', 'secrets'):
        return [N, column('Type', 'string', 'Used to facilitate programmatic handling of secret data.',
                          cell=lambda o: o.get('type', '')),
                column('Data', 'string', 'Data contains the secret data.',
                       cell=lambda o: len(o.get('data') or {})), A]
    if key == ('', 'serviceaccounts'):
        return [N, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
                          cell=lambda o: len(o.get('secrets') or [])), A]
    if key in (('', 'events'), ('events.k8s.io', 'events')):
        return [column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.', cell=_event_last),
                column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future',
                       cell=lambda o: _event_core(o).get('type', '')),
                column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.',
                       cell=lambda o: _event_core(o).get('reason', '')),
                column('Object', 'string', 'The object that this event is about.', cell=_event_object),
                column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', priority=1,
                       cell=lambda o: (_event_core(o).get('involvedObject') or {}).get('fieldPath', '')),
                column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', priority=1, cell=_event_source),
                column('Message', 'string', 'A human-readable description of the status of this operation.',
                       cell=lambda o: (_event_core(o).get('message') or '').strip()),
                column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', priority=1,
                       cell=_event_first),
                column('Count', 'string', 'The number of times this event has occurred.', priority=1, cell=_event_count),
                column('Name', 'string', NAME_DESC, fmt='name', priority=1, cell=lambda o: _md(o).get('name', ''))]
    if key == ('apps', 'deployments'):
        return [N,
                column('Ready', 'string', 'Number of the pod with ready state', cell=lambda o: '%d/%d' % (
                    (o.get('status') or {}).get('readyReplicas', 0) or 0, (o.get('spec') or {}).get('replicas', 0) or 0)),
                column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
                       cell=lambda o: (o.get('status') or {}).get('updatedReplicas', 0) or 0),
                column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
                       cell=lambda o: (o.get('status') or {}).get('availableReplicas', 0) or 0),
                A,
                column('Containers', 'string', 'Names of each container in the template.', priority=1,
                       cell=lambda o: ','.join(c.get('name', '') for c in _containers(o))),
                column('Images', 'string', 'Images referenced by each container in the template.', priority=1,
                       cell=lambda o: ','.join(c.get('image', '') for c in _containers(o))),
                column('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', priority=1,
                       cell=lambda o: _sel_string((o.get('spec') or {}).get('selector')))]
    if key == ('batch', 'jobs'):
        return [N,
                column('Completions', 'string', 'The completion status of the job', cell=_job_completions),
                column('Duration', 'string', 'Time required to complete the job.', cell=_job_duration),
                A,
                column('Containers', 'string', 'Names of each container in the template.', priority=1,
                       cell=lambda o: ','.join(c.get('name', '') for c in _containers(o))),
                column('Images', 'string', 'Images referenced by each container in the template.', priority=1,
                       cell=lambda o: ','.join(c.get('image', '') for c in _containers(o))),
                column('Selector', 'string', 'A label query over pods that should match the pod count.', priority=1,
                       cell=lambda o: _sel_string((o.get('spec') or {}).get('selector')))]
    if key == ('coordination.k8s.io', 'leases'):
        return [N, column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.',
                          cell=lambda o: (o.get('spec') or {}).get('holderIdentity', '') or ''), A]
    if key in (('admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
               ('admissionregistration.k8s.io', 'mutatingwebhookconfigurations')):
        return [N, column('Webhooks', 'integer', 'Webhooks is a list of webhooks and the affected resources and operations.',
                          cell=lambda o: len(o.get('webhooks') or [])), A]
    # default table convertor (customresourcedefinitions and anything else)
    return [N, column('Created At', 'date', CREATED_DESC,
                      cell=lambda o: _rfc3339(_md(o).get('creationTimestamp')))]


def _rfc3339(ts):
    t = parse_time(ts)
    if t is None:
        return '0001-01-01T00:00:00Z'
    return t.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
