#!/usr/bin/env bash
# Everything the real-kernel test needs on the host, idempotent and quick when already there:
# qemu and busybox-static from Debian, Debian's stock 6.1 kernel (linux-image-amd64's
# dependency, downloaded and unpacked into the cache, never installed into /boot), an
# initramfs of busybox + the 9p/virtio modules + init.sh, the sidecar bundle and the guest
# runner bundle. Prints the paths the host test boots with as `KEY=value` lines at the end.
# Usage: prepare.sh [cache-dir] (default: <repo>/.cache/vm). Exit code 3: qemu cannot be installed.
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/setup.sh"

HERE="$ROOT/test/sidecar/vm"
CACHE="${1:-$ROOT/.cache/vm}"
# What the guest loads before it can mount the host's root: 9p over virtio-pci, and virtio_blk
# for the swap disk; their dependencies come from the kernel's own modules.dep.
MODULES=(virtio_pci 9pnet_virtio 9p virtio_blk)
mkdir -p "$CACHE"

# Exit code 3: no qemu to be had here (the host test skips, saying why).
if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x /bin/busybox ]; then
  apt_install qemu-system-x86 busybox-static || exit 3
fi
busybox --list | grep -x mkswap >/dev/null # the static busybox, not a smaller one (grep -q would end the pipe early: SIGPIPE, exit 141 under pipefail)

# The kernel package linux-image-amd64 points at today (e.g. linux-image-6.1.0-57-amd64).
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1
}
PACKAGE="$(kernel_package)"
if [ -z "$PACKAGE" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  PACKAGE="$(kernel_package)"
fi
[ -n "$PACKAGE" ] || { echo "prepare.sh: apt knows no linux-image-amd64" >&2; exit 1; }
KVERSION="${PACKAGE#linux-image-}"
KDIR="$CACHE/$PACKAGE"
if [ ! -f "$KDIR/.complete" ]; then
  step "apt-get download $PACKAGE; dpkg-deb -x into $KDIR"
  rm -rf "$KDIR" "$CACHE"/linux-image-* # older kernels in the cache
  mkdir -p "$KDIR"
  (cd "$CACHE" && apt-get download "$PACKAGE" 2>&1 | grep -v '^W: Download is performed unsandboxed')
  dpkg-deb -x "$CACHE/${PACKAGE}_"*.deb "$KDIR"
  rm -f "$CACHE/${PACKAGE}_"*.deb
  depmod -b "$KDIR" "$KVERSION" # the package ships no modules.dep; dpkg's postinst makes it
  touch "$KDIR/.complete"
fi
KERNEL="$KDIR/boot/vmlinuz-$KVERSION"

# initramfs: /init, /bin/busybox, and /modules/NN-name.ko in the order insmod needs them.
INITRD_DIR="$CACHE/initramfs"
rm -rf "$INITRD_DIR"
mkdir -p "$INITRD_DIR/bin" "$INITRD_DIR/modules"
cp /bin/busybox "$INITRD_DIR/bin/busybox"
cp "$HERE/init.sh" "$INITRD_DIR/init"
chmod +x "$INITRD_DIR/init"
n=10
for module in "${MODULES[@]}"; do
  modprobe -d "$KDIR" -S "$KVERSION" --show-depends "$module" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$INITRD_DIR/modules/$n-$(basename "$ko")"
  n=$((n + 1))
done
(cd "$INITRD_DIR" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$CACHE/initramfs.cpio.gz"

# The sidecar as the wheel ships it, and the guest's runner, both plain JavaScript: tsx would
# cost seconds per process under emulation.
(cd "$ROOT" && npm run --silent build:sidecar -- --log-level=warning)
"$ROOT/node_modules/.bin/esbuild" "$HERE/guest.ts" --bundle --platform=node --target=node18 --format=cjs \
  --log-level=warning --outfile="$CACHE/guest.cjs"

echo "KERNEL=$KERNEL"
echo "INITRD=$CACHE/initramfs.cpio.gz"
echo "GUEST=$CACHE/guest.cjs"
echo "SIDECAR=$ROOT/jupyterlab_cgroup_usage/sidecar/cgroup-usage-sidecar.js"
