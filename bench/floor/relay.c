// The floor under a VNC relay (bench/vnc.ts, flood section): the smallest relay there is, in C.
// It listens on 127.0.0.1:PORT and forks a process per browser connection (as websockify does):
// answers the WebSocket upgrade without checking it, connects to the VNC server's UNIX socket,
// and relays server → browser only, a binary frame header before each chunk. `copy` reads into
// a buffer and writes it (what every user-space relay does); `splice` moves the bytes
// socket → pipe → socket with splice(2), the zero-copy path.
// usage: relay copy|splice UNIX_PATH TCP_PORT   (prints "ready" once listening)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char RESPONSE[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: binary\r\n\r\n";

/* Reaped children's CPU time lands in this process's cutime/cstime, which the bench reads. */
static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

static void header(unsigned char *h, long long n) {
  h[0] = 0x82;
  h[1] = 127;
  for (int i = 0; i < 8; i++) h[2 + i] = (unsigned long long)n >> (56 - 8 * i);
}

static int write_all(int fd, const void *data, size_t n, int flags) {
  for (size_t off = 0; off < n;) {
    ssize_t w = send(fd, (const char *)data + off, n - off, MSG_NOSIGNAL | flags);
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  return 0;
}

static void serve(int c, const char *mode, const char *path) {
  char req[4096];
  size_t got = 0;
  while (got < sizeof req - 1) {  // the request, up to the blank line
    ssize_t n = read(c, req + got, sizeof req - 1 - got);
    if (n <= 0) return;
    got += (size_t)n;
    req[got] = 0;
    if (strstr(req, "\r\n\r\n")) break;
  }
  if (write_all(c, RESPONSE, sizeof RESPONSE - 1, 0)) return;
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un ua = {0};
  ua.sun_family = AF_UNIX;
  strncpy(ua.sun_path, path, sizeof ua.sun_path - 1);
  if (connect(u, (void *)&ua, sizeof ua)) return;
  unsigned char h[10];
  if (!strcmp(mode, "copy")) {
    static char buf[256 * 1024];
    for (;;) {
      ssize_t n = read(u, buf, sizeof buf);
      if (n <= 0) return;
      header(h, n);
      if (write_all(c, h, 10, MSG_MORE) || write_all(c, buf, (size_t)n, 0)) return;
    }
  }
  int p[2];
  if (pipe(p)) return;
  fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
  for (;;) {
    ssize_t n = splice(u, NULL, p[1], NULL, 256 * 1024, SPLICE_F_MOVE);
    if (n <= 0) return;
    header(h, n);
    if (write_all(c, h, 10, MSG_MORE)) return;
    for (ssize_t left = n; left > 0;) {
      ssize_t w = splice(p[0], NULL, c, NULL, (size_t)left, SPLICE_F_MOVE | SPLICE_F_MORE);
      if (w <= 0) return;
      left -= w;
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  signal(SIGCHLD, reap);
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[3]));
  a.sin_addr.s_addr = htonl(0x7f000001);
  if (bind(ls, (void *)&a, sizeof a) || listen(ls, 16)) return 1;
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fork() == 0) {
      close(ls);
      serve(c, argv[1], argv[2]);
      _exit(0);
    }
    close(c);
  }
}
