#!/usr/bin/env python3
"""A throw-away SMTP sink for scripts/fuzz-local.sh: accepts every message and keeps none.

With SMTP_URL unset, POST /api/admin/email/broadcast answers 503 by design, and schemathesis'
not_a_server_error check reports that as a failure; with this sink the route is fuzzed for real
(validation, audit, the send loop). Standard library only.

    scripts/smtp-sink.py PORT_FILE     binds 127.0.0.1 on a free port, writes the port to PORT_FILE
"""
import asyncio
import sys


async def session(reader, writer):
    writer.write(b"220 sink ESMTP\r\n")
    in_data = False
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            if in_data:
                if line in (b".\r\n", b".\n"):
                    in_data = False
                    writer.write(b"250 queued\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                in_data = True
                writer.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            elif verb == b"EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            else:  # HELO, MAIL, RCPT, RSET, NOOP, AUTH
                writer.write(b"250 ok\r\n" if verb != b"AUTH" else b"235 ok\r\n")
            await writer.drain()
    except (ConnectionError, ValueError, asyncio.IncompleteReadError):
        pass  # a dropped client or an over-long line ends that session only
    finally:
        writer.close()


async def main(port_file):
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=1 << 20)
    with open(port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
