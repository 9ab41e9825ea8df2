// A minimal io_uring echo server for W4, outside the library: how low can io_uring go on this
// machine, against ../shared/peers' C epoll server? (docs/design.md quotes its runs.)
// Not part of the build:
//   gcc -O2 -o /tmp/uring_echo bench/probes/uring_echo.c -luring
//   bench/probes/alternate_echo_runs.sh 6 "cepoll=build/peers/epoll_server echo @PORT@"
//       "multishot=COOP=1 /tmp/uring_echo @PORT@" "oneshot=COOP=1 SINGLE=1 /tmp/uring_echo @PORT@"
//   (one command line)
//
//   uring_echo PORT [sendmode]   sendmode 0: sends as submissions, 1: send() calls (default 1)
// Environment: NBUF, BUFSZ (the provided-buffer ring: 256 x 4096), SINGLE=1 (one-shot recv,
// armed again after each completion; default multishot), COOP=1 (COOP_TASKRUN instead of
// SINGLE_ISSUER|DEFER_TASKRUN), PLAIN=1 (neither).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { ACCEPT = 1, RECV = 2, SEND = 3, BGID = 1, MAXFD = 65536, OUTMAX = 65536 };

typedef struct {
    int fd, sending, outlen, pendlen;
    char out[OUTMAX], pend[OUTMAX];
} conn_t;

static conn_t *conns[MAXFD];
static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static int nbuf = 256, bufsz = 4096, single, sendmode = 1;

static unsigned long long ud(int op, int fd) { return ((unsigned long long)op << 32) | (unsigned)fd; }

static struct io_uring_sqe *sqe_get(void) {
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);
    if (!s) {
        io_uring_submit(&ring);
        s = io_uring_get_sqe(&ring);
    }
    return s;
}

static void arm_accept(int ls) {
    struct io_uring_sqe *s = sqe_get();
    io_uring_prep_multishot_accept(s, ls, NULL, NULL, 0);
    io_uring_sqe_set_data64(s, ud(ACCEPT, ls));
}

static void arm_recv(int fd) {
    struct io_uring_sqe *s = sqe_get();
    if (single)
        io_uring_prep_recv(s, fd, NULL, (unsigned)bufsz, 0);
    else
        io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    io_uring_sqe_set_data64(s, ud(RECV, fd));
}

static void arm_send(conn_t *c) {
    struct io_uring_sqe *s = sqe_get();
    io_uring_prep_send(s, c->fd, c->out, (size_t)c->outlen, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, ud(SEND, c->fd));
    c->sending = 1;
}

static void drop(int fd) {
    if (conns[fd]) {
        close(fd);
        free(conns[fd]);
        conns[fd] = NULL;
    }
}

static void echo(conn_t *c, const char *data, int n) {
    if (sendmode == 1) {
        if (send(c->fd, data, (size_t)n, MSG_NOSIGNAL) < 0 && errno != EAGAIN) drop(c->fd);
    } else if (!c->sending) {
        memcpy(c->out, data, (size_t)n);
        c->outlen = n;
        arm_send(c);
    } else if (c->pendlen + n <= OUTMAX) {
        memcpy(c->pend + c->pendlen, data, (size_t)n);
        c->pendlen += n;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [sendmode]\n", argv[0]);
        return 2;
    }
    const int port = atoi(argv[1]);
    if (argc > 2) sendmode = atoi(argv[2]);
    if (getenv("NBUF")) nbuf = atoi(getenv("NBUF"));
    if (getenv("BUFSZ")) bufsz = atoi(getenv("BUFSZ"));
    single = getenv("SINGLE") != NULL;
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("bind");
        return 1;
    }
    listen(ls, 1024);

    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (getenv("COOP")) p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    if (getenv("PLAIN")) p.flags = 0;
    int rc = io_uring_queue_init_params(1024, &ring, &p);
    if (rc < 0) {
        fprintf(stderr, "io_uring_setup: %s\n", strerror(-rc));
        return 1;
    }
    br = mmap(NULL, (size_t)nbuf * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = (unsigned)nbuf, .bgid = BGID};
    rc = io_uring_register_buf_ring(&ring, &reg, 0);
    if (rc) {
        fprintf(stderr, "register_buf_ring: %s\n", strerror(-rc));
        return 1;
    }
    io_uring_buf_ring_init(br);
    bufs = malloc((size_t)nbuf * (size_t)bufsz);
    for (int i = 0; i < nbuf; i++)
        io_uring_buf_ring_add(br, bufs + (size_t)i * (size_t)bufsz, (unsigned)bufsz, (unsigned short)i, io_uring_buf_ring_mask((unsigned)nbuf), i);
    io_uring_buf_ring_advance(br, nbuf);
    arm_accept(ls);

    for (;;) {
        struct io_uring_cqe *cqe;
        io_uring_submit_and_wait(&ring, 1);
        unsigned head, seen = 0;
        int returned = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            seen++;
            const int op = (int)(cqe->user_data >> 32), fd = (int)(cqe->user_data & 0xffffffff), res = cqe->res;
            const int more = (cqe->flags & IORING_CQE_F_MORE) != 0;
            if (op == ACCEPT) {
                if (res >= 0 && res < MAXFD) {
                    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[res] = calloc(1, sizeof(conn_t));
                    conns[res]->fd = res;
                    arm_recv(res);
                } else if (res >= 0) {
                    close(res);
                }
                if (!more) arm_accept(ls);
            } else if (op == RECV) {
                conn_t *c = conns[fd];
                if (res > 0) {
                    const int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                    char *data = bufs + (size_t)bid * (size_t)bufsz;
                    if (c) echo(c, data, res);
                    io_uring_buf_ring_add(br, data, (unsigned)bufsz, (unsigned short)bid, io_uring_buf_ring_mask((unsigned)nbuf), returned++);
                    if (!more && conns[fd]) arm_recv(fd);
                } else if (res == -ENOBUFS) {
                    if (c) arm_recv(fd);
                } else {
                    drop(fd);
                }
            } else if (op == SEND) {
                conn_t *c = conns[fd];
                if (!c) continue;
                c->sending = 0;
                if (res >= 0 && res < c->outlen) {
                    memmove(c->out, c->out + res, (size_t)(c->outlen - res));
                    c->outlen -= res;
                    arm_send(c);
                } else if (c->pendlen) {
                    memcpy(c->out, c->pend, (size_t)c->pendlen);
                    c->outlen = c->pendlen;
                    c->pendlen = 0;
                    arm_send(c);
                }
            }
        }
        if (returned) io_uring_buf_ring_advance(br, returned);
        io_uring_cq_advance(&ring, seen);
    }
}
