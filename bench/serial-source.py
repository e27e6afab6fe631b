# The serial source of bench/serial.ts: a UNIX socket server standing in for a guest's serial
# port. `flood`: every connection gets 64 KiB writes as fast as it drains. `chatty`: 1-16 byte
# writes, RATE per second, each its own write (a guest echoing keystrokes, a slow log).
# `paced`: 16 KiB writes adding up to RATE bytes per second per connection.
# `stamped`: SIZE-byte writes adding up to RATE bytes per second, each starting with
# `@T<CLOCK_MONOTONIC ns>;` so a reader can tell how long the bytes took to reach it.
# `drain`: 1-16 byte writes as fast as the reader takes them; SIGUSR1 prints `count WRITES BYTES`.
# `echo`: sends back whatever it receives (a guest echoing keystrokes).
# Every connection gets its own copy (websockify opens one upstream per client).
# Usage: serial-source.py PATH MODE [RATE] [SIZE]
import os, random, signal, socket, sys, threading, time

path, mode = sys.argv[1], sys.argv[2]
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 5000.0
size = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
try:
    os.unlink(path)
except FileNotFoundError:
    pass
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(4096)
line = (b"0123456789abcdefghijklmnopqrstuvwxyz" * 2)[:70] + b"\r\n"
block = (line * (65536 // len(line) + 1))[:65536]


def flood(conn):
    try:
        while True:
            conn.sendall(block)
    except OSError:
        conn.close()


def every(conn, interval, send):
    """Calls send() every `interval` seconds (on a fixed schedule) until the peer goes."""
    due = time.monotonic()
    try:
        while True:
            send()
            due += interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    except OSError:
        conn.close()


def paced(conn):
    piece = block[:16384]
    every(conn, len(piece) / rate, lambda: conn.sendall(piece))


def chatty(conn):
    pos = 0

    def send():
        nonlocal pos
        n = random.randint(1, 16)
        conn.send(line[pos : pos + n] if pos + n <= len(line) else line[:n])
        pos = (pos + n) % len(line)

    every(conn, 1.0 / rate, send)


def stamped(conn):
    filler = block[:size]

    def send():
        stamp = b"@T%d;" % time.monotonic_ns()
        conn.sendall(stamp + filler[len(stamp) :])

    every(conn, size / rate, send)


# Writes and bytes of all `drain` connections; each thread adds its own when it ends a batch.
counts = [0, 0]
counts_lock = threading.Lock()


def drain(conn):
    pieces = [line[:n] for n in (random.randint(1, 16) for _ in range(4096))]
    batch = sum(len(p) for p in pieces)
    try:
        while True:
            for piece in pieces:
                conn.send(piece)
            with counts_lock:
                counts[0] += len(pieces)
                counts[1] += batch
    except OSError:
        conn.close()


def echo(conn):
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    conn.close()


def report(_signum, _frame):
    with counts_lock:
        print("count %d %d" % (counts[0], counts[1]), flush=True)


signal.signal(signal.SIGUSR1, report)
print("ready", flush=True)
while True:
    conn, _ = server.accept()
    target = {"flood": flood, "paced": paced, "chatty": chatty, "stamped": stamped, "drain": drain, "echo": echo}[mode]
    threading.Thread(target=target, args=(conn,), daemon=True).start()
