#!/usr/bin/env python3
"""The API requests a suite made, from either server, in one shape (used by lib.sh).

  it-requests.py audit AUDIT_LOG --since N --until-marker NAME [filters] [--json]
  it-requests.py testcluster --since N [filters] [--json]   (reads /_testcluster/requests on stdin)
  it-requests.py audit-line AUDIT_LOG --marker NAME          (prints the line number of a marker)

Filters: --writes (create, update, patch, delete, deletecollection), --agent PREFIX (user agent
starts with it), --user NAME. Output: one JSON object per line, or with --json one document
{"items": [...]} (the request-log shape tests/integration/chart-check.py reads): seq, user,
groups, userAgent, verb, apiGroup, apiVersion, resource, subresource, namespace, name, code, path.

The real server's audit log (hack/realcluster/config/audit-policy.yaml) has every write and
every request of a non-kube-system service account; a watch appears once (its ResponseStarted
and ResponseComplete events are one request). Marker requests (user agent MARK_AGENT) that
lib.sh sends to find its place in the log are never reported.
"""
import argparse
import json
import sys

WRITES = {'create', 'update', 'patch', 'delete', 'deletecollection'}
MARK_AGENT = 'modelgov-it-mark'


def from_audit(ev, seq):
    o = ev.get('objectRef') or {}
    u = ev.get('user') or {}
    e = {'seq': seq, 'user': u.get('username', ''), 'groups': u.get('groups', []),
         'userAgent': ev.get('userAgent', ''), 'verb': ev.get('verb', ''), 'path': ev.get('requestURI', ''),
         'code': (ev.get('responseStatus') or {}).get('code', 0)}
    if o.get('resource'):
        e.update({'apiGroup': o.get('apiGroup', ''), 'apiVersion': o.get('apiVersion', ''),
                  'resource': o['resource'], 'subresource': o.get('subresource', ''),
                  'namespace': o.get('namespace', ''), 'name': o.get('name', '')})
    else:
        e['nonResourceURL'] = ev.get('requestURI', '')
    return e


def audit_entries(path, since, until_marker):
    seen = set()
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except ValueError:
                continue  # a line being written right now
            if ev.get('userAgent') == MARK_AGENT:
                if until_marker and (ev.get('objectRef') or {}).get('name') == until_marker:
                    break
                continue
            if n <= since or ev.get('auditID') in seen:
                continue
            seen.add(ev.get('auditID'))
            out.append(from_audit(ev, n))
    return out


def marker_line(path, name):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if MARK_AGENT in line and ('"name":"%s"' % name) in line:
                return n
    return 0


def keep(e, a):
    if a.writes and e.get('verb') not in WRITES:
        return False
    if a.agent and not e.get('userAgent', '').startswith(a.agent):
        return False
    if a.user and e.get('user') != a.user:
        return False
    return True


def main():
    p = argparse.ArgumentParser()
    p.add_argument('source', choices=['audit', 'testcluster', 'audit-line'])
    p.add_argument('file', nargs='?')
    p.add_argument('--since', type=int, default=0)
    p.add_argument('--until-marker', default='')
    p.add_argument('--marker', default='')
    p.add_argument('--writes', action='store_true')
    p.add_argument('--agent', default='')
    p.add_argument('--user', default='')
    p.add_argument('--json', action='store_true')
    a = p.parse_args()
    if a.source == 'audit-line':
        print(marker_line(a.file, a.marker))
        return 0
    if a.source == 'audit':
        items = audit_entries(a.file, a.since, a.until_marker)
    else:
        items = [e for e in json.load(sys.stdin)['items'] if e['seq'] > a.since]
    items = [e for e in items if keep(e, a)]
    if a.json:
        json.dump({'items': items}, sys.stdout)
        print()
    else:
        for e in items:
            print(json.dumps(e))
    return 0


if __name__ == '__main__':
    sys.exit(main())
