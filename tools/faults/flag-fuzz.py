#!/usr/bin/env python3
"""Runs every `annals` command with random, mostly malformed, options and arguments: none may crash or hang, every
failure must say what is wrong, and the store must stay intact.

Usage: tools/faults/flag-fuzz.py [--cases N] [--seed S] [--annals PATH]

The commands and their options are read from `annals --help` and each subcommand's `--help` (so new ones are
covered without changing this script). Each case runs one command with a few of its options, each given a value from
PLAUSIBLE (valid for many options) or VALUES (numbers out of range, negative, huge, empty, non-numeric, times, patterns, unicode, control characters,
options where a value belongs) or left without one, on a small store made by `make demo`'s generator. A case fails
when the command:

- dies of a signal, or runs past 30 seconds;
- exits with a code CLI.md does not document (0–13, 64);
- exits non-zero with nothing on stderr, or with a Swift runtime trap or a stack trace on stderr;
- leaves a log that `annals verify` does not find intact.

`--follow` and `-f` (which wait for new events by design) and the internal `sandbox-worker` command are left out;
commands run in a scratch directory, so a relative path given to `backup` or `--file` lands there. Failures are
printed with the command line and stderr; the script exits 1 if any case failed.
"""
import argparse
import collections
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

DOCUMENTED_EXIT_CODES = set(range(0, 14)) | {64}
VALUES = ["0", "1", "2", "-1", "-0", "+3", "18446744073709551616", "99999999999999999999999", "3.5", "1e3", "abc",
          "", " ", "2026-11-25", "2026-13-45T99:99:99Z", "1795600800000", "thing-0007", "acme", "org-ü", "*", "?*?",
          "thing.*", "a b", "x" * 300, "é\u0301", "\u202e", "\t", "--", "-", "--limit", "{}", "[1]", "null",
          "echo", "@elizaos/plugin-sql@^1", "^99.0.0", "start", "end", "table", "jsonl", "pretty", "things",
          "../nope", "/dev/null", "missing-file.json"]
# Values that are valid for many options, so that half the cases get past argument checks into the commands.
PLAUSIBLE = ["1", "2", "10", "thing-0007", "acme", "echo", "2026-11-25", "start", "end", "table", "jsonl", "things",
             "thing.*", "billing", "0"]
SKIPPED_COMMANDS = {"sandbox-worker", "help"}
SKIPPED_OPTIONS = {"--follow", "-f", "--store", "--version", "-h", "--help"}
TRAP = re.compile(r"Fatal error|Swift runtime failure|fatalError|Illegal instruction|Segmentation|Stack dump")


def annals_help(annals, words):
    result = subprocess.run([annals] + words + ["--help"], capture_output=True, text=True, timeout=30)
    return result.stdout


def parse_help(text):
    """(subcommands, options, arguments) from one `--help` page: options as (name, takes a value)."""
    subcommands, options, arguments = [], [], []
    section = None
    for line in text.splitlines():
        if line in ("SUBCOMMANDS:", "OPTIONS:", "ARGUMENTS:"):
            section = line[:-1]
            continue
        if not line.startswith("  "):
            section = None
        match = re.match(r"^  (\S[^ ]*(?: <[^>]+>)?(?:, --\S+)?(?: <[^>]+>)?)", line)
        if not match:
            continue
        head = match.group(1)
        if section == "SUBCOMMANDS":
            if re.fullmatch(r"[a-z][a-z-]*", head.split()[0]) and not head.startswith("See"):
                subcommands.append(head.split()[0])
        elif section == "OPTIONS":
            column = re.split(r"\s{2,}", line.strip())[0]
            names = re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", column)
            if names and not any(name in SKIPPED_OPTIONS for name in names):
                options.append((names[-1], "<" in column))
        elif section == "ARGUMENTS":
            arguments.append(head)
    return subcommands, options, arguments


def discover(annals):
    """Every leaf command as (words, options, argument count)."""
    commands = []
    queue = [[]]
    while queue:
        words = queue.pop()
        subcommands, options, arguments = parse_help(annals_help(annals, words))
        subcommands = [s for s in subcommands if s not in SKIPPED_COMMANDS]
        if subcommands and len(words) < 3:
            queue += [words + [s] for s in subcommands]
        else:
            commands.append((words, options, len(arguments)))
    return commands


def make_store(annals, directory):
    store = os.path.join(directory, "store")
    subprocess.run([annals, "init", "--store", store], capture_output=True, check=True)
    generator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../demo/generate-events.awk")
    events = subprocess.run(["awk", "-v", "n=300", "-f", generator], capture_output=True, check=True).stdout
    subprocess.run([annals, "append", "--store", store], input=events, capture_output=True, check=True)
    subprocess.run([annals, "cursors", "reset", "billing", "--to", "10", "--store", store], capture_output=True)
    return store


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--annals", default=os.path.join(os.path.dirname(__file__), "../../.build/release/annals"))
    options = parser.parse_args()
    annals = os.path.abspath(options.annals)
    rng = random.Random(options.seed)
    directory = tempfile.mkdtemp(prefix="annals-flag-fuzz-")
    failures = []
    tally = collections.Counter()
    try:
        commands = discover(annals)
        store = make_store(annals, directory)
        scratch = os.path.join(directory, "scratch")
        os.mkdir(scratch)
        for number in range(1, options.cases + 1):
            words, flags, argument_count = rng.choice(commands)
            line = list(words)
            for _ in range(rng.randint(0, argument_count + 1)):
                line.append(rng.choice(PLAUSIBLE if rng.random() < 0.5 else VALUES))
            for name, takes_value in rng.sample(flags, k=min(len(flags), rng.randint(0, 3))):
                line.append(name)
                if takes_value and rng.random() < 0.9:
                    value = rng.choice(PLAUSIBLE if rng.random() < 0.5 else VALUES)
                    if rng.random() < 0.3:
                        line[-1] = name + "=" + value
                    else:
                        line.append(value)
            line += ["--store", store]
            label = "annals " + " ".join(repr(word) if not word or " " in word else word for word in line)
            try:
                result = subprocess.run([annals] + line, capture_output=True, timeout=30, cwd=scratch,
                                        stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                failures.append(f"{label}: ran past 30 s")
                continue
            stderr = result.stderr.decode(errors="replace")
            tally[(" ".join(words), result.returncode)] += 1
            if result.returncode < 0 or result.returncode not in DOCUMENTED_EXIT_CODES:
                failures.append(f"{label}: exit {result.returncode}: {stderr[-500:]}")
            elif result.returncode != 0 and not stderr.strip():
                failures.append(f"{label}: exit {result.returncode} with nothing on stderr")
            elif TRAP.search(stderr):
                failures.append(f"{label}: a trap on stderr: {stderr[-500:]}")
            if number % 50 == 0 or number == options.cases:
                verify = subprocess.run([annals, "verify", "--store", store], capture_output=True, timeout=120)
                if verify.returncode != 0:
                    failures.append(f"after case {number}: verify exit {verify.returncode}: {verify.stdout[-300:]}")
                    break
            for failure in failures[len(failures) - 1:] if failures and failures[-1].startswith(label) else []:
                print("FAIL", failure, flush=True)
        per_code = collections.Counter()
        for (_, code), count in tally.items():
            per_code[code] += count
        print(f"{len(commands)} commands; exit codes: "
              + ", ".join(f"{code}: {count}" for code, count in sorted(per_code.items())))
        print(f"{options.cases} cases, {len(failures)} failures")
        for failure in failures:
            if not failure.startswith("annals "):
                print("FAIL", failure)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
