"""The scale subresource of the test API server: the autoscaling/v1 Scale view of a workload or
of a custom resource (its CRD's specReplicasPath, statusReplicasPath, labelSelectorPath), read
and written (PUT or PATCH), validated as kube-apiserver 1.28 does.

Owner: tc-core. A mixin of api.Cluster (its store and admission; locking as api.Cluster's).
"""
from . import errors
from . import schema as schemamod
from . import selectors
from .objects import deep, get_path, scale_causes, set_path


class Scale:
    def _scale_paths(self, res):
        if res.scale:
            return (res.scale.get('specReplicasPath', '.spec.replicas'),
                    res.scale.get('statusReplicasPath', '.status.replicas'),
                    res.scale.get('labelSelectorPath'))
        return ('.spec.replicas', '.status.replicas', None)

    def scale_of(self, res, obj):
        spec_p, status_p, sel_p = self._scale_paths(res)
        m = obj['metadata']
        sm = {'name': m['name']}
        if res.namespaced:
            sm['namespace'] = m.get('namespace')
        sm['uid'] = m['uid']
        sm['resourceVersion'] = m['resourceVersion']
        sm['creationTimestamp'] = m['creationTimestamp']
        st = {'replicas': get_path(obj, status_p) or 0}
        if res.builtin:
            sel = (obj.get('spec') or {}).get('selector')
            if sel:
                try:
                    st['selector'] = str(selectors.label_selector_from_object(sel))
                except Exception:
                    pass
        elif sel_p:
            v = get_path(obj, sel_p)
            if isinstance(v, str) and v:
                st['selector'] = v
        sp = {}
        r = get_path(obj, spec_p)
        if r is not None:
            sp['replicas'] = r
        return {'kind': 'Scale', 'apiVersion': 'autoscaling/v1', 'metadata': sm, 'spec': sp, 'status': st}

    def get_scale(self, ctx, res, ns, name):
        return self.scale_of(res, self.get(ctx, res, ns, name))

    def _scale_write(self, ctx, res, ns, name, mutate, put):
        key = (ns if res.namespaced else '', name)
        b = self.store.bucket(res.bucket)
        spec_p = self._scale_paths(res)[0]
        for attempt in range(20):
            with self.store.lock:
                cur = b.objs.get(key)
            if cur is None:
                raise errors.not_found(res.group, res.plural, name)
            old_scale = self.scale_of(res, cur)
            new_scale = mutate(deep(old_scale))
            if not isinstance(new_scale, dict):
                raise errors.bad_request('invalid Scale')
            if put:
                k = new_scale.get('kind')
                if k and k != 'Scale':
                    raise errors.bad_request('the object provided is unrecognized (must be of type Scale): %s' % k)
            nm = new_scale.get('metadata') or {}
            if nm.get('name') and nm['name'] != name:
                raise errors.bad_request('the name of the object (%s) does not match the name on the URL (%s)' % (nm['name'], name))
            want = nm.get('resourceVersion')
            if want and want != cur['metadata']['resourceVersion']:
                raise errors.conflict('autoscaling', 'scale', name)
            replicas = (new_scale.get('spec') or {}).get('replicas')
            causes = []
            if res.builtin:
                if not isinstance(replicas, int) or isinstance(replicas, bool):
                    if replicas is not None:
                        causes.append(errors.c_invalid('spec.replicas', replicas, 'must be an integer'))
                    replicas = replicas or 0
                elif replicas < 0:
                    causes.append(errors.c_invalid('spec.replicas', replicas, 'must be greater than or equal to 0'))
                if causes:
                    raise errors.invalid('autoscaling', 'Scale', name, causes)
            # a custom resource's Scale becomes an update of the resource: its replicas are
            # judged there (below), as the custom resource's validation, not as a Scale's
            new = deep(cur)
            set_path(new, spec_p, replicas)
            if new != cur and 'generation' in new['metadata']:
                new['metadata']['generation'] += 1
            if not res.builtin:
                res.schema.apply_defaults(new)
                cs = schemamod.validate_custom_object(res.schema, new, res.namespaced)
                cs = cs + scale_causes(new, res.scale)
                if cs:
                    raise errors.invalid(res.group, res.kind, name, cs)
            new_scale_out = deep(old_scale)
            new_scale_out['spec']['replicas'] = replicas
            self._admit(ctx, 'UPDATE', res, 'scale', ns, name, new_scale_out, old_scale,
                        ctx.options('UpdateOptions'),
                        kind={'group': 'autoscaling', 'version': 'v1', 'kind': 'Scale'})
            with self.store.lock:
                if b.objs.get(key) is not cur:
                    if want:
                        raise errors.conflict('autoscaling', 'scale', name)
                    continue
                if ctx.dry_run or new == cur:
                    return self.scale_of(res, cur) if not ctx.dry_run else new_scale_out
                self.store.put(b, key, new, cur)
            return self.scale_of(res, new)
        raise errors.conflict('autoscaling', 'scale', name)
