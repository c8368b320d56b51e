#!/bin/sh
# Runs in the L0 harness's dom0 as /l0/tests.sh (tests/migrate/xlrestore.sh
# puts it there): `xl restore` of a save file pvshim wrote (/l0/NAME.save)
# with the config xl needs (pvshim's files carry no JSON config), then the
# guest's console until its workload says it is done. Lines for the host:
#   L0: RESULT xen NAME-xlrestore PASS|FAIL detail
#   L0: xl| ...   L0: con| ...   L0: dmesg| ...   (what xl, the guest and Xen said)
. /l0/config
PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/xen-4.17/bin
CONLOG=/var/log/xen/console

now() { read -r up _ < /proc/uptime; echo "$up"; }
elapsed() { awk "BEGIN { printf \"%.1f\", $(now) - $1 }"; }
# wait_log NAME REGEX SECONDS: the guest's console log matches in time
# (seconds of dom0's uptime: a loop's turns are slow under TCG). Every
# minute the log's last line goes to the host, so a run cut short still
# shows how far the guest got.
wait_log() {
    t_end=$(awk "BEGIN { print $(now) + $3 }")
    t_tell=$(awk "BEGIN { print $(now) + 60 }")
    while awk "BEGIN { exit !($(now) < $t_end) }"; do
        grep -qE "$2" "$CONLOG/guest-$1.log" 2>/dev/null && return 0
        if awk "BEGIN { exit !($(now) >= $t_tell) }"; then
            echo "L0: progress| $(tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | tail -n 1)"
            t_tell=$(awk "BEGIN { print $(now) + 60 }")
        fi
        sleep 1
    done
    return 1
}
show_log() {
    tr -d '\r' < "$CONLOG/guest-$1.log" 2>/dev/null | tail -n "$2" | awk '{ print "L0: con| " $0 }'
}

name=$NAME
{
    echo "name = \"$name\""
    echo 'type = "pv"'
    echo "kernel = \"$KERNEL\""
    echo "memory = $MEMORY"
    echo 'vcpus = 1'
    echo 'on_poweroff = "destroy"'
    echo 'on_reboot = "destroy"'
    echo 'on_crash = "preserve"'
} > "/tmp/$name.cfg"
t0=$(now)
if ! xl -v restore "/tmp/$name.cfg" "/l0/$name.save" > "/tmp/$name.xl" 2>&1; then
    awk '{ print "L0: xl| " $0 }' "/tmp/$name.xl"
    xl dmesg 2>/dev/null | tail -n 30 | awk '{ print "L0: dmesg| " $0 }'
    echo "L0: RESULT xen $name-xlrestore FAIL xl restore"
    exit 0
fi
t_restore=$(elapsed "$t0")
awk '{ print "L0: xl| " $0 }' "/tmp/$name.xl"
if wait_log "$name" "$DONE" "$DOMAIN_TIMEOUT"; then
    echo "L0: RESULT xen $name-xlrestore PASS xl restore ${t_restore}s, done after $(elapsed "$t0")s"
else
    xl list 2>/dev/null | awk '{ print "L0: xl| " $0 }'
    xl dmesg 2>/dev/null | tail -n 30 | awk '{ print "L0: dmesg| " $0 }'
    echo "L0: RESULT xen $name-xlrestore FAIL no \"$DONE\""
fi
show_log "$name" 120
xl destroy "$name" 2>/dev/null
exit 0
