#!/usr/bin/env python3
"""One-connection test server: a plaintext preamble, then TLS server-side.

Used only by scripts/make-captures.sh to record captures where the TLS
handshake does not start at the first TCP payload byte:

  --mode smtp          SMTP STARTTLS (RFC 3207): "220 ready", EHLO -> "250-x/250 STARTTLS",
                       STARTTLS -> "220 go ahead", then TLS.
  --mode http-connect  HTTP CONNECT (RFC 9110 section 9.3.6): reads the request head,
                       answers "200 Connection established", then TLS itself (no upstream).

After the handshake it answers one line/request and closes. It is not a real
SMTP server or proxy: just enough for openssl s_client and curl to proceed.
"""
import argparse
import socket
import ssl
import sys


def read_line(conn: socket.socket) -> bytes:
    """Reads up to and including CRLF (or LF), one byte at a time: no read-ahead,
    so no TLS bytes are swallowed before wrap_socket."""
    line = b""
    while not line.endswith(b"\n"):
        b = conn.recv(1)
        if not b:
            break
        line += b
    return line


def smtp_preamble(conn: socket.socket) -> None:
    conn.sendall(b"220 ready\r\n")
    while True:
        line = read_line(conn)
        if not line:
            raise SystemExit("client closed during SMTP preamble")
        verb = line.strip().split(b" ")[0].upper()
        if verb in (b"EHLO", b"HELO"):
            conn.sendall(b"250-x\r\n250 STARTTLS\r\n")
        elif verb == b"STARTTLS":
            conn.sendall(b"220 go ahead\r\n")
            return
        else:
            conn.sendall(b"502 not implemented\r\n")


def http_connect_preamble(conn: socket.socket) -> None:
    request_line = read_line(conn)
    if not request_line.upper().startswith(b"CONNECT "):
        raise SystemExit(f"expected CONNECT, got {request_line!r}")
    while read_line(conn) not in (b"\r\n", b"\n", b""):
        pass  # request headers (Host, User-Agent, ...) are ignored
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("smtp", "http-connect"), required=True)
    ap.add_argument("--listen", required=True, help="address to bind")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)

    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as ls:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((args.listen, args.port))
        ls.listen(1)
        conn, _ = ls.accept()
        with conn:
            if args.mode == "smtp":
                smtp_preamble(conn)
            else:
                http_connect_preamble(conn)
            with ctx.wrap_socket(conn, server_side=True) as tls:
                if args.mode == "smtp":
                    read_line_tls = tls.recv(1024)  # e.g. "QUIT" or EOF
                    if read_line_tls:
                        tls.sendall(b"221 bye\r\n")
                else:
                    tls.recv(4096)  # the tunnelled GET
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
                try:
                    tls.unwrap()
                except (ssl.SSLError, OSError):
                    pass  # the client may already have closed
    return 0


if __name__ == "__main__":
    sys.exit(main())
