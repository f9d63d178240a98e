"""A small IMAP4rev1 server on 127.0.0.1 for tests: enough of RFC 3501 for imaplib's
CAPABILITY, LOGIN, SELECT/EXAMINE (with UIDVALIDITY), UID SEARCH, UID FETCH (BODY.PEEK[] /
RFC822) and LOGOUT. Messages live in memory: `server.add(raw)` appends one with the next UID."""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Folder:
    uidvalidity: int = 1000
    messages: list[tuple[int, bytes]] = field(default_factory=list)  # (uid, raw)
    next_uid: int = 1


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] kith test IMAP ready")
        selected: Folder | None = None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = line.decode().rstrip("\r\n").split(" ", 2)
            tag, command = parts[0], parts[1].upper() if len(parts) > 1 else ""
            args = parts[2] if len(parts) > 2 else ""
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                user, password = [a.strip('"') for a in args.split(" ", 1)]
                if (user, password) == (self.server.username, self.server.password):
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif command in {"SELECT", "EXAMINE"}:
                name = args.strip().strip('"')
                selected = self.server.folders.get(name)
                if selected is None:
                    self.send(f"{tag} NO no such mailbox")
                    continue
                self.send(f"* {len(selected.messages)} EXISTS")
                self.send("* 0 RECENT")
                self.send(f"* OK [UIDVALIDITY {selected.uidvalidity}] UIDs valid")
                self.send(f"* OK [UIDNEXT {selected.next_uid}] next UID")
                self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
                self.send(f"{tag} OK [{mode}] {command} completed")
            elif command == "UID" and selected is not None:
                self._uid(tag, args, selected)
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unknown or out-of-state command")

    def _uids(self, spec: str, folder: Folder) -> list[tuple[int, int, bytes]]:
        """(sequence number, uid, raw) of the messages in a UID set like 3:* or 1,4,7."""
        highest = folder.messages[-1][0] if folder.messages else 0
        wanted: set[int] = set()
        for piece in spec.split(","):
            if ":" in piece:
                low_s, high_s = piece.split(":")
                low = highest if low_s == "*" else int(low_s)
                high = highest if high_s == "*" else int(high_s)
                low, high = min(low, high), max(low, high)
                wanted.update(u for u, _raw in folder.messages if low <= u <= high)
            else:
                wanted.add(highest if piece == "*" else int(piece))
        return [
            (seq, uid, raw)
            for seq, (uid, raw) in enumerate(folder.messages, start=1)
            if uid in wanted
        ]

    def _uid(self, tag: str, args: str, folder: Folder) -> None:
        sub, rest = [*args.split(" ", 1), ""][:2]
        sub = sub.upper()
        if sub == "SEARCH":
            match = re.search(r"UID (\S+)", rest, re.IGNORECASE)
            spec = match.group(1) if match else "1:*"
            found = [str(uid) for _seq, uid, _raw in self._uids(spec, folder)]
            self.send("* SEARCH" + "".join(f" {u}" for u in found))
            self.send(f"{tag} OK SEARCH completed")
        elif sub == "FETCH":
            spec, items = rest.split(" ", 1)
            item = "RFC822" if "RFC822" in items.upper() else "BODY[]"
            for seq, uid, raw in self._uids(spec, folder):
                self.wfile.write(f"* {seq} FETCH (UID {uid} {item} {{{len(raw)}}}\r\n".encode())
                self.wfile.write(raw)
                self.send(")")
            self.send(f"{tag} OK FETCH completed")
        else:
            self.send(f"{tag} BAD unsupported UID command")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    folders: dict[str, Folder]
    username: str
    password: str


class ImapServer:
    """Start with `ImapServer().start()`; `host`, `port`, `username`, `password` to connect."""

    def __init__(self, username: str = "inbox@kith.test", password: str = "secret") -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.folders = {"INBOX": Folder()}
        self._server.username = username
        self._server.password = password
        self.username = username
        self.password = password
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def inbox(self) -> Folder:
        return self._server.folders["INBOX"]

    def add(self, raw: bytes, folder: str = "INBOX") -> int:
        box = self._server.folders[folder]
        uid = box.next_uid
        box.messages.append((uid, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
        box.next_uid += 1
        return uid

    def reset_uidvalidity(self, value: int) -> None:
        """Renumber the folder, as a server does after a rebuild: new UIDVALIDITY, new UIDs."""
        box = self.inbox
        box.uidvalidity = value
        box.messages = [(i, raw) for i, (_uid, raw) in enumerate(box.messages, start=1)]
        box.next_uid = len(box.messages) + 1

    def start(self) -> ImapServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
