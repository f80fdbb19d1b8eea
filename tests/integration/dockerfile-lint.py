"""Lint of hack/docker/Dockerfile (no Docker engine runs here, so it is never built).

  dockerfile-lint.py DOCKERFILE REPO_ROOT BINARY...
Prints one line per check, "PASS<TAB>what" or "FAIL<TAB>what: why", for tests/integration/dockerfile.sh.
BINARY: the locally built daemons, whose shared libraries (readelf -d NEEDED, resolved to Debian
packages with dpkg -S) must all be installed by the runtime stage.
"""
import os
import re
import shlex
import subprocess
import sys

RESULTS = []


def result(ok, what, why=''):
    RESULTS.append(('PASS' if ok else 'FAIL', what + ('' if ok or not why else ': ' + why)))


def parse(path):
    """[(stage_name, base, [(INSTRUCTION, args)])] with continuations joined, comments dropped."""
    lines, cur = [], ''
    with open(path) as f:
        for raw in f:
            s = raw.rstrip('\n')
            if s.lstrip().startswith('#'):
                continue
            if s.endswith('\\'):
                cur += s[:-1] + ' '
                continue
            cur += s
            if cur.strip():
                lines.append(cur.strip())
            cur = ''
    stages = []
    for line in lines:
        ins, _, args = line.partition(' ')
        ins = ins.upper()
        if ins == 'FROM':
            m = re.match(r'^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$', args.strip(), re.I)
            stages.append((m.group(2), m.group(1), []))
        elif stages:
            stages[-1][2].append((ins, args.strip()))
        else:
            result(False, 'instructions before the first FROM', line)
    return stages


def apt_packages(instrs):
    pkgs = []
    for ins, args in instrs:
        if ins != 'RUN':
            continue
        for cmd in re.split(r'&&|;', args):
            words = shlex.split(cmd)
            if 'apt-get' in words and 'install' in words:
                pkgs += [w for w in words[words.index('install') + 1:] if not w.startswith('-')]
    return pkgs


def deps_sh_packages(root):
    with open(os.path.join(root, 'hack/deps.sh')) as f:
        m = re.search(r'PKGS=\((.*?)\)', f.read(), re.S)
    return m.group(1).split()


def lib_packages(binary):
    out = subprocess.run(['readelf', '-d', binary], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r'\(NEEDED\).*\[(.+)\]', out)
    cache = subprocess.run(['ldconfig', '-p'], capture_output=True, text=True, check=True).stdout
    pkgs = {}
    for lib in needed:
        m = re.search(r'^\s*' + re.escape(lib) + r' \(.*x86-64.*\) => (\S+)$', cache, re.M) or \
            re.search(r'^\s*' + re.escape(lib) + r' .* => (\S+)$', cache, re.M)
        if not m:
            pkgs[lib] = None
            continue
        path = m.group(1)
        owner = None
        for p in (path, os.path.realpath(path)):
            for cand in (p, p.replace('/usr/lib/', '/lib/', 1), p.replace('/lib/', '/usr/lib/', 1)):
                r = subprocess.run(['dpkg', '-S', cand], capture_output=True, text=True)
                if r.returncode == 0:
                    owner = r.stdout.split(':')[0].strip()
                    break
            if owner:
                break
        pkgs[lib] = owner
    return pkgs


def main():
    path, root, binaries = sys.argv[1], sys.argv[2], sys.argv[3:]
    stages = parse(path)
    by_name = {s[0]: s for s in stages}
    names = [s[0] for s in stages]
    result(names == ['build', 'runtime', 'operator', 'webhook'], 'stages build, runtime, operator, webhook',
           'got %s' % names)
    for name in ('build', 'runtime'):
        base = by_name.get(name, (None, None))[1]
        result(base == 'debian:bookworm-slim', '%s stage on debian:bookworm-slim' % name, 'got %s' % base)
    for name in ('operator', 'webhook'):
        st = by_name.get(name)
        if not st:
            result(False, '%s stage present' % name)
            continue
        result(st[1] == 'runtime', '%s stage built on the runtime stage' % name, 'got %s' % st[1])
        users = [a for i, a in by_name['runtime'][2] + st[2] if i == 'USER']
        result(bool(users) and users[-1] in ('65532', '65532:65532'), '%s image runs as uid 65532' % name,
               'USER %s' % (users[-1] if users else 'unset (root)'))
        want = '/usr/local/bin/modelgov-%s' % name
        ents = [a for i, a in st[2] if i == 'ENTRYPOINT']
        result(ents == ['["%s"]' % want], '%s ENTRYPOINT is %s' % (name, want), 'got %s' % ents)
        copies = [a for i, a in st[2] if i == 'COPY']
        result(copies == ['--from=build /src/bin/modelgov-%s %s' % (name, want)],
               '%s image copies only its binary from the build stage' % name, 'got %s' % copies)
        result(not [a for i, a in st[2] if i == 'RUN'], '%s stage adds nothing else (no RUN)' % name)
    if 'build' in by_name:
        bpkgs = apt_packages(by_name['build'][2])
        known = set(deps_sh_packages(root))
        extra = [p for p in bpkgs if p not in known]
        result(bool(bpkgs) and not extra, "build packages are hack/deps.sh's", 'not in deps.sh: %s' % extra)
        missing = []
        for ins, args in by_name['build'][2]:
            if ins == 'COPY' and not args.startswith('--from'):
                for src in shlex.split(args)[:-1]:
                    if not os.path.exists(os.path.join(root, src)):
                        missing.append(src)
        result(not missing, 'every file the build stage copies exists', 'missing %s' % missing)
    if 'runtime' in by_name:
        rpkgs = apt_packages(by_name['runtime'][2])
        dev = [p for p in rpkgs if p.endswith('-dev') or p in ('build-essential', 'pkg-config')]
        result(bool(rpkgs) and not dev, 'runtime stage installs no build tools or -dev packages', 'found %s' % dev)
        result('ca-certificates' in rpkgs, 'runtime stage installs ca-certificates')
        for b in binaries:
            libs = lib_packages(b)
            bad = ['%s (%s)' % (lib, pkg) for lib, pkg in sorted(libs.items())
                   if pkg is None or (pkg not in rpkgs and pkg != 'libc6')]
            result(bool(libs) and not bad, 'runtime stage installs every library %s loads' % os.path.basename(b),
                   'not installed: %s' % ', '.join(bad))
    for status, what in RESULTS:
        print('%s\t%s' % (status, what))


if __name__ == '__main__':
    main()
