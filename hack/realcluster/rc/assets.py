"""Where the real control-plane binaries come from.

Owner: realk8s. Two sources, in this order (the envtest convention first):
  1. KUBEBUILDER_ASSETS: a folder holding kube-apiserver, kube-controller-manager and
     optionally etcd and kubectl, used as they are;
  2. ../shared/k8s-1.28/bin/ beside the repository: xz-compressed binaries with SHA256SUMS of
     the decompressed files, decompressed once into a cache outside the tree
     (${XDG_CACHE_HOME:-~/.cache}/modelgov/k8s-<version>/), written atomically (temporary file,
     checksum verified, then rename), so concurrent first runs never see a half-written file.
etcd comes from KUBEBUILDER_ASSETS when it holds one, else from PATH (Debian's etcd-server).
No state; every function either returns paths or raises AssetsError with a message that says
what is missing and how to provide it.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

CONTROL_PLANE = ('kube-apiserver', 'kube-controller-manager')
SHARED_REL = os.path.join('..', 'shared', 'k8s-1.28', 'bin')
CACHE_VERSION = 'k8s-v1.28.0'
HASH_CHUNK = 1 << 20


class AssetsError(Exception):
    pass


def repo_root():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.abspath(os.path.join(here, '..', '..', '..'))


def shared_dir(root=None):
    return os.path.abspath(os.path.join(root or repo_root(), SHARED_REL))


def cache_dir():
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'modelgov', CACHE_VERSION)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(HASH_CHUNK), b''):
            h.update(chunk)
    return h.hexdigest()


def read_sums(path):
    sums = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                sums[parts[1].lstrip('*')] = parts[0]
    return sums


def stamp_of(path, want_sum):
    st = os.stat(path)
    return '%s %d %d\n' % (want_sum, st.st_size, st.st_mtime_ns)


def verified(dest, want_sum):
    """True when DEST holds WANT_SUM. A stamp beside it (sum, size, mtime) saves hashing 150 MB
    on every start; a changed file no longer matches its stamp and is hashed again."""
    stamp = os.path.join(os.path.dirname(dest), '.verified-' + os.path.basename(dest))
    if not os.path.exists(dest):
        return False
    try:
        if open(stamp).read() == stamp_of(dest, want_sum):
            return True
    except OSError:
        pass
    if sha256_file(dest) != want_sum:
        return False
    tmp = stamp + '.%d' % os.getpid()
    with open(tmp, 'w') as f:
        f.write(stamp_of(dest, want_sum))
    os.replace(tmp, stamp)
    return True


def decompress_checked(src_xz, dest, want_sum):
    """xz -dc SRC into DEST atomically; the result must have WANT_SUM."""
    if verified(dest, want_sum):
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(dest) + '.', dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, 'wb') as out:
            r = subprocess.run(['xz', '-dc', src_xz], stdout=out, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise AssetsError('xz -dc %s failed: %s' % (src_xz, r.stderr.decode(errors='replace').strip()))
        got = sha256_file(tmp)
        if got != want_sum:
            raise AssetsError('%s decompressed to sha256 %s, SHA256SUMS says %s' % (src_xz, got, want_sum))
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def from_shared(sdir):
    sums_file = os.path.join(sdir, 'SHA256SUMS')
    if not os.path.exists(sums_file):
        raise AssetsError('%s has no SHA256SUMS' % sdir)
    if shutil.which('xz') is None:
        raise AssetsError('xz is not installed (hack/deps.sh installs xz-utils)')
    sums = read_sums(sums_file)
    out = {}
    for name in CONTROL_PLANE:
        if name not in sums:
            raise AssetsError('%s lists no checksum for %s' % (sums_file, name))
        dest = os.path.join(cache_dir(), name)
        decompress_checked(os.path.join(sdir, name + '.xz'), dest, sums[name])
        out[name] = dest
    return out


def from_kubebuilder(kdir):
    out = {}
    for name in CONTROL_PLANE:
        p = os.path.join(kdir, name)
        if not os.access(p, os.X_OK):
            raise AssetsError('KUBEBUILDER_ASSETS=%s has no executable %s' % (kdir, name))
        out[name] = p
    for name in ('etcd', 'kubectl'):
        p = os.path.join(kdir, name)
        if os.access(p, os.X_OK):
            out[name] = p
    return out


def binaries(root=None):
    """{name: path} for kube-apiserver, kube-controller-manager, etcd (and kubectl if given)."""
    kdir = os.environ.get('KUBEBUILDER_ASSETS')
    sdir = shared_dir(root)
    if kdir:
        out = from_kubebuilder(kdir)
    elif os.path.isdir(sdir):
        out = from_shared(sdir)
    else:
        raise AssetsError('no real Kubernetes binaries: set KUBEBUILDER_ASSETS to a folder with '
                          'kube-apiserver and kube-controller-manager, or place them (xz) in %s' % sdir)
    if 'etcd' not in out:
        etcd = shutil.which('etcd')
        if etcd is None:
            raise AssetsError('etcd not found (hack/deps.sh installs Debian\'s etcd-server)')
        out['etcd'] = etcd
    return out
