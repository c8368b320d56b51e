#!/bin/sh
# Runs in the L0 harness's dom0 as /l0/tests.sh (tests/migrate/mksave.sh
# puts it there): for each guest of /l0/config's SAVES, starts it as a
# classic 64-bit PV domU, waits for its workload to make progress, saves it
# with `xl save`, copies the file to the virtio disk the host gave dom0
# (/dev/vda, at 1 MiB-aligned offsets) and restores it with `xl restore`
# as the reference that the file is good. VCPUS_NAME gives the domain's
# vCPUs (default 1); DISK_NAME=yes gives it xvda, a loop device over a 4 MiB
# file in dom0's tmpfs whose first MiB is "PVSHIM-MIGRATE-DISK" lines, and
# that file as it was at the save goes to the host too (NAME.disk).
# Lines for the host:
#   L0: SAVED NAME OFFSET_MIB BYTES MD5 SAVE_SECONDS LAST_STEP
#   L0: SAVED NAME.disk OFFSET_MIB BYTES MD5 0 0
# (LAST_STEP: the last "MIGRATE: step N" xenconsoled logged before the save)
#   L0: RESULT xen NAME-restore PASS|FAIL detail
. /l0/config
PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
CONLOG=/var/log/xen/console

now() { read -r up _ < /proc/uptime; echo "$up"; }
elapsed() { awk "BEGIN { printf \"%.1f\", $(now) - $1 }"; }
# wait_log NAME REGEX SECONDS: the guest's console log matches in time.
wait_log() {
    i=0
    while [ $i -lt $(($3 * 2)) ]; do
        grep -qE "$2" "$CONLOG/guest-$1.log" 2>/dev/null && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}
show_log() {
    tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | tail -n "$2" | awk '{ print "L0: con| " $0 }'
}

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
    insmod "/l0/modules/$m.ko" || echo "L0: DOM0-FAILURE insmod $m"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
[ -b /dev/vda ] || { echo "L0: DOM0-FAILURE no /dev/vda"; exit 1; }

offset=1
for name in $SAVES; do
    eval "kernel=\$KERNEL_$name ramdisk=\$RAMDISK_$name cmdline=\$CMDLINE_$name"
    eval "memory=\$MEMORY_$name ready=\$READY_$name done_re=\$DONE_$name"
    eval "vcpus=\${VCPUS_$name:-1} disk=\${DISK_$name:-}"
    img= loop=
    if [ -n "$disk" ]; then
        img=/tmp/$name.disk
        { yes PVSHIM-MIGRATE-DISK | head -c 1048576; head -c 3145728 /dev/zero; } > "$img"
        loop=$(losetup -f)
        losetup "$loop" "$img" || { echo "L0: RESULT xen $name-save FAIL losetup"; continue; }
    fi
    {
        echo "name = \"$name\""
        echo 'type = "pv"'
        echo "kernel = \"$kernel\""
        [ -n "$ramdisk" ] && echo "ramdisk = \"$ramdisk\""
        echo "cmdline = \"$cmdline\""
        echo "memory = $memory"
        echo "vcpus = $vcpus"
        [ -n "$loop" ] &&
            echo "disk = [ 'format=raw, vdev=xvda, access=rw, script=/l0/hotplug-disk, target=$loop' ]"
        echo 'on_poweroff = "destroy"'
        echo 'on_reboot = "destroy"'
        echo 'on_crash = "preserve"'
    } > "/tmp/$name.cfg"
    rm -f "$CONLOG/guest-$name.log"
    if ! xl create "/tmp/$name.cfg" > "/tmp/$name.xl" 2>&1; then
        awk '{ print "L0: xl| " $0 }' "/tmp/$name.xl"
        echo "L0: RESULT xen $name-save FAIL xl create"
        continue
    fi
    if ! wait_log "$name" "$ready" "$DOMAIN_TIMEOUT"; then
        show_log "$name" 30
        echo "L0: RESULT xen $name-save FAIL never ready ($ready)"
        xl destroy "$name" 2>/dev/null
        continue
    fi
    t0=$(now)
    if ! xl save "$name" "/tmp/$name.save" > "/tmp/$name.xlsave" 2>&1; then
        awk '{ print "L0: xl| " $0 }' "/tmp/$name.xlsave"
        show_log "$name" 20
        echo "L0: RESULT xen $name-save FAIL xl save"
        xl destroy "$name" 2>/dev/null
        continue
    fi
    t_save=$(elapsed "$t0")
    awk '{ print "L0: xl| " $0 }' "/tmp/$name.xlsave"
    bytes=$(wc -c < "/tmp/$name.save")
    sum=$(md5sum "/tmp/$name.save" | cut -d' ' -f1)
    dd if="/tmp/$name.save" of=/dev/vda bs=1M seek="$offset" conv=fsync 2>/dev/null ||
        echo "L0: DOM0-FAILURE writing /dev/vda"
    last=$(tr -d '\r' < "$CONLOG/guest-$name.log" | sed -n 's/^MIGRATE: step \([0-9]*\) .*/\1/p' | tail -n 1)
    echo "L0: SAVED $name $offset $bytes $sum $t_save ${last:-0}"
    offset=$((offset + (bytes + 1048575) / 1048576))
    if [ -n "$img" ]; then
        dbytes=$(wc -c < "$img")
        dd if="$img" of=/dev/vda bs=1M seek="$offset" conv=fsync 2>/dev/null ||
            echo "L0: DOM0-FAILURE writing /dev/vda"
        echo "L0: SAVED $name.disk $offset $dbytes $(md5sum "$img" | cut -d' ' -f1) 0 0"
        offset=$((offset + (dbytes + 1048575) / 1048576))
    fi
    echo "L0: RESULT xen $name-save PASS ${t_save}s, $bytes bytes"
    # The reference: Xen's own restore of the same file.
    mv "$CONLOG/guest-$name.log" "$CONLOG/guest-$name.before" 2>/dev/null
    t0=$(now)
    if ! xl restore "/tmp/$name.save" > "/tmp/$name.xlrestore" 2>&1; then
        awk '{ print "L0: xl| " $0 }' "/tmp/$name.xlrestore"
        echo "L0: RESULT xen $name-restore FAIL xl restore"
        continue
    fi
    if wait_log "$name" "$done_re" "$DOMAIN_TIMEOUT"; then
        echo "L0: RESULT xen $name-restore PASS $(elapsed "$t0")s"
    else
        echo "L0: RESULT xen $name-restore FAIL no \"$done_re\""
    fi
    show_log "$name" 15
    rm -f "/tmp/$name.save"
    xl destroy "$name" 2>/dev/null
    [ -n "$loop" ] && { losetup -d "$loop"; rm -f "$img"; }
done
