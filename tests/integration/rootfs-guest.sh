# Helpers for tests that boot the Debian 12 machine of scripts/mkrootfs.sh
# from its disk through pvshim and use it through a login on hvc0, as a
# person would. Source after lib.sh and console-session.sh.
#
#   rootfs_prepare || return 1     build (or reuse) the image: ROOTFS_DIR
#   img=$(rootfs_copy NAME)        a scratch copy of the image
#   rootfs_boot IMG [QEMU args]    boot IMG's own kernel, root=/dev/xvda
#   rootfs_pvgrub_boot IMG [...]   boot PV-GRUB, which reads IMG's grub.cfg
#   rootfs_login                   log in as root on hvc0
#   rootfs_run CMD MARK [secs]     type CMD, wait for MARK and the prompt
#   rootfs_poweroff                poweroff; QEMU must end cleanly
#   rootfs_fsck IMG                the host's e2fsck -fn finds IMG clean
#
# Commands print markers computed by the shell (done-$((6*7)) shows as
# done-42), so the echo of the typed line never matches them.

ROOTFS_PASSWORD=pvshim
ROOTFS_PROMPT="root@pvshim:~# "
: "${GUEST_CACHE:=cache/guests}"

rootfs_prepare() {
    local log
    log=$(scratch mkrootfs.log)
    if ! ROOTFS_DIR=$(scripts/mkrootfs.sh 2> "$log"); then
        fail "could not build the Debian image: $(tail -n 3 "$log" | tr '\n' ' ')"
        return 1
    fi
    [ -f "$ROOTFS_DIR/disk.raw" ] || {
        fail "scripts/mkrootfs.sh named no image: '$ROOTFS_DIR'"
        return 1
    }
}

rootfs_copy() { # NAME: prints the copy's path
    local img
    img=$(scratch "$1")
    cp --sparse=always "$ROOTFS_DIR/disk.raw" "$img" || {
        fail "cannot copy $ROOTFS_DIR/disk.raw"
        return 1
    }
    echo "$img"
}

rootfs_drive() { # ID IMG [OPTIONS]: QEMU arguments for one virtio disk
    echo "-drive file=$2,if=none,id=$1,format=raw$3 -device virtio-blk-pci,drive=$1"
}

# Boots the kernel and initrd found in IMG's /boot (scripts/disk-kernel.sh,
# what make run does with DISK=IMG), IMG as xvda, then QEMU-ARGS.
rootfs_boot() { # IMG [QEMU args...]
    local img=$1 out KERNEL INITRD CMDLINE
    shift
    out=$(scripts/disk-kernel.sh "$img" "$TEST_DIR/boot") || {
        fail "no kernel and initrd in $img's /boot"
        return 1
    }
    eval "$out"
    # shellcheck disable=SC2046
    session_start --initrd "$KERNEL $CMDLINE,$INITRD" $(rootfs_drive d0 "$img") "$@"
}

rootfs_pvgrub_boot() { # IMG [QEMU args...]
    local img=$1 log dir
    shift
    log=$(scratch fetch-pvgrub.log)
    if ! dir=$(scripts/fetch-grub-xen.sh 2> "$log"); then
        fail "could not fetch PV-GRUB: $(tail -n 2 "$log" | tr '\n' ' ')"
        return 1
    fi
    # shellcheck disable=SC2046
    session_start --initrd "$dir/grub-x86_64-xen.bin" $(rootfs_drive d0 "$img") "$@"
}

# Waits for the login prompt (however long the boot takes), logs in as
# root and waits for the shell. Records the boot's seconds in boot-times.
rootfs_login() {
    session_expect "pvshim login:" || return 1
    echo "login prompt after $(session_elapsed)s" >> "$(scratch boot-times)"
    session_send root
    session_expect "Password:" 120 || return 1
    session_send "$ROOTFS_PASSWORD"
    session_expect "$ROOTFS_PROMPT" 300
}

rootfs_run() { # CMD MARK [SECONDS]
    session_send "$1"
    session_expect "$2" "${3:-}" && session_expect "$ROOTFS_PROMPT" "${3:-}"
}

rootfs_poweroff() {
    session_send poweroff
    session_wait || return 1
    echo "powered off after $(session_elapsed)s" >> "$(scratch boot-times)"
    expect_status 0
    expect_log "guest shut down: poweroff"
    expect_log "xvda: closed"
}

rootfs_fsck() { # IMG
    local log
    log=$(scratch "fsck-$(date +%s%N).log")
    e2fsck -fn "$1" > "$log" 2>&1 ||
        fail "e2fsck -fn $(basename "$1"): $(tail -n 3 "$log" | tr '\n' ' ')"
}

# What no boot from disk may show.
rootfs_expect_no_trouble() {
    local bad
    for bad in "Grant still in use" "Waiting for devices" "Timeout connecting" \
               "I/O error" "EXT4-fs error" "Kernel panic" "internal error" \
               "FAILED"; do
        expect_no_log "$bad"
    done
}

# Writes /data/f1../data/f4 (4 MiB of random bytes each) and /root/SUMS,
# syncs, and prints the sums; they are kept in $TEST_DIR/sums.
rootfs_write_files() {
    rootfs_run 'mkdir -p /data && for i in 1 2 3 4; do head -c 4M /dev/urandom > /data/f$i; done' \
        "$ROOTFS_PROMPT" &&
    rootfs_run '(cd /data && sha256sum f1 f2 f3 f4) > /root/SUMS && sync && echo synced-$((6*7))' \
        synced-42 &&
    rootfs_run 'cat /root/SUMS; echo sums-$((6*7))' sums-42 || return 1
    session_output | tr -d '\r' | grep -oE '[0-9a-f]{64}  f[1-4]$' > "$(scratch sums)"
    [ "$(wc -l < "$(scratch sums)")" = 4 ] || fail "the guest did not print 4 checksums"
}

# The files of rootfs_write_files, read from IMG on the host (debugfs).
rootfs_check_files() { # IMG
    local sum name got
    while read -r sum name; do
        debugfs -R "dump /data/$name $(scratch "$name")" "$1" > /dev/null 2>&1
        got=$(sha256sum < "$(scratch "$name")" | cut -d' ' -f1)
        [ "$got" = "$sum" ] || fail "/data/$name in the image: sha256 $got, the guest wrote $sum"
    done < "$(scratch sums)"
    [ -s "$(scratch sums)" ] || fail "no checksums to check"
}
