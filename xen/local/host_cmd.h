/*
 * Requests from the host on pvshim's console input, the way an operator
 * uses xl on a Xen host. A command starts with Ctrl-] (0x1d) and ends at the
 * next CR or LF; its bytes never reach the guest, every other byte does:
 *
 *   ^]cpu N offline | ^]cpu N online      xl vcpu-set: ~/cpu/N/availability
 *   ^]shutdown poweroff|reboot|halt|suspend   xl shutdown: ~/control/shutdown
 *   ^]sysrq K                             xl sysrq: ~/control/sysrq
 *   ^]save                                xl save: ~/control/shutdown = suspend;
 *                                         the guest's suspend then writes its
 *                                         save file to the save disk
 *                                         (savedisk=N), or is cancelled
 *
 * The guest acts on the xenstore write itself (Linux: its xen cpu hotplug
 * and shutdown drivers). Each command is answered by one log line,
 * "host command: ..." with its result.
 */
#ifndef PVSHIM_HOST_CMD_H
#define PVSHIM_HOST_CMD_H

#define HOST_CMD_ESCAPE 0x1d    /* Ctrl-], xl console's own escape key */
#define HOST_CMD_MAX    64      /* longer commands are refused whole */

/*
 * One byte of console input: the byte itself if it is the guest's, -1 if
 * it belonged to a command (which runs when its line ends).
 */
int host_cmd_filter(int c);

/* Run one command line (without the escape); 0 or a -XEN_E* error. */
int host_cmd_run(const char *line);

#endif
