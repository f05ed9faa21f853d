#!/bin/busybox sh
# /init of the test VM's initramfs. Loads the 9p/virtio modules, mounts the host's root
# (shared read-only over 9p) on /host with fresh proc, sysfs, devtmpfs, tmpfs and a pure
# cgroup v2 hierarchy (nsdelegate, every controller the tests use enabled for children),
# then runs the guest runner with the host's node inside that root. The kernel passes
# `vmguest=PATH` and `vmcheckout=DIR` (the checkout, shared on its own) from its command line
# in the environment. Powers off whatever happens.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "vm-init: $*" >&2
  poweroff -f
}

[ -n "$vmguest" ] || fail 'no vmguest= on the kernel command line'
mkdir -p /proc /sys /dev /host
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for ko in /modules/*.ko; do
  insmod "$ko" || fail "insmod $ko"
done
echo "vm-init: $(ls /modules | wc -l) modules loaded"
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /host || fail 'mount 9p hostroot'
mount -t proc proc /host/proc || fail 'mount proc'
mount -t sysfs sysfs /host/sys || fail 'mount sysfs'
mount -t devtmpfs devtmpfs /host/dev || fail 'mount devtmpfs'
for dir in /host/tmp /host/run; do
  mount -t tmpfs -o mode=1777 tmpfs "$dir" || fail "mount tmpfs on $dir"
done
[ -n "$vmcheckout" ] || fail 'no vmcheckout= on the kernel command line'
# Over the fresh tmpfs too (a checkout under /tmp): mkdir works there and is a no-op elsewhere.
mkdir -p "/host$vmcheckout" 2>/dev/null
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose checkout "/host$vmcheckout" ||
  fail "mount 9p checkout on $vmcheckout"
mount -t cgroup2 -o nsdelegate cgroup2 /host/sys/fs/cgroup || fail 'mount cgroup2'
echo '+memory +cpu +pids +cpuset +io' >/host/sys/fs/cgroup/cgroup.subtree_control || fail 'subtree_control'

echo "vm-init: host root and cgroup2 mounted; running $vmguest"

# Results go to the second serial port; the console (first port) keeps the kernel's and the
# runner's messages for the host's error reports.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin chroot /host /usr/bin/node "$vmguest" /dev/ttyS1
echo "vm-init: guest runner exited with $?"
poweroff -f
