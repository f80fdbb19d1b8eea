"""The podman runtime: each container of a Pod runs as a real container from the image the Pod
names, pulled by podman from its registry (by digest when the Pod pins one).

Owner: images. Same interface as ProcessRuntime (runtime.py); every call comes from the agent's
loop thread. Podman runs with the configuration of hack/images/lib.sh (runc, cgroupfs, the
host's network namespace, overlay storage) in a storage of its own under STATE_DIR/podman,
never the machine's default one. Registries on loopback (127.0.0.1, localhost) are reached over
plain HTTP, as the tests' docker-registry serves them.

What the container gets, as the kubelet would give it:
  - the image's entrypoint, or `command` when given; `args` with $(VAR) expanded;
  - env (resolved by env.py), HOSTNAME and the hostname = the Pod's name, the host network;
  - volumeMounts of secret, configMap, emptyDir, projected (serviceAccountToken through a
    TokenRequest bound to the Pod, configMap, secret, downwardAPI) and downwardAPI volumes,
    written as files under the Pod's folder (mode from defaultMode/items, group fsGroup) and
    bind-mounted (read-only unless the mount says otherwise; subPath supported);
  - the security context: runAsUser/runAsGroup (container over Pod), fsGroup and
    supplementalGroups as extra groups, runAsNonRoot checked, readOnlyRootFilesystem (without
    podman's extra tmpfs mounts: only what the Pod mounts is writable), capabilities drop/add,
    allowPrivilegeEscalation false as no-new-privileges; podman's default seccomp profile;
  - output in the container's log file (k8s-file, the kubelet's CRI log format).
Not supported: resource limits (cgroupfs on this machine's hybrid hierarchy), other volume types
(hostPath, PVCs), exec probes inside the container (the agent runs them on the host), image pull
secrets. Pulls happen in the loop thread: the Pod waits while its image is fetched.
"""
import base64
import json
import os
import subprocess
import time

from . import env as envmod
from .runtime import StartFailure

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
IMAGES_LIB = os.path.join(ROOT, 'hack', 'images', 'lib.sh')
PULL_TIMEOUT_S = 300
CALL_TIMEOUT_S = 60
TOKEN_EXPIRATION_S = 3607  # what the kubelet asks for the service-account token projection
DEFAULT_FILE_MODE = 0o644
EMPTYDIR_MODE = 0o777
LOOPBACK_REGISTRIES = ('127.0.0.1', 'localhost')
EXIT_UNKNOWN = 137  # `podman wait` could not tell: the container is gone, as if SIGKILLed
VOLUME_KINDS = ('secret', 'configMap', 'emptyDir', 'projected', 'downwardAPI')


class PodmanHandle:
    probed = True  # host network: the agent's httpGet/tcpSocket probes reach it at 127.0.0.1

    def __init__(self, rt, name, cid, image_id):
        self.rt = rt
        self.name = name
        self.id = cid
        self.image_id = image_id
        self.code = None
        self.pgid_file = None
        pid = rt.podman('inspect', '-f', '{{.State.Pid}}', name, check=False).strip()
        if pid.isdigit() and pid != '0':
            # realcluster down kills what the agent recorded, should the agent itself be killed
            self.pgid_file = os.path.join(rt.pgid_dir, pid)
            open(self.pgid_file, 'w').close()
        # one `podman wait` per container: poll() then costs nothing per tick
        self.waiter = subprocess.Popen(['podman', 'wait', name], env=rt.env, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def poll(self):
        if self.code is None and self.waiter.poll() is not None:
            out = self.waiter.stdout.read().decode().strip()
            self.code = int(out) if out.lstrip('-').isdigit() else EXIT_UNKNOWN
        return self.code

    def stop(self):
        self.rt.podman('kill', '--signal', 'TERM', self.name, check=False)

    def kill(self):
        self.rt.podman('kill', '--signal', 'KILL', self.name, check=False)

    def release(self):
        self.rt.podman('rm', '--force', '--time', '0', self.name, check=False)
        if self.waiter.poll() is None:
            self.waiter.kill()
        self.waiter.wait()
        self.waiter.stdout.close()
        if self.pgid_file:
            try:
                os.unlink(self.pgid_file)
            except OSError:
                pass


class PodmanRuntime:
    name = 'podman'

    def __init__(self, state_dir, fetch, client):
        self.fetch = fetch          # fetch(kind, ns, name): a ConfigMap or Secret, None when missing
        self.client = client        # the node's API client (TokenRequests)
        self.dir = os.path.join(state_dir, 'podman')
        self.pgid_dir = os.path.join(state_dir, 'pgids')
        os.makedirs(self.pgid_dir, exist_ok=True)
        os.makedirs(self.dir, exist_ok=True)
        out = self.lib('images_config && cat "$IMAGES_DIR/env"')
        self.env = dict(os.environ)
        for line in out.splitlines():
            k, _, v = line.replace('export ', '', 1).partition('=')
            self.env[k] = v
        self.insecure = set()
        self.seq = 0

    # --- podman and hack/images/lib.sh ---------------------------------------------------------
    def lib(self, script, *args, timeout=CALL_TIMEOUT_S):
        """Runs SCRIPT in bash with hack/images/lib.sh sourced for this runtime's storage."""
        cmd = ['bash', '-c', 'IMAGES_DIR=$1 && . "$2" && shift 2 && ' + script, 'podman-runtime',
               self.dir, IMAGES_LIB] + list(args)
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=timeout)
        if r.returncode != 0:
            raise StartFailure('StartError', (r.stderr.decode(errors='replace').strip() or script)[-500:])
        return r.stdout.decode()

    def podman(self, *args, check=True, timeout=CALL_TIMEOUT_S):
        try:
            r = subprocess.run(['podman'] + list(args), env=self.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            if check:
                raise StartFailure('StartError', 'podman %s: no answer in %d s' % (args[0], timeout))
            return ''
        if check and r.returncode != 0:
            raise StartFailure('StartError', 'podman %s: %s' % (args[0], r.stderr.decode(errors='replace').strip()))
        return r.stdout.decode()

    def pull(self, image):
        """The image's local id and the imageID to report (REPO@DIGEST), pulling when missing."""
        host = image.split('/', 1)[0] if '/' in image else ''
        if host.split(':', 1)[0] in LOOPBACK_REGISTRIES and host not in self.insecure:
            self.lib('images_config && images_insecure_registry "$1"', host)
            self.insecure.add(host)
        if subprocess.run(['podman', 'image', 'exists', image], env=self.env).returncode != 0:
            try:
                self.lib('images_config && images_isolated podman pull --quiet "$1" >/dev/null', image,
                         timeout=PULL_TIMEOUT_S)
            except StartFailure as f:
                raise StartFailure('ErrImagePull', f.message)
            except subprocess.TimeoutExpired:
                raise StartFailure('ErrImagePull', 'pulling %s took over %d s' % (image, PULL_TIMEOUT_S))
        digest = self.podman('image', 'inspect', '-f', '{{.Digest}}', image).strip()
        repo = image.split('@', 1)[0]
        if '@' not in image and ':' in repo.rsplit('/', 1)[-1]:
            repo = repo.rsplit(':', 1)[0]
        return repo + '@' + digest

    # --- the interface -----------------------------------------------------------------------
    def start(self, spec):
        pod, c = spec.pod, spec.container
        image_id = self.pull(spec.image)
        self.seq += 1
        name = 'na-%s-%s-%d' % (spec.pod_uid[:8], spec.name, self.seq)
        argv = ['run', '--detach', '--name', name, '--pull=never', '--network', 'host',
                '--hostname', pod['metadata']['name'],
                '--log-driver', 'k8s-file', '--log-opt', 'path=' + spec.log_path,
                '--label', 'io.kubernetes.pod.uid=' + spec.pod_uid, '--label', 'io.kubernetes.container.name=' + spec.name]
        argv += security_args(pod, c, self.image_user(spec.image))
        for k, v in sorted(spec.env.items()):
            argv += ['--env', '%s=%s' % (k, v)]
        if spec.working_dir:
            argv += ['--workdir', spec.working_dir]
        argv += self.mount_args(pod, c, os.path.dirname(os.path.dirname(spec.log_path)))
        command = c.get('command') or []
        if command:
            argv += ['--entrypoint', json.dumps([envmod.expand(a, spec.env) for a in command])]
        argv.append(spec.image)
        argv += [envmod.expand(a, spec.env) for a in c.get('args') or []]
        os.makedirs(os.path.dirname(spec.log_path), exist_ok=True)
        cid = self.podman(*argv).strip()
        return PodmanHandle(self, name, cid, image_id)

    def image_user(self, image):
        return self.podman('image', 'inspect', '-f', '{{.Config.User}}', image).strip()

    def tick(self):
        """Nothing periodic: each container has its own `podman wait`."""

    def close(self):
        """Removes what is left of this runtime's containers and unmounts its storage."""
        self.podman('rm', '--all', '--force', '--time', '0', check=False)
        try:
            self.lib('images_config && images_unmount')
        except (StartFailure, subprocess.TimeoutExpired):
            pass

    # --- volumes -----------------------------------------------------------------------------
    def mount_args(self, pod, c, pod_dir):
        vols = {v['name']: v for v in (pod.get('spec') or {}).get('volumes') or []}
        fs_group = ((pod.get('spec') or {}).get('securityContext') or {}).get('fsGroup')
        made, out = {}, []
        for m in c.get('volumeMounts') or []:
            v = vols.get(m.get('name'))
            if v is None:
                raise StartFailure('CreateContainerConfigError', 'volume %r not found in the Pod' % m.get('name'))
            if m['name'] not in made:
                made[m['name']] = self.volume(pod, v, os.path.join(pod_dir, 'volumes', m['name']), fs_group)
            src = made[m['name']]
            if m.get('subPath'):
                src = os.path.join(src, m['subPath'])
            ro = m.get('readOnly') or any(k in v for k in ('secret', 'configMap', 'projected', 'downwardAPI'))
            out += ['--volume', '%s:%s:%s' % (src, m['mountPath'], 'ro' if ro else 'rw')]
        return out

    def volume(self, pod, v, path, fs_group):
        kind = next((k for k in VOLUME_KINDS if k in v), None)
        if kind is None:
            raise StartFailure('CreateContainerConfigError', 'volume %r: only %s volumes run in podman mode' %
                               (v.get('name'), ', '.join(VOLUME_KINDS)))
        os.makedirs(path, exist_ok=True)
        if kind == 'emptyDir':
            os.chmod(path, EMPTYDIR_MODE)
            return path
        src = v[kind]
        default = src.get('defaultMode', DEFAULT_FILE_MODE)
        if kind == 'projected':
            files = {}
            for s in src.get('sources') or []:
                files.update(self.source_files(pod, s, default))
        else:
            files = self.source_files(pod, {kind: src}, default)
        for rel, (data, mode) in files.items():
            write_file(os.path.join(path, rel), data, mode, fs_group)
        return path

    def source_files(self, pod, s, default):
        """{relative path: (bytes, mode)} of one volume source."""
        ns = pod['metadata']['namespace']
        if 'serviceAccountToken' in s:
            t = s['serviceAccountToken']
            return {t.get('path', 'token'): (self.token(pod, t).encode(), default)}
        if 'downwardAPI' in s:
            out = {}
            for it in s['downwardAPI'].get('items') or []:
                ref = it.get('fieldRef') or {}
                out[it['path']] = (envmod.field_ref(pod, ref.get('fieldPath', '')).encode(), it.get('mode', default))
            return out
        kind, key = ('secrets', 'secret') if 'secret' in s else ('configmaps', 'configMap')
        ref = s[key]
        name = ref.get('secretName') or ref.get('name', '')
        obj = self.fetch(kind, ns, name)
        if obj is None:
            if ref.get('optional'):
                return {}
            raise StartFailure('CreateContainerConfigError', '%s "%s" not found' % (key.lower(), name))
        data = {k: base64.b64decode(x) for k, x in (obj.get('data') or {}).items()} if kind == 'secrets' else \
            dict({k: x.encode() for k, x in (obj.get('data') or {}).items()},
                 **{k: base64.b64decode(x) for k, x in (obj.get('binaryData') or {}).items()})
        items = ref.get('items')
        if not items:
            return {k: (x, ref.get('defaultMode', default)) for k, x in data.items()}
        out = {}
        for it in items:
            if it['key'] not in data:
                raise StartFailure('CreateContainerConfigError', "couldn't find key %s in %s %s/%s" %
                                   (it['key'], key, ns, name))
            out[it['path']] = (data[it['key']], it.get('mode', ref.get('defaultMode', default)))
        return out

    def token(self, pod, t):
        m, spec = pod['metadata'], pod.get('spec') or {}
        sa = spec.get('serviceAccountName') or 'default'
        body = {'apiVersion': 'authentication.k8s.io/v1', 'kind': 'TokenRequest',
                'spec': {'expirationSeconds': t.get('expirationSeconds', TOKEN_EXPIRATION_S),
                         'boundObjectRef': {'apiVersion': 'v1', 'kind': 'Pod', 'name': m['name'], 'uid': m['uid']}}}
        if t.get('audience'):
            body['spec']['audiences'] = [t['audience']]
        try:
            _, tr = self.client.request('POST', '/api/v1/namespaces/%s/serviceaccounts/%s/token' % (m['namespace'], sa),
                                        body)
        except Exception as e:  # noqa: BLE001 - any failure is the container's config error
            raise StartFailure('CreateContainerConfigError', 'service account token for %s: %s' % (sa, e))
        return tr['status']['token']


def write_file(path, data, mode, group):
    """Writes one volume file atomically (the kubelet's volumes change by a symlink swap; a
    rename is what a reader here can rely on)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'wb') as f:
        f.write(data)
    if group is not None:
        os.chown(tmp, 0, int(group))
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def security_args(pod, c, image_user):
    """podman run flags for the Pod's and the container's securityContext."""
    psc, csc = (pod.get('spec') or {}).get('securityContext') or {}, c.get('securityContext') or {}
    uid = csc.get('runAsUser', psc.get('runAsUser'))
    gid = csc.get('runAsGroup', psc.get('runAsGroup'))
    nonroot = csc.get('runAsNonRoot', psc.get('runAsNonRoot'))
    effective = uid if uid is not None else (image_user.split(':', 1)[0] or '0')
    if nonroot and str(effective) in ('0', 'root'):
        raise StartFailure('CreateContainerConfigError', 'container has runAsNonRoot and image will run as root')
    if nonroot and uid is None and not str(effective).isdigit():
        raise StartFailure('CreateContainerConfigError', 'container has runAsNonRoot and image has non-numeric '
                           'user (%s), cannot verify user is non-root' % effective)
    out = []
    if uid is not None:
        # a runAsUser without runAsGroup runs with group 0, as the kubelet does
        out += ['--user', '%d:%d' % (uid, gid if gid is not None else 0)]
    for g in ([psc['fsGroup']] if psc.get('fsGroup') is not None else []) + (psc.get('supplementalGroups') or []):
        out += ['--group-add', str(g)]
    if csc.get('readOnlyRootFilesystem'):
        out += ['--read-only', '--read-only-tmpfs=false']
    caps = csc.get('capabilities') or {}
    for cap in caps.get('drop') or []:
        out += ['--cap-drop', cap]
    for cap in caps.get('add') or []:
        out += ['--cap-add', cap]
    if csc.get('allowPrivilegeEscalation') is False:
        out += ['--security-opt', 'no-new-privileges']
    if csc.get('privileged'):
        out.append('--privileged')
    return out
