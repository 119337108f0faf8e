#!/usr/bin/env python3
"""Damages copies of a store and runs the annals commands on each: none may die of a signal or hang.

Usage: tools/faults/damage-sweep.py STORE [--copies N] [--seed S] [--headers] [--annals PATH]

Each copy of STORE gets 1 to 4 bit flips past the two meta pages: anywhere in the data file, or with --headers in
the first 40 bytes of a page (its header and first node offsets, where damage breaks the B-tree rather than a
record). Every command then runs on the copy, in the order of COMMANDS: the queries first (`plugin jobs` among them
records abandoned executions), then the copies and rebuilds, then the other writing ones, `append` last. Exit codes
are tallied per command; a command killed by a signal or running past 60 seconds is a failure, printed with its
stderr, and makes the sweep exit 1. The commands name things of `make demo`'s store (thing-0007, org acme, plugin
echo, cursor billing), which is a good STORE to sweep.
"""
import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile

COMMANDS = [
    ["verify"], ["verify", "--indexes"], ["head"], ["get", "1500"], ["read", "--limit", "50"],
    ["read", "--type", "thing.updated"], ["read", "--actor", "annals-cli"], ["read", "--target", "thing-0007"],
    ["tail", "--from", "4000"], ["replay", "--type", "thing.created"], ["stats"], ["things"],
    ["things", "--id", "thing-0007"], ["connections"], ["knowledge"], ["search", "wallet"], ["graph", "thing-0007"],
    ["state", "--at", "2000"], ["plugin", "list", "--group", "acme"], ["plugin", "search", "wallet"],
    ["plugin", "show", "echo", "--group", "acme"], ["plugin", "explain", "echo", "--group", "acme"],
    ["plugin", "outdated", "--group", "acme"], ["plugin", "history", "echo", "--group", "acme"],
    ["plugin", "jobs"], ["plugin", "subscriptions", "--group", "acme"], ["plugin", "dead-letters", "--group", "acme"],
    ["cursors", "list"], ["cursors", "show", "billing"], ["audit", "--group", "acme"], ["snapshot", "list"],
    ["rollback", "--to", "3000", "--dry-run"],
    ["backup", "{dest}"], ["backup", "{dest}", "--rewrite"], ["reindex"], ["rebuild", "--all"],
    ["plugin", "pin", "echo", "--group", "acme"], ["plugin", "dispatch", "--group", "acme"],
    ["plugin", "run", "echo", "echo", "--group", "acme", "--input", "{}"],
    ["cursors", "reset", "billing", "--to", "10"], ["append", "--file", "{events}"],
]
PAGE = 4096


def damage(path, rng, headers):
    size = os.path.getsize(path)
    with open(path, "r+b") as data:
        for _ in range(rng.randint(1, 4)):
            if headers:
                position = rng.randrange(2, size // PAGE) * PAGE + rng.randrange(0, 40)
            else:
                position = rng.randrange(2 * PAGE, size)
            data.seek(position)
            byte = data.read(1)[0]
            data.seek(position)
            data.write(bytes([byte ^ (1 << rng.randrange(8))]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--headers", action="store_true")
    parser.add_argument("--annals", default=os.path.join(os.path.dirname(__file__), "../../.build/release/annals"))
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    tally = collections.Counter()
    failures = []
    with tempfile.TemporaryDirectory(prefix="annals-damage-") as scratch:
        events = os.path.join(scratch, "events.jsonl")
        with open(events, "w") as lines:
            lines.write('{"type":"note.added","targetId":"note-1","metadata":{"text":"after the damage"}}\n')
            lines.write('{"type":"thing.updated","targetId":"thing-0007","metadata":{"properties":{"swept":true}}}\n')
        for number in range(arguments.copies):
            copy = os.path.join(scratch, f"copy-{number}")
            shutil.copytree(arguments.store, copy)
            damage(os.path.join(copy, "data.mdb"), rng, arguments.headers)
            for index, template in enumerate(COMMANDS):
                # A backup writes to a fresh directory of its own.
                destination = os.path.join(scratch, f"backup-{number}-{index}")
                command = [part.replace("{dest}", destination).replace("{events}", events) for part in template]
                try:
                    result = subprocess.run(
                        [arguments.annals, *command, "--store", copy], capture_output=True, timeout=60)
                    code, stderr = result.returncode, result.stderr
                except subprocess.TimeoutExpired:
                    code, stderr = "timeout", b""
                tally[(" ".join(template[:3]), code)] += 1
                if code == "timeout" or code < 0:
                    failures.append((number, command, code, stderr[-400:].decode(errors="replace")))
            shutil.rmtree(copy)
            for leftover in os.listdir(scratch):
                if leftover.startswith("backup-"):
                    shutil.rmtree(os.path.join(scratch, leftover))
    for (command, code), count in sorted(tally.items(), key=str):
        print(f"{command:28} exit {code}: {count}")
    print(f"{arguments.copies} copies, {sum(tally.values())} runs, {len(failures)} failures")
    for failure in failures:
        print("FAILED", *failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
