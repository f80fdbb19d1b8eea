#!/bin/bash
# Assembles the runtime root filesystem of the modelgov images (run inside the Dockerfile's build
# stage, as root):
#   rootfs.sh DIR BINARY...
# DIR gets exactly the Debian packages that own the shared libraries the binaries load (`ldd`,
# resolved with `dpkg -S`), plus ca-certificates (the trust bundle for registries and API
# servers) and base-files (os-release, so scanners know the distribution; the common licenses
# the copyright files refer to). Each package is copied file by file from this system's
# installed copy: the very versions the binaries were just linked against. Manuals,
# translations and documentation stay out, except each package's copyright file. Nothing else
# comes in: no shell, no package manager, no dpkg database.
#
# It also writes the software bill of materials: DIR/var/lib/dpkg/status.d/PACKAGE and
# PACKAGE.md5sums (each package's dpkg status paragraph and file checksums: the layout image
# scanners read in images without a dpkg database) and DIR/usr/share/modelgov/packages.txt
# (one `dpkg-query` line per package).
set -euo pipefail
root=${1:?usage: rootfs.sh DIR BINARY...}
shift
[ $# -gt 0 ] || { echo "rootfs.sh: no binaries given" >&2; exit 2; }
UID_NONROOT=65532 # the chart's runAsUser/runAsGroup
EXTRA_PACKAGES=(ca-certificates base-files)

# The package owning PATH. Merged /usr: ldd may print /lib/... for a file dpkg knows as
# /usr/lib/... or the other way round, and libraries are often reached through symlinks.
owner() {
  local p c real
  p=$1
  real=$(realpath "$p")
  for c in "$p" "$real" "${p#/usr}" "/usr$p" "${real#/usr}" "/usr$real"; do
    dpkg-query -S "$c" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  echo "rootfs.sh: no Debian package owns $p" >&2
  return 1
}

libraries() {
  local out
  out=$(ldd "$@")
  if grep -q 'not found' <<<"$out"; then
    echo "rootfs.sh: unresolved libraries:" >&2
    grep 'not found' <<<"$out" >&2
    return 1
  fi
  # "libx.so.1 => /path (0x..)" and the interpreter line "/lib64/ld-linux-x86-64.so.2 (0x..)"
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out" | sort -u
}

excluded() {
  case $1 in
  /usr/share/doc/*/copyright) return 1 ;;
  /usr/share/doc/* | /usr/share/man/* | /usr/share/locale/* | /usr/share/info/* | /usr/share/lintian/*) return 0 ;;
  esac
  return 1
}

# Copies one package's files. Paths are rewritten to their canonical directory (on merged /usr,
# /lib/x86_64-linux-gnu/libc.so.6 lands in /usr/lib/x86_64-linux-gnu) and the top-level
# symlinks are recreated, so the image has the layout of the system it was built on.
declare -A CANON
copy_package() {
  local pkg=$1 p dir
  while IFS= read -r p; do
    [ -n "$p" ] && [ "$p" != /. ] || continue
    excluded "$p" && continue
    if [ -d "$p" ] && [ ! -L "$p" ]; then
      mkdir -p "$root$(realpath "$p")"
      continue
    fi
    [ -e "$p" ] || [ -L "$p" ] || continue # excluded at install time (dpkg path-exclude)
    dir=${p%/*}
    dir=${dir:-/}
    [ -n "${CANON[$dir]:-}" ] || CANON[$dir]=$(realpath "$dir")
    mkdir -p "$root${CANON[$dir]}"
    cp -a "$p" "$root${CANON[$dir]}/"
  done < <(dpkg-query -L "$pkg")
}

mapfile -t libs < <(libraries "$@")
pkgs=()
for lib in "${libs[@]}"; do pkgs+=("$(owner "$lib")"); done
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" "${EXTRA_PACKAGES[@]}" | sort -u)

mkdir -p "$root"
for d in bin sbin lib lib32 lib64 libx32; do
  [ -L "/$d" ] && ln -sfn "$(readlink "/$d")" "$root/$d"
done
for pkg in "${pkgs[@]}"; do copy_package "$pkg"; done

# What the packages' maintainer scripts would have made, and the users.
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/usr/share/modelgov" "$root/var/lib/dpkg/status.d"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nmodelgov:x:%d:%d:modelgov:/nonexistent:/usr/sbin/nologin\n' \
  "$UID_NONROOT" "$UID_NONROOT" >"$root/etc/passwd"
printf 'root:x:0:\nmodelgov:x:%d:\n' "$UID_NONROOT" >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

for pkg in "${pkgs[@]}"; do
  dpkg-query -s "$pkg" >"$root/var/lib/dpkg/status.d/$pkg"
  sums=$(dpkg-query --control-path "$pkg" md5sums)
  [ -z "$sums" ] || cp "$sums" "$root/var/lib/dpkg/status.d/$pkg.md5sums"
done
{
  echo "# package version architecture source source-version (dpkg-query; the image's Debian packages)"
  dpkg-query -W -f='${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n' "${pkgs[@]}"
} >"$root/usr/share/modelgov/packages.txt"
echo "rootfs.sh: ${#pkgs[@]} packages, $(du -sh --apparent-size "$root" | cut -f1)" >&2
