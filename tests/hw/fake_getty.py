"""A scripted board for the login tests: run with stdin/stdout on a pty's master side, it shows
a getty's login prompt, asks for a password, refuses wrong credentials like login(1), and on
success becomes a real shell (bash; dash does not read commands from a pty master), which then
answers the driver's commands.

Usage: fake_getty.py USER PASSWORD [PROMPT]   (PROMPT: after the host name, default "login: ")
"""

import os
import sys

HOST = "\r\ntzboard "


def read_line() -> str:
    """A line as a terminal sends it: ended by CR or LF (the pty is raw)."""
    chars = []
    while (char := os.read(0, 1)) not in (b"\r", b"\n", b""):
        chars.append(char)
    return b"".join(chars).decode()


def say(text: str) -> None:
    os.write(1, text.encode())


def main() -> None:
    user, password = sys.argv[1:3]
    prompt = HOST + (sys.argv[3] if len(sys.argv) > 3 else "login: ")
    while True:
        say(prompt)
        name = read_line()
        if not name:
            continue  # an empty line: a getty shows its prompt again
        say("Password: ")
        if name == user and read_line() == password:
            os.execvp("bash", ["bash", "--norc", "--noprofile"])
        say("\r\nLogin incorrect\r\n")


if __name__ == "__main__":
    main()
