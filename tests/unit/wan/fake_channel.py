"""A device's config session reduced to its channel: echo, an error under a refused line, a prompt."""

from __future__ import annotations

IOS_ERROR = "% Invalid input detected at '^' marker.\n"
VRP_ERROR = "                ^\nError: Unrecognized command found at '^' position.\n"


def ios_prompt(line: str) -> str:
    return f"sw-01({'config-if' if line.startswith('interface') else 'config'})#"


def vrp_prompt(line: str) -> str:
    return f"[~dc{'-Vlanif10' if line.startswith('interface') else ''}]"


class Channel:
    """Answers like IOS by default; ``answer_only`` lines, then the device drops the session."""

    def __init__(self, refuse: str | None = None, answer_only: int | None = None,
                 error: str = IOS_ERROR, prompt=ios_prompt):
        self.refuse, self.answer_only, self.error, self.prompt = refuse, answer_only, error, prompt
        self.sent: list[str] = []
        self.pending = ""
        self.remote_conn = type("Remote", (), {"closed": False})()

    def config_mode(self) -> str:
        return ""

    def exit_config_mode(self) -> str:
        return ""

    def normalize_cmd(self, line: str) -> str:
        return line.rstrip() + "\n"

    def write_channel(self, data: str) -> None:
        for line in data.splitlines():
            if self.answer_only is not None and len(self.sent) >= self.answer_only:
                self.remote_conn.closed = True
                return
            self.sent.append(line)
            self.pending += line + "\n"
            if line.strip() == self.refuse:
                self.pending += self.error
            self.pending += self.prompt(line)

    def read_channel(self) -> str:
        data, self.pending = self.pending, ""
        return data
