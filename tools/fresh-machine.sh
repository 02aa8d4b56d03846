#!/bin/bash
# Tries the README's two commands on a fresh Debian 12, as a new user would: a minimal
# Debian root made with debootstrap, a bare clone of this repository in it (nothing beside
# it), then `make` and `make test` in a chroot. Prints both exit statuses and wall times.
#
#   sudo tools/fresh-machine.sh [REF]        # REF: a commit of this checkout (default: HEAD)
#
# Environment:
#   TAIDAN_FRESH_ROOT   the root folder, wiped and made anew each run (/var/tmp/taidan-fresh)
#   TAIDAN_FRESH_CACHE  where the debootstrapped base is kept as a tarball, so a rerun does
#                       not download it again (/var/cache/taidan-fresh); each run unpacks a
#                       pristine copy. Downloaded .deb files and pip's wheels are kept there
#                       too (download caches only); TAIDAN_FRESH_DOWNLOADS=0 turns that off.
#   TAIDAN_MIRROR       the Debian mirror (default: the one this machine's apt uses)
set -euo pipefail

main() {  # the whole script is read before it runs: editing it meanwhile cannot derail a run
[ "$(id -u)" = 0 ] || { echo "fresh-machine: run as root (debootstrap, chroot, mount)" >&2; exit 1; }
REPO="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
REF="${1:-HEAD}"
COMMIT="$(git -C "$REPO" rev-parse --verify "$REF^{commit}")"
ROOT="${TAIDAN_FRESH_ROOT:-/var/tmp/taidan-fresh}"
CACHE="${TAIDAN_FRESH_CACHE:-/var/cache/taidan-fresh}"
DOWNLOADS="${TAIDAN_FRESH_DOWNLOADS:-1}"
SUITE=bookworm
INCLUDE=python3,python3-venv,python3-pip,git,make,ca-certificates,sudo
BASE="$CACHE/$SUITE-minbase.tar"
CLONE=/root/taidan

case "$ROOT" in "$REPO"|"$REPO"/*|/|"") echo "fresh-machine: $ROOT must be outside the repository" >&2; exit 1;; esac

# This machine's apt sources (one-line or deb822 style): the Debian archive and its security one.
host_uris() {
    { grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}'
      grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | cut -d: -f2- | tr ' ' '\n'; } |
        grep . | sed 's,/$,,'
}
MIRROR="${TAIDAN_MIRROR:-$(host_uris | grep -m1 '/debian$' || echo http://deb.debian.org/debian)}"
SECURITY="$(host_uris | grep -m1 '/debian-security$' || echo "${MIRROR%/debian}/debian-security")"

mounted() { awk -v root="$ROOT" '$2 == root || index($2, root "/") == 1 {print $2}' /proc/mounts | sort -r; }
unmount_all() {
    local point
    for point in $(mounted); do umount "$point" 2>/dev/null || umount -l "$point"; done
}
trap unmount_all EXIT INT TERM

# 1. The base: debootstrap once, keep it as a tarball.
if [ ! -f "$BASE" ]; then
    echo "fresh-machine: debootstrap $SUITE (minbase + $INCLUDE) from $MIRROR"
    mkdir -p "$CACHE"
    staging="$(mktemp -d /var/tmp/taidan-debootstrap.XXXXXX)"
    debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$staging" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { echo "fresh-machine: debootstrap failed, see $CACHE/debootstrap.log" >&2; exit 1; }
    cat >"$staging/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
    rm -f "$staging"/var/cache/apt/archives/*.deb
    chmod 755 "$staging"  # mktemp made it 0700: a root / must be readable by every user (_apt)
    tar --numeric-owner -C "$staging" -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
    rm -rf --one-file-system "$staging"
fi

# 2. A pristine copy of it (never wipe a root that still has something mounted in it).
unmount_all
[ -z "$(mounted)" ] || { echo "fresh-machine: still mounted under $ROOT: $(mounted)" >&2; exit 1; }
rm -rf --one-file-system "$ROOT"
mkdir -p "$ROOT"
tar --numeric-owner -C "$ROOT" -xf "$BASE"
chmod 755 "$ROOT"
# dpkg without fsync after every file, as Debian's container images do: the same packages
# installed, minutes sooner (this root is thrown away, so a crash mid-install costs nothing)
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/taidan-fresh-unsafe-io"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"

# This network's TLS: the package index is reached through a proxy with its own certificate
# authority. Give the root this machine's local CAs and the variables that point tools
# (pip, requests, node, curl, git) at the system's bundle; a plain network needs neither.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
fi
TRUST=()
for variable in SSL_CERT_FILE SSL_CERT_DIR PIP_CERT REQUESTS_CA_BUNDLE CURL_CA_BUNDLE NODE_EXTRA_CA_CERTS GIT_SSL_CAINFO; do
    [ -n "${!variable:-}" ] && [ -e "$ROOT${!variable}" ] && TRUST+=("$variable=${!variable}")
done

# 3. The clone alone: the repository's history, the commit checked out, nothing untracked.
git clone -q --no-hardlinks "$REPO" "$ROOT$CLONE"
git -C "$ROOT$CLONE" checkout -q --detach "$COMMIT"
echo "fresh-machine: $(git -C "$ROOT$CLONE" log -1 --format='%h %s' | cut -c1-100)"

# 4. What a running system has: /proc, /sys, /dev, /dev/pts, /dev/shm.
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys"
mount -t devtmpfs -o mode=0755,nosuid udev "$ROOT/dev" 2>/dev/null || mount --bind /dev "$ROOT/dev"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$ROOT/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"
if [ "$DOWNLOADS" = 1 ]; then  # download caches only: the machine's state stays pristine
    mkdir -p "$CACHE/apt-archives/partial" "$CACHE/pip" "$ROOT/root/.cache/pip"
    # apt downloads as _apt into partial/, as in Debian
    chown "$(awk -F: '$1 == "_apt" {print $3}' "$ROOT/etc/passwd")":0 "$CACHE/apt-archives/partial"
    chmod 700 "$CACHE/apt-archives/partial"
    mount --bind "$CACHE/apt-archives" "$ROOT/var/cache/apt/archives"
    mount --bind "$CACHE/pip" "$ROOT/root/.cache/pip"
fi

# 5. The README's two commands, as root (as CI runs them), in a clean environment.
chrooted() {  # chrooted NAME COMMAND: runs it in the clone, log in $ROOT/NAME.log; sets STATUS, TAKEN (s)
    local start
    start=$(date +%s%N)
    set +e
    chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb "${TRUST[@]}" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/sh -c "cd $CLONE && $2" 2>&1 | tee "$ROOT/$1.log"
    STATUS=${PIPESTATUS[0]}
    set -e
    TAKEN=$(awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN {printf "%.0f", ns / 1e9}')
}
echo "fresh-machine: make"
chrooted make "make"
make_status=$STATUS make_time=$TAKEN
echo "fresh-machine: make test"
chrooted make-test "make test"
test_status=$STATUS test_time=$TAKEN

echo
echo "fresh-machine: Debian $(cat "$ROOT/etc/debian_version") (debootstrap minbase), clone of $(git -C "$REPO" rev-parse --short "$COMMIT")"
echo "fresh-machine: make       exit $make_status in ${make_time} s"
echo "fresh-machine: make test  exit $test_status in ${test_time} s  ($(grep -E '[0-9]+ (passed|failed)' "$ROOT/make-test.log" | tail -n 1))"
echo "fresh-machine: logs in $ROOT/make.log and $ROOT/make-test.log"
[ "$make_status" = 0 ] && [ "$test_status" = 0 ]
}
main "$@"; exit  # on one line: bash has read it all before main runs
