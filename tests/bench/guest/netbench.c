/* netbench: one end of a TCP row of `make bench-devices`, the same binary
 * in the PV guest (xen-netfront) and natively (virtio-net). It listens on
 * PORT, takes one connection, and then moves FILE in 64 KiB reads and
 * writes: what a network program does (busybox nc moves 1 KiB a call, so
 * the row measured the guest's system calls more than its network).
 *
 *   recv  everything the peer sends, until it closes, into FILE
 *   send  FILE to the peer, then close
 *
 *   netbench recv|send PORT FILE      exit status 0, or 1 with a message
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (64u << 10)

static char buf[CHUNK];

static int fail(const char *what)
{
    perror(what);
    return 1;
}

/* Write all of buf[0, n) to fd: 0, or -1. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copy from in to out until in ends: 0, or -1. */
static int copy(int in, int out)
{
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r == 0)
            return 0;
        if (r < 0 || write_all(out, buf, (size_t)r))
            return -1;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "recv") && strcmp(argv[1], "send"))) {
        fprintf(stderr, "usage: netbench recv|send PORT FILE\n");
        return 1;
    }
    int sending = !strcmp(argv[1], "send");
    int file = sending ? open(argv[3], O_RDONLY) : open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (file < 0)
        return fail(argv[3]);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (ls < 0)
        return fail("socket");
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1))
        return fail("bind/listen");
    int s = accept(ls, NULL, NULL);
    if (s < 0)
        return fail("accept");
    close(ls);
    if (sending ? copy(file, s) : copy(s, file))
        return fail(sending ? "sending" : "receiving");
    if (close(s) || close(file))
        return fail("close");
    return 0;
}
