"""The cluster's PKI, made with the openssl command into one directory.

Owner: realk8s. Everything is ECDSA P-256 (fast to generate; accepted by kube-apiserver for
serving, client certificates and service-account token signing):
  ca.crt/ca.key            the cluster CA (client CA, serving CA, controller-manager signer)
  apiserver.crt/.key       serving certificate: 127.0.0.1, localhost and the kubernetes.default
                           Service names and ClusterIP
  sa.key/sa.pub            service-account token signing key pair
  users/NAME.crt/.key      client certificates: CN = user name, O = each group
Files are written once; a second call with the same directory keeps them. Keys are 0600.
"""
import concurrent.futures
import os
import subprocess

CURVE = 'ec_paramgen_curve:prime256v1'
DAYS = '3650'
PARALLEL_OPENSSL = 4
SERVING_SANS = ('IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,'
                'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local')


class PKIError(Exception):
    pass


def openssl(*args):
    r = subprocess.run(['openssl'] + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise PKIError('openssl %s: %s' % (args[0], r.stderr.decode(errors='replace').strip()))


def subject(cn, groups=()):
    # '/' and '=' never occur in the names used here; openssl's -subj syntax has no escaping
    return '/' + ''.join('O=%s/' % g for g in groups) + 'CN=%s' % cn


def sign(d, ca_dir, name, subj, ext_lines):
    """Key + certificate NAME.key/NAME.crt in D, signed by the CA in CA_DIR (one openssl run)."""
    key, crt = os.path.join(d, name + '.key'), os.path.join(d, name + '.crt')
    if os.path.exists(crt):
        return crt, key
    exts = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'] + list(ext_lines)
    args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', CURVE, '-nodes', '-keyout', key, '-out', crt + '.tmp',
            '-days', DAYS, '-subj', subj, '-CA', os.path.join(ca_dir, 'ca.crt'), '-CAkey', os.path.join(ca_dir, 'ca.key')]
    for e in exts:
        args += ['-addext', e]
    openssl(*args)
    os.chmod(key, 0o600)
    os.replace(crt + '.tmp', crt)
    return crt, key


def make_ca(d):
    ca_key, ca_crt = os.path.join(d, 'ca.key'), os.path.join(d, 'ca.crt')
    if os.path.exists(ca_crt):
        return
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', CURVE, '-nodes', '-keyout', ca_key, '-out', ca_crt,
            '-days', DAYS, '-subj', '/CN=modelgov-realcluster-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature')
    os.chmod(ca_key, 0o600)


def make_sa_keys(d):
    key, pub = os.path.join(d, 'sa.key'), os.path.join(d, 'sa.pub')
    if os.path.exists(pub):
        return
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key)
    openssl('ec', '-in', key, '-pubout', '-out', pub)
    os.chmod(key, 0o600)


def make_all(d, users):
    """USERS: {name: [groups]}. Returns {name: (crt, key)} for every user."""
    udir = os.path.join(d, 'users')
    os.makedirs(udir, exist_ok=True)
    make_ca(d)
    jobs = [lambda: make_sa_keys(d),
            lambda: sign(d, d, 'apiserver', subject('kube-apiserver'),
                         ['extendedKeyUsage=serverAuth', 'subjectAltName=' + SERVING_SANS])]
    for name, groups in users.items():
        jobs.append(lambda n=name, g=groups: sign(udir, d, n, subject(n, g), ['extendedKeyUsage=clientAuth']))
    # each job is one openssl process: run them side by side
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_OPENSSL) as pool:
        for f in [pool.submit(j) for j in jobs]:
            f.result()
    return {name: (os.path.join(udir, name + '.crt'), os.path.join(udir, name + '.key')) for name in users}
