#!/bin/bash
# make dist: the krew archive and manifest. The manifest is a valid krew Plugin (krew's rules:
# apiVersion/kind, name, semver version with v, descriptions, a linux/amd64 platform, a
# lowercase sha256, files and bin); its sha256 and URI name the archive make wrote; the archive
# holds exactly what the manifest's files list; building twice gives the same bytes; and the
# unpacked archive on PATH is what kubectl runs: `kubectl modelgov version`, `kubectl plugin
# list`, and `kubectl modelgov <TAB>` through the packed helper.
source "$(dirname "$0")/lib.sh"
cd "$IT_ROOT" || exit 1
VERSION=$(cat VERSION)
TGZ=build/dist/kubectl-modelgov-$VERSION-linux-amd64.tar.gz
it_check "make dist" bash -c "make --no-print-directory dist >'$IT_DIR/dist.log' 2>&1 || { cat '$IT_DIR/dist.log'; exit 1; }"
it_check "the archive, its .sha256 and the manifest exist" test -s "$TGZ" -a -s "$TGZ.sha256" -a -s build/dist/modelgov.yaml
it_check "the .sha256 file verifies the archive (sha256sum -c)" bash -c "cd build/dist && sha256sum -c --quiet $(basename "$TGZ").sha256"
manifest_ok() {
  /usr/bin/python3 - build/dist/modelgov.yaml "$TGZ" "$VERSION" <<'PY'
import hashlib, re, sys, tarfile, yaml
m = yaml.safe_load(open(sys.argv[1])); tgz, version = sys.argv[2], sys.argv[3]
p = []
def want(cond, what):
    if not cond: p.append(what)
want(m.get('apiVersion') == 'krew.googlecontainertools.github.com/v1alpha2', 'apiVersion')
want(m.get('kind') == 'Plugin', 'kind')
name = m.get('metadata', {}).get('name', '')
want(re.fullmatch(r'[a-z0-9]+(-[a-z0-9]+)*', name) and name == 'modelgov', 'metadata.name %r' % name)
s = m.get('spec', {})
want(s.get('version') == 'v' + version and re.fullmatch(r'v\d+\.\d+\.\d+([-+].*)?', s['version']), 'version %r' % s.get('version'))
want(0 < len(s.get('shortDescription', '')) <= 50, 'shortDescription (1..50 characters)')
want(s.get('description') and s.get('homepage', '').startswith('https://'), 'description and https homepage')
plats = s.get('platforms', [])
want(len(plats) == 1, 'one platform')
for pl in plats:
    want(pl.get('selector', {}).get('matchLabels') == {'os': 'linux', 'arch': 'amd64'}, 'selector linux/amd64')
    want(pl.get('uri', '').startswith('https://') and pl['uri'].endswith('/' + tgz.rsplit('/', 1)[1]), 'uri names the archive')
    digest = hashlib.sha256(open(tgz, 'rb').read()).hexdigest()
    want(pl.get('sha256') == digest, 'sha256 %s, archive %s' % (pl.get('sha256'), digest))
    with tarfile.open(tgz) as t:
        names = {n.lstrip('./') for n in t.getnames()} - {''}
        mode = {n.lstrip('./'): t.getmember(n).mode for n in t.getnames()}
    froms = {f['from'] for f in pl.get('files', [])}
    want(froms == names, 'files %s, archive holds %s' % (sorted(froms), sorted(names)))
    want(pl.get('bin') in names and mode[pl['bin']] & 0o111, 'bin %r is an executable of the archive' % pl.get('bin'))
for x in p:
    print('   ', x)
sys.exit(1 if p else 0)
PY
}
it_check "the manifest is a valid krew Plugin naming the archive and its sha256" manifest_ok
SUM1=$(cut -d' ' -f1 "$TGZ.sha256")
touch bin/kubectl-modelgov LICENSE
make --no-print-directory dist >/dev/null 2>&1
it_eq "make dist twice: the same archive, byte for byte" "$SUM1" "$(cut -d' ' -f1 "$TGZ.sha256")"

# what krew would install: the archive unpacked on PATH (and nothing else of the tree)
mkdir -p "$IT_DIR/krew-bin" && tar -xzf "$TGZ" -C "$IT_DIR/krew-bin"
KPATH="$IT_DIR/krew-bin:$(dirname "$(command -v kubectl)")"
it_eq "kubectl modelgov version, from the unpacked archive" "kubectl-modelgov $VERSION" \
  "$(env -i PATH="$KPATH" HOME="$IT_DIR" kubectl modelgov version 2>&1)"
it_check "kubectl plugin list finds kubectl-modelgov in the unpacked archive" \
  bash -c "env -i PATH='$KPATH' HOME='$IT_DIR' kubectl plugin list 2>/dev/null | grep -q '$IT_DIR/krew-bin/kubectl-modelgov'"
it_eq "kubectl modelgov <TAB> through the packed helper" "report" \
  "$(env -i PATH="$KPATH" HOME="$IT_DIR" kubectl __complete modelgov rep 2>/dev/null | grep -v '^:')"
it_finish
