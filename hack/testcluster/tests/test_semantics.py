"""Unit tests of the semantic modules (tc/*), with cases from the kube-apiserver 1.28 recordings
in ../shared/k8s-1.28.  Run: cd hack/testcluster && python3 -m unittest -q tests.test_semantics"""
import copy
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from tc import errors, selectors  # noqa: E402


class ErrorsTest(unittest.TestCase):
    def test_not_found_core_and_group(self):
        e = errors.not_found('', 'configmaps', 'c1')
        self.assertEqual(e.code, 404)
        self.assertEqual(e.status['message'], 'configmaps "c1" not found')
        self.assertEqual(list(e.status), ['kind', 'apiVersion', 'metadata', 'status', 'message',
                                          'reason', 'details', 'code'])
        e = errors.not_found('conformance.example.io', 'gadgets', 'x')
        self.assertEqual(e.status['message'], 'gadgets.conformance.example.io "x" not found')
        self.assertEqual(e.status['details'], {'name': 'x', 'group': 'conformance.example.io',
                                               'kind': 'gadgets'})

    def test_already_exists_recorded(self):
        # raw-errors block: AlreadyExists 409 configmaps "c1" already exists {"kind": "configmaps", "name": "c1"}
        e = errors.already_exists('', 'configmaps', 'c1')
        d = e.status
        self.assertEqual((d['reason'], d['code'], d['message']),
                         ('AlreadyExists', 409, 'configmaps "c1" already exists'))
        self.assertEqual(d['details'], {'kind': 'configmaps', 'name': 'c1'})

    def test_conflict_recorded(self):
        e = errors.conflict('coordination.k8s.io', 'leases', 'leader')
        self.assertEqual(e.status['message'], 'Operation cannot be fulfilled on leases.coordination.k8s.io '
                         '"leader": the object has been modified; please apply your changes to the '
                         'latest version and try again')
        self.assertEqual((e.status['reason'], e.code), ('Conflict', 409))

    def test_invalid_aggregate(self):
        c1 = errors.c_too_long('spec.owner', 8)
        e = errors.invalid('conformance.example.io', 'Gadget', 'g-bad', [c1])
        self.assertEqual(e.status['message'], 'Gadget.conformance.example.io "g-bad" is invalid: '
                         'spec.owner: Too long: may not be longer than 8')
        c2 = errors.c_too_many('spec.tags', 4, 3)
        e = errors.invalid('conformance.example.io', 'Gadget', 'g-bad', [c1, c2, c1])
        self.assertEqual(e.status['message'], 'Gadget.conformance.example.io "g-bad" is invalid: '
                         '[spec.owner: Too long: may not be longer than 8, spec.tags: Too many: 4: '
                         'must have at most 3 items]')
        self.assertEqual(e.code, 422)
        self.assertEqual(e.status['details']['causes'][1],
                         {'reason': 'FieldValueTooMany', 'message': 'Too many: 4: must have at most 3 items',
                          'field': 'spec.tags'})
        self.assertEqual(errors.invalid('', 'ConfigMap', 'x', []).status['message'],
                         'ConfigMap "x" is invalid')

    def test_cause_wording(self):
        self.assertEqual(errors.c_not_supported('spec.mode', 'medium', ['fast', 'slow'])['message'],
                         'Unsupported value: "medium": supported values: "fast", "slow"')
        self.assertEqual(errors.c_invalid('spec.weight', 2, 'x')['message'], 'Invalid value: 2: x')
        self.assertEqual(errors.c_invalid('a', 0.5, '')['message'], 'Invalid value: 0.5')
        self.assertEqual(errors.c_invalid('a', None, '')['message'], 'Invalid value: null')
        self.assertEqual(errors.c_required('a')['message'], 'Required value')
        self.assertEqual(errors.c_required('a', 'd')['message'], 'Required value: d')
        self.assertEqual(errors.go_float(1e6), '1e+06')
        self.assertEqual(errors.go_float(123456.0), '123456')

    def test_misc(self):
        self.assertEqual(errors.unauthorized().status['message'], 'Unauthorized')
        e = errors.too_many_requests(3)
        self.assertEqual((e.code, e.headers['Retry-After'], e.status['details']['retryAfterSeconds']),
                         (429, '3', 3))
        self.assertEqual(errors.too_old_resource_version(5, 100).status['message'],
                         'too old resource version: 5 (100)')
        self.assertEqual(errors.bad_request('name must be provided').status,
                         {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
                          'message': 'name must be provided', 'reason': 'BadRequest', 'code': 400})
        self.assertEqual(errors.strict_decoding(['spec.bogus']).status['message'],
                         'strict decoding error: unknown field "spec.bogus"')

    def test_watch_410_recorded(self):
        with open(os.path.join(SHARED, 'watch', 'watch-410.jsonl')) as f:
            ev = json.loads(f.readline())
        msg = ev['object']['message']
        parts = msg.split(': ')[1].split(' ')
        e = errors.too_old_resource_version(parts[0], parts[1].strip('()'))
        self.assertEqual(e.status, ev['object'])


SHARED = os.environ.get('K8S_RECORDINGS', os.path.join(HERE, '..', '..', '..', '..', 'shared', 'k8s-1.28'))
if not os.path.isdir(SHARED):
    SHARED = '/work/shared/k8s-1.28'


class SelectorsTest(unittest.TestCase):
    LABELS = {'g1': {'env': 'prod', 'tier': 'front'}, 'g-null': {'env': 'dev'},
              'g2': {'app': 'demo', 'manual': 'kept'}, 'gen-x': {}}

    def sel(self, s):
        p = selectors.parse_label_selector(s)
        return sorted(n for n, l in self.LABELS.items() if p.matches(l))

    def test_recorded_selectors(self):
        self.assertEqual(self.sel('env notin (dev),env'), ['g1'])
        self.assertEqual(self.sel('env,tier in (front,back)'), ['g1'])
        self.assertEqual(self.sel('!env'), ['g2', 'gen-x'])
        self.assertEqual(self.sel('env=prod'), ['g1'])
        self.assertEqual(self.sel('env==prod'), ['g1'])
        self.assertEqual(self.sel('env!=prod'), ['g-null', 'g2', 'gen-x'])
        self.assertEqual(self.sel(''), sorted(self.LABELS))

    def test_string_form(self):
        self.assertEqual(str(selectors.parse_label_selector('x in (foo,,baz),y,z notin ()')),
                         'x in (,baz,foo),y,z notin ()')
        self.assertEqual(str(selectors.parse_label_selector('b=1, a')), 'a,b=1')

    def test_errors(self):
        cases = {
            'a b': "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            'a in b': "unable to parse requirement: found 'b' expected: '('",
            ',a': "found ',', expected: !, identifier, or 'end of string'",
            'a,': "found '', expected: identifier after ','",
        }
        for s, msg in cases.items():
            with self.assertRaises(errors.ApiError) as cm:
                selectors.parse_label_selector(s)
            self.assertEqual(cm.exception.code, 400)
            self.assertEqual(cm.exception.status['message'], msg, s)
        with self.assertRaises(errors.ApiError) as cm:
            selectors.parse_label_selector('env=a b')
        self.assertIn("found 'b', expected: ',' or 'end of string'", cm.exception.status['message'])
        with self.assertRaises(errors.ApiError) as cm:
            selectors.parse_label_selector('env=-x-')
        self.assertTrue(cm.exception.status['message'].startswith(
            'unable to parse requirement: values[0][env]: Invalid value: "-x-": a valid label must be'))

    def test_object_form(self):
        s = selectors.label_selector_from_object(
            {'matchExpressions': [{'key': 'conformance', 'operator': 'In', 'values': ['webhook']}]})
        self.assertTrue(s.matches({'conformance': 'webhook'}))
        self.assertFalse(s.matches({}))
        s = selectors.label_selector_from_object({'matchExpressions': [{'key': 'skip', 'operator': 'DoesNotExist'}]})
        self.assertTrue(s.matches({'deny': 'yes'}))
        self.assertFalse(s.matches({'skip': '1'}))
        self.assertTrue(selectors.label_selector_from_object({}).matches({'a': 'b'}))
        self.assertFalse(selectors.label_selector_from_object(None).matches({'a': 'b'}))
        s = selectors.label_selector_from_object({'matchLabels': {'conformance': 'webhook'}})
        self.assertTrue(s.matches({'conformance': 'webhook', 'x': 'y'}))
        c = selectors.label_selector_causes({'matchExpressions': [{'key': 'a', 'operator': 'In'}]}, 'spec.selector')
        self.assertEqual(c[0]['field'], 'spec.selector.matchExpressions[0].values')

    def test_field_selectors(self):
        sup = selectors.supported_fields('conformance.example.io', 'gadgets')
        fs = selectors.parse_field_selector('metadata.name!=g1', sup)
        self.assertFalse(fs.matches({'metadata.name': 'g1'}))
        self.assertTrue(fs.matches({'metadata.name': 'g2'}))
        fs = selectors.parse_field_selector('metadata.namespace=conf-a,metadata.name==g1', sup)
        self.assertTrue(fs.matches({'metadata.name': 'g1', 'metadata.namespace': 'conf-a'}))
        self.assertEqual(fs.requires_exact('metadata.name'), 'g1')
        with self.assertRaises(errors.ApiError) as cm:
            selectors.parse_field_selector('spec.mode=fast', sup)
        self.assertEqual(cm.exception.status['message'], 'field label not supported: spec.mode')
        with self.assertRaises(errors.ApiError) as cm:
            selectors.parse_field_selector('metadata.name', sup)
        self.assertEqual(cm.exception.status['message'],
                         "invalid selector: 'metadata.name'; can't understand 'metadata.name'")
        pod = {'metadata': {'name': 'p', 'namespace': 'n'}, 'spec': {'nodeName': 'n1'},
               'status': {'phase': 'Running'}}
        f = selectors.object_fields('', 'pods', pod)
        self.assertTrue(selectors.parse_field_selector('status.phase=Running,spec.nodeName=n1',
                                                       selectors.supported_fields('', 'pods')).matches(f))


if __name__ == '__main__':
    unittest.main()
