"""Config lines onto a device: sent in blocks, every line's answer checked.

Netmiko's send_config_set waits for each line's echo and prompt before it sends the next: one
round trip per line, which at 145 lines and 248 devices made the push CPU- and latency-bound.
Here a block of lines goes out in one write, and the answer is read until one config prompt
per line has come back. The text between two prompts is one line's answer, so an error still
names the line that caused it. After a refused line nothing more is sent; the lines already in
the same block may have been applied, which the caller's rollback undoes.
"""

from __future__ import annotations

import re
import time

from netmiko.exceptions import ConfigInvalidException, ReadTimeout

from pdc.wan.platforms import Driver, driver

# Lines per write. A switch reads pasted input through its terminal buffer; blocks of a few dozen
# lines are what engineers paste by hand, and the session waits for each block's prompts.
BLOCK = 32
POLL = 0.005


def send_lines(conn, lines: list[str], read_timeout: float, block: int = BLOCK,
               platform: Driver | None = None, config_command: str | None = None) -> str:
    """Send config lines in config mode (entered and left here, as send_banner does); raise on the
    first refused line. `platform`: the device's driver (its prompt and error patterns);
    `config_command`: the command that opens config mode, when not the plain one (a revert timer)."""
    chosen = platform or driver("cisco_ios")
    try:
        # the opening may print more than a plain one (IOS names the archive file it wrote, which may hold
        # the hostname): read to the prompt that follows, config or exec (a refusal)
        output = [conn.config_mode(config_command, pattern=rf"(?:\(config[^)]*\)|{re.escape(conn.base_prompt)})#")
                  if config_command else conn.config_mode()]
    except ValueError:
        if not config_command:
            raise
        raise ConfigInvalidException(f"Invalid input detected at command: {config_command}, "
                                     f"matched error: the device did not enter config mode") from None
    for start in range(0, len(lines), block):
        chunk = lines[start:start + block]
        conn.write_channel("".join(conn.normalize_cmd(line) for line in chunk))
        answer = _read_prompts(conn, len(chunk), read_timeout, chosen.config_prompt)
        output.append(answer)
        _check(chunk, answer, chosen)
    output.append(conn.exit_config_mode())
    return "".join(output)


def _read_prompts(conn, count: int, read_timeout: float, prompt: re.Pattern) -> str:
    """Read until `count` config prompts have arrived (each line answers with one)."""
    buffer = ""
    deadline = time.monotonic() + read_timeout
    while True:
        data = conn.read_channel()
        if data:
            buffer += data
            if len(prompt.findall(buffer)) >= count:
                return buffer
            deadline = time.monotonic() + read_timeout  # a slow device that still answers is alive
            continue
        if conn.remote_conn.closed or time.monotonic() > deadline:
            raise ReadTimeout(f"{len(prompt.findall(buffer))} of {count} prompts before silence")
        time.sleep(POLL)


def _check(chunk: list[str], answer: str, chosen: Driver) -> None:
    # answers[i] is line i's echo and output: the text up to the prompt that follows it
    answers = chosen.config_prompt.split(answer)
    for line, text in zip(chunk, answers, strict=False):
        error = re.search(chosen.error_pattern, text)
        if error:
            raise ConfigInvalidException(
                f"Invalid input detected at command: {line.strip()}, matched error: {error.group(0)}")


def send_banner(conn, lines: list[str], read_timeout: float) -> None:
    """IOS banner text lines are not commands: send them as a block and check the result once.

    Netmiko's send_config_set would switch off echo checking for the whole set and read each
    line with a timing loop (2-100 s); here the lines go out together and the prompt ends it.
    """
    conn.config_mode()
    conn.write_channel("\n".join(lines) + "\n")
    output = conn.read_until_pattern(pattern=re.escape(conn.base_prompt) + r"\(config\)#", read_timeout=read_timeout)
    conn.exit_config_mode()
    if re.search(driver("cisco_ios").error_pattern, output):
        raise ConfigInvalidException("the banner was refused")
