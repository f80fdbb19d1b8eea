"""Every regular file in an image's root is an unmodified file of a package in its SBOM, or one
of the few files hack/docker/rootfs.sh writes itself.

  image-files.py ROOT BINARY
ROOT is the mounted image, BINARY the daemon's path inside it. The packages are those of
ROOT/usr/share/modelgov/packages.txt; their file checksums are the dpkg md5sums and Conffiles
of the build stage, kept in ROOT/var/lib/dpkg/status.d/. Paths are compared on merged /usr
(/lib/x -> /usr/lib/x). Prints each stray or altered file; exits 1 when there is any.
"""
import hashlib
import os
import sys

# Written by rootfs.sh (users, resolver order, the CA bundle update-ca-certificates would make,
# the SBOM itself) rather than copied from a package.
OWN_FILES = {'/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/ssl/certs/ca-certificates.crt',
             '/usr/share/modelgov/packages.txt'}
OWN_DIRS = ('/var/lib/dpkg/status.d/',)
MERGED = ('/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32')


def canon(path):
    for top in MERGED:
        if path == top or path.startswith(top + '/'):
            return '/usr' + path
    return path


def checksums(root, pkgs):
    """{canonical path: md5} from each package's md5sums and the Conffiles of its status."""
    sums = {}
    status_d = os.path.join(root, 'var/lib/dpkg/status.d')
    for pkg in pkgs:
        md5s = os.path.join(status_d, pkg + '.md5sums')
        if os.path.exists(md5s):
            with open(md5s) as f:
                for line in f:
                    md5, _, path = line.rstrip('\n').partition('  ')
                    sums[canon('/' + path)] = md5
        with open(os.path.join(status_d, pkg)) as f:
            in_conffiles = False
            for line in f:
                if not line.startswith(' '):
                    in_conffiles = line.startswith('Conffiles:')
                elif in_conffiles:
                    path, md5 = line.split()[:2]
                    sums[canon(path)] = md5
    return sums


def main():
    root, binary = sys.argv[1], sys.argv[2]
    with open(os.path.join(root, 'usr/share/modelgov/packages.txt')) as f:
        pkgs = [line.split()[0] for line in f if line.strip() and not line.startswith('#')]
    sums = checksums(root, pkgs)
    bad = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            path = '/' + os.path.relpath(full, root)
            if os.path.islink(full) or path == binary or path in OWN_FILES or path.startswith(OWN_DIRS):
                continue
            want = sums.get(canon(path))
            if want is None:
                bad.append('not from an SBOM package: ' + path)
                continue
            with open(full, 'rb') as f:
                if hashlib.md5(f.read(), usedforsecurity=False).hexdigest() != want:
                    bad.append('differs from its package: ' + path)
    for b in sorted(bad):
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
