"""What `ansible-playbook --list-tasks` lists, for many tag selections at once, through Ansible's own API.

Run as a script (its own process: Ansible keeps global state):
    python list_tasks.py INVENTORY PLAYBOOK SELECTIONS_JSON
where SELECTIONS_JSON is a list of {"tags": [...], "skip_tags": [...]}. Prints a JSON list, one
entry per selection: the plays, each a list of [task name, sorted tags].

The playbook and its roles are loaded once; each selection then runs the same tag evaluation the
CLI's --list-tasks runs (Play.only_tags/skip_tags, Block.filter_tagged_tasks, implicit meta
tasks left out), which takes milliseconds instead of a second of loading per run.
"""

from __future__ import annotations

import json
import sys

from ansible import constants as C
from ansible.cli.playbook import PlaybookCLI
from ansible.playbook import Playbook
from ansible.playbook.block import Block
from ansible.plugins.loader import init_plugin_loader
from ansible.utils.display import Display


def _tasks(block, play_tags: set[str]) -> list[list]:
    out = []
    for task in block.block:
        if isinstance(task, Block):
            out.extend(_tasks(task, play_tags))
        elif not (task.action in C._ACTION_META and task.implicit):
            out.append([task.get_name() if task.name else task.action, sorted(play_tags | set(task.tags))])
    return out


def main(inventory: str, playbook: str, selections: list[dict]) -> list:
    cli = PlaybookCLI(["ansible-playbook", "-i", inventory, playbook, "--list-tasks"])
    cli.parse()
    init_plugin_loader([])  # as CLI.run does: the collection loader, then the plugin paths
    loader, _, variable_manager = cli._play_prereqs()
    Display().verbosity = 0
    plays = Playbook.load(playbook, variable_manager=variable_manager, loader=loader).get_plays()
    out = []
    for selection in selections:
        listed = []
        for play in plays:
            play.only_tags = set(selection.get("tags") or []) or frozenset(("all",))
            play.skip_tags = set(selection.get("skip_tags") or [])
            all_vars = variable_manager.get_vars(play=play)
            tasks = []
            for block in play.compile():
                block = block.filter_tagged_tasks(all_vars)
                if block.has_tasks():
                    tasks.extend(_tasks(block, set(play.tags)))
            listed.append(tasks)
        out.append(listed)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))))
