/* diskbench: the disk rows of `make bench-devices`, run on a raw block
 * device with O_DIRECT (no page cache), the same binary in the PV guest
 * (xen-blkfront) and natively (virtio-blk):
 *
 *   seq-read    the whole device in 128 KiB reads (or SEQ-KIB), MB/s
 *   seq-write   the whole device in 128 KiB writes, then fdatasync, MB/s
 *   rand-qd1    4 KiB reads at pseudo-random aligned offsets, one at a time, IOPS
 *   rand-qd32   the same with 32 reads in flight (Linux AIO), IOPS
 *   fsync       a 4 KiB write then fdatasync (a cache flush), repeated: mean us
 *
 * One line per row: "DISKBENCH: NAME VALUE UNIT (COUNT ops in SECONDS s)".
 * Counts are fixed; offsets come from a fixed seed, so every run does the
 * same I/O. Writes zeros over the device: give it a scratch disk.
 *
 *   diskbench DEVICE [RANDOM-OPS [FSYNC-OPS [SEQ-KIB]]]   defaults 2000, 200, 128
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SEQ_MAX     (128u << 10)
#define RAND_BLOCK  4096u
#define QD          32

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void row(const char *name, double value, const char *unit, unsigned long ops, double s)
{
    printf("DISKBENCH: %s %.2f %s (%lu ops in %.3f s)\n", name, value, unit, ops, s);
    fflush(stdout);
}

static unsigned seq_block = SEQ_MAX;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_block(uint64_t blocks)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % blocks;
}

static int seq(int fd, uint64_t bytes, void *buf, int write)
{
    uint64_t n = bytes / seq_block;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        ssize_t r = write ? pwrite(fd, buf, seq_block, (off_t)(i * seq_block))
                          : pread(fd, buf, seq_block, (off_t)(i * seq_block));
        if (r != (ssize_t)seq_block) {
            perror(write ? "diskbench: write" : "diskbench: read");
            return -1;
        }
    }
    if (write && fdatasync(fd)) {
        perror("diskbench: fdatasync");
        return -1;
    }
    double s = now_s() - t0;
    row(write ? "seq-write" : "seq-read", (double)(n * seq_block) / 1e6 / s, "MB/s", n, s);
    return 0;
}

static int rand_qd1(int fd, uint64_t blocks, void *buf, unsigned ops)
{
    double t0 = now_s();
    for (unsigned i = 0; i < ops; i++)
        if (pread(fd, buf, RAND_BLOCK, (off_t)(next_block(blocks) * RAND_BLOCK)) !=
            (ssize_t)RAND_BLOCK) {
            perror("diskbench: read");
            return -1;
        }
    double s = now_s() - t0;
    row("rand-qd1", ops / s, "IOPS", ops, s);
    return 0;
}

static int rand_qd32(int fd, uint64_t blocks, char *bufs, unsigned ops)
{
    aio_context_t ctx = 0;
    if (syscall(SYS_io_setup, QD, &ctx)) {
        perror("diskbench: io_setup");
        return -1;
    }
    struct iocb cb[QD];
    struct iocb *one[1];
    struct io_event ev[QD];
    unsigned submitted = 0, done = 0;
    double t0 = now_s();
    /* Keep QD reads in flight: each completion frees its buffer for the next. */
    for (unsigned i = 0; i < QD && submitted < ops; i++, submitted++) {
        memset(&cb[i], 0, sizeof(cb[i]));
        cb[i].aio_fildes = (uint32_t)fd;
        cb[i].aio_lio_opcode = IOCB_CMD_PREAD;
        cb[i].aio_buf = (uint64_t)(uintptr_t)(bufs + (size_t)i * RAND_BLOCK);
        cb[i].aio_nbytes = RAND_BLOCK;
        cb[i].aio_offset = (int64_t)(next_block(blocks) * RAND_BLOCK);
        cb[i].aio_data = i;
        one[0] = &cb[i];
        if (syscall(SYS_io_submit, ctx, 1, one) != 1) {
            perror("diskbench: io_submit");
            return -1;
        }
    }
    while (done < ops) {
        long got = syscall(SYS_io_getevents, ctx, 1, QD, ev, NULL);
        if (got <= 0) {
            perror("diskbench: io_getevents");
            return -1;
        }
        for (long e = 0; e < got; e++) {
            if (ev[e].res != RAND_BLOCK) {
                fprintf(stderr, "diskbench: aio read gave %lld\n", (long long)ev[e].res);
                return -1;
            }
            done++;
            if (submitted == ops)
                continue;
            unsigned i = (unsigned)ev[e].data;
            cb[i].aio_offset = (int64_t)(next_block(blocks) * RAND_BLOCK);
            one[0] = &cb[i];
            if (syscall(SYS_io_submit, ctx, 1, one) != 1) {
                perror("diskbench: io_submit");
                return -1;
            }
            submitted++;
        }
    }
    double s = now_s() - t0;
    syscall(SYS_io_destroy, ctx);
    row("rand-qd32", ops / s, "IOPS", ops, s);
    return 0;
}

static int fsync_lat(int fd, void *buf, unsigned ops)
{
    double t0 = now_s();
    for (unsigned i = 0; i < ops; i++) {
        if (pwrite(fd, buf, RAND_BLOCK, (off_t)(i % 256) * RAND_BLOCK) != (ssize_t)RAND_BLOCK ||
            fdatasync(fd)) {
            perror("diskbench: write+fdatasync");
            return -1;
        }
    }
    double s = now_s() - t0;
    row("fsync", s / ops * 1e6, "us", ops, s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: diskbench DEVICE [RANDOM-OPS [FSYNC-OPS [SEQ-KIB]]]\n");
        return 2;
    }
    unsigned rand_ops = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
    unsigned fsync_ops = argc > 3 ? (unsigned)atoi(argv[3]) : 200;
    if (argc > 4)
        seq_block = (unsigned)atoi(argv[4]) << 10;
    if (seq_block < 4096 || seq_block > SEQ_MAX || seq_block % 4096) {
        fprintf(stderr, "diskbench: sequential block of 4 to 128 KiB, a multiple of 4\n");
        return 2;
    }
    int fd = open(argv[1], O_RDWR | O_DIRECT);
    uint64_t bytes = 0;
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes) || bytes < SEQ_MAX) {
        perror("diskbench: open");
        return 1;
    }
    char *buf = aligned_alloc(4096, SEQ_MAX + (size_t)QD * RAND_BLOCK);
    if (!buf)
        return 1;
    memset(buf, 0, SEQ_MAX + (size_t)QD * RAND_BLOCK);
    uint64_t blocks = bytes / RAND_BLOCK;
    if (seq(fd, bytes, buf, 0) || seq(fd, bytes, buf, 1) ||
        rand_qd1(fd, blocks, buf, rand_ops) || rand_qd32(fd, blocks, buf, rand_ops) ||
        fsync_lat(fd, buf, fsync_ops))
        return 1;
    close(fd);
    return 0;
}
