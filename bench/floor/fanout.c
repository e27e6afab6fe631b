// The floor under a serial console's fan-out (bench/serial.ts, drain and fan-out sections): the
// smallest shared-console relay there is, in C. One process, one thread, epoll. It connects once
// to the source's UNIX socket and listens on 127.0.0.1:PORT; each browser connection's WebSocket
// upgrade is answered without checking it; every read of the source goes at once to every
// viewer as one binary frame (header and payload in one writev, no coalescing, no history, no
// queue). A viewer whose socket cannot take a frame whole is dropped: the bench's viewers keep
// up, and a floor keeps no per-viewer buffer. On exit it prints how many were dropped while others
// were still connected (viewers the bench closes at the end are not counted).
// It shows what the kernel alone costs for "one read, N sends" on this machine, the part of the
// fan-out and drain figures no user-space relay can go below.
// usage: fanout UNIX_PATH TCP_PORT   (prints "ready PORT" once listening)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static const char RESPONSE[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

#define MAX_VIEWERS 65536
static int viewers[MAX_VIEWERS];
static int viewer_count;
static long dropped;
static int most_viewers;

static void on_term(int sig) {
  (void)sig;
  fprintf(stderr, "fanout floor: up to %d viewers, %ld dropped while serving\n", most_viewers, dropped);
  _exit(0);
}

/* Reads the upgrade request (up to its blank line) and answers it; the socket then joins. */
static void accept_viewer(int listener) {
  int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  char req[4096];
  size_t got = 0;
  while (got < sizeof req - 1) {
    ssize_t n = read(c, req + got, sizeof req - 1 - got);
    if (n <= 0) {
      close(c);
      return;
    }
    got += (size_t)n;
    req[got] = 0;
    if (strstr(req, "\r\n\r\n")) break;
  }
  if (send(c, RESPONSE, sizeof RESPONSE - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof RESPONSE - 1) ||
      viewer_count == MAX_VIEWERS) {
    close(c);
    return;
  }
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(c, F_SETFL, O_NONBLOCK);
  viewers[viewer_count++] = c;
  if (viewer_count > most_viewers) most_viewers = viewer_count;
}

/* One binary frame to every viewer; a viewer that does not take it whole is dropped. */
static void fan_out(const char *data, size_t n) {
  unsigned char h[10];
  size_t hl;
  h[0] = 0x82;
  if (n < 126) {
    h[1] = (unsigned char)n;
    hl = 2;
  } else if (n < 65536) {
    h[1] = 126;
    h[2] = (unsigned char)(n >> 8);
    h[3] = (unsigned char)n;
    hl = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; i++) h[2 + i] = (unsigned char)((unsigned long long)n >> (56 - 8 * i));
    hl = 10;
  }
  struct iovec iov[2] = {{h, hl}, {(void *)data, n}};
  for (int i = 0; i < viewer_count;) {
    errno = 0;
    if (writev(viewers[i], iov, 2) == (ssize_t)(hl + n)) {
      i++;
      continue;
    }
    // EAGAIN or a short write: a viewer too slow for a floor. A closed one (EPIPE, ECONNRESET)
    // is the bench hanging up at the end, not a drop.
    if (errno == EAGAIN || errno == 0) dropped++;
    close(viewers[i]);
    viewers[i] = viewers[--viewer_count];
  }
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  signal(SIGTERM, on_term);
  signal(SIGPIPE, SIG_IGN);
  int source = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un ua = {0};
  ua.sun_family = AF_UNIX;
  strncpy(ua.sun_path, argv[1], sizeof ua.sun_path - 1);
  if (connect(source, (void *)&ua, sizeof ua)) return 1;
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[2]));
  a.sin_addr.s_addr = htonl(0x7f000001);
  if (bind(listener, (void *)&a, sizeof a) || listen(listener, 4096)) return 1;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &e);
  e.data.fd = source;
  epoll_ctl(ep, EPOLL_CTL_ADD, source, &e);
  printf("ready %s\n", argv[2]);
  fflush(stdout);
  static char buf[256 * 1024];
  for (;;) {
    struct epoll_event ready[2];
    int k = epoll_wait(ep, ready, 2, -1);
    for (int i = 0; i < k; i++) {
      if (ready[i].data.fd == listener) {
        accept_viewer(listener);
        continue;
      }
      ssize_t n = read(source, buf, sizeof buf);
      if (n <= 0) on_term(0);
      fan_out(buf, (size_t)n);
    }
  }
}
