#!/usr/bin/env python3
"""Runs writers, readers, consumers and maintenance on one store at once, kills them at random, and checks the store.

Usage: tools/faults/multi-process-chaos.py [--rounds N] [--seed S] [--round-seconds T] [--fresh-every K]
                                           [--annals PATH] [--keep]

Each round runs, for `--round-seconds`, on one store (kept across rounds, new every `--fresh-every` rounds):

- writers: a streaming `annals append` fed lines through a pipe (a random durability mode; plain events, thing
  events on its own things, client ids of which some come from a pool shared by every writer), an `--atomic`
  writer (batches of 1-40 events, some with an `expectedVersion` on a shared stream), and two writers that read a
  shared stream's version and append a few events with `expectedVersion`s on it, racing each other;
- readers: `read` (by offset, `--type`, `--target`, `--reverse`), `get` (offset, `--id`), `head`, `stats`,
  `verify`, `verify --indexes`, `cursors list`;
- consumers: `tail --follow --cursor NAME` with three filters, restarted whenever they end;
- maintenance: `dict train`, `backup DEST`, `reindex`, `rebuild --all`, `snapshot create`, two at a time;
- chaos: `kill -9` of a random process every so often, and sometimes of every process at once.

After each round, with nothing running, it checks: `verify` and `verify --indexes` exit 0; offsets are gapless
from 1; every receipt names the event at its offset (id, version, and for a non-duplicate the line sent); no id
is in the log twice; every event is a line some writer sent, once; versions per target are 1..n in offset order;
a version conflict (exit 3) wrote nothing of what it refused; a killed `--atomic` batch is in the log whole or
not at all; every consumer printed every event of its filter, each run a gapless run of them starting no later
than where the previous runs stopped; every backup verifies (with `--indexes`) and holds a prefix of the log (a
killed one too, when it left a `data.mdb`); `rebuild --all --verify` exits 0. During the round, any exit code not expected
of a command (a signal other than our kills included) and any command running past 120 s is a failure. The
script prints every failure and exits 1 if there was one.
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

SHARED_STREAMS = ["shared-0", "shared-1", "shared-2"]
CONSUMERS = {"c-all": [], "c-thing": ["--type", "thing.*"], "c-shared": ["--target", "shared-0"]}
TIMEOUT = 120
# The exit codes each kind of command may end with (besides our SIGKILL).
EXPECTED = {
    "stream": {0}, "atomic": {0, 3}, "ev": {0, 3}, "tail": {0}, "read": {0}, "get": {0}, "head": {0},
    "stats": {0}, "verify": {0}, "cursors": {0}, "dict": {0, 2}, "backup": {0}, "reindex": {0},
    "rebuild": {0, 9}, "snapshot": {0, 2},
}


class Chaos:
    def __init__(self, options, store, scratch):
        self.annals = os.path.abspath(options.annals)
        self.store = store
        self.scratch = scratch
        self.options = options
        self.lock = threading.Lock()
        self.processes = {}  # pid -> (role, Popen, started, arguments)
        self.killed = set()  # pids we sent SIGKILL
        self.failures = []
        self.round = 0
        self.tally = collections.Counter()  # (role, exit code) of every process
        self.reset_store_state()

    def reset_store_state(self):
        self.sent = {}  # tag -> line (dict), as sent
        self.line_kind = {}  # tag -> "stream" | "atomic" | "ev"
        self.receipts = []  # (tag, receipt)
        self.absent = {}  # tag -> why it must not be in the log
        self.atomic_killed = []  # tags of --atomic batches killed before they answered
        self.runs = {name: [] for name in CONSUMERS}  # name -> [offsets printed by one run]
        self.reached = {name: 0 for name in CONSUMERS}  # name -> the furthest offset printed in earlier rounds
        self.backups = []  # (destination, printed head or None when killed)
        self.anchors = []  # anchors printed by `head` during the round: the log must still reach each
        self.tag_counter = collections.Counter()
        self.things = collections.defaultdict(list)  # writer -> acknowledged thing ids

    # Processes

    def fail(self, kind, detail):
        with self.lock:
            self.failures.append((self.round, kind, detail))
        print(f"FAILURE round {self.round} {kind}: {detail}", flush=True)

    def spawn(self, role, arguments, stdin=False):
        process = subprocess.Popen(
            [self.annals, *arguments, "--store", self.store],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with self.lock:
            self.processes[process.pid] = (role, process, time.monotonic(), arguments)
        return process

    def reap(self, process, stderr=b""):
        """Forgets a finished process and checks how it ended; returns its exit code."""
        with self.lock:
            role, _, _, arguments = self.processes.pop(process.pid)
            ours = process.pid in self.killed
            self.killed.discard(process.pid)
        code = process.returncode
        with self.lock:
            self.tally[(role, "killed" if code == -signal.SIGKILL and ours else code)] += 1
        if code == -signal.SIGKILL and ours:
            return code
        if code not in EXPECTED[role]:
            text = stderr.decode(errors="replace").strip()[-600:]
            self.fail("exit", f"{role} {' '.join(arguments)} exited {code}: {text}")
        return code

    def run(self, role, arguments, stdin=None):
        """Runs a short command to its end (or our kill); returns (code, stdout, stderr)."""
        process = self.spawn(role, arguments, stdin=stdin is not None)
        try:
            out, err = process.communicate(stdin, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("hang", f"{role} {' '.join(arguments)} ran past {TIMEOUT} s")
            self.kill(process, ours=True)
            out, err = process.communicate()
        return self.reap(process, err), out, err

    def kill(self, process, ours=True):
        with self.lock:
            if ours:
                self.killed.add(process.pid)
        try:
            process.kill()
        except ProcessLookupError:
            pass

    def kill_random(self, rng, everything=False):
        with self.lock:
            victims = [entry[1] for entry in self.processes.values()]
        if not victims:
            return
        for process in victims if everything else [rng.choice(victims)]:
            if process.poll() is None:
                self.kill(process)

    # Events

    def tag(self, writer):
        with self.lock:
            self.tag_counter[writer] += 1
            return f"{writer}-{self.round}-{self.tag_counter[writer]}"

    def event(self, rng, writer, pool, planned_things):
        """A line for a streaming or atomic writer: never a version conflict, never rejected by a projection."""
        tag = self.tag(writer)
        choice = rng.randrange(10)
        things = self.things[writer] + planned_things
        if choice < 2:
            thing = f"thing-{tag}"
            line = {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": "thing.created",
                    "targetId": thing, "groupId": rng.choice(["g1", "g2"]), "actorId": writer,
                    "metadata": {"thingType": "lamp", "name": tag, "properties": {"n": rng.randrange(100)}}}
        elif choice < 4 and things:
            line = {"type": "thing.updated", "targetId": rng.choice(things), "actorId": writer,
                    "metadata": {"properties": {"n": rng.randrange(1000), "w": "x" * rng.randrange(200)}}}
        else:
            line = {"type": rng.choice(["order.created", "order.paid", "note.added", "plugin_action_executed"]),
                    "actorId": writer, "groupId": rng.choice(["g1", "g2", "g3"]),
                    "metadata": {"text": "lorem ipsum " * rng.randrange(30), "n": rng.random()}}
            if rng.random() < self.options.large:
                # Large and poorly compressible: grows the map while other processes read and write.
                line["metadata"]["blob"] = rng.randbytes(rng.randint(100_000, 400_000)).hex()
            target = rng.choice([None, None, f"own-{writer}-{rng.randrange(5)}"] + SHARED_STREAMS)
            if target:
                line["targetId"] = target
            roll = rng.random()
            if roll < 0.2:
                line["id"] = rng.choice(pool)
            elif roll < 0.5:
                line["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        line.setdefault("metadata", {})["tag"] = tag
        return tag, line

    def record(self, tag, line, kind):
        with self.lock:
            self.sent[tag] = line
            self.line_kind[tag] = kind

    # Writers

    def stream_writer(self, name, rng, pool, stop):
        retry = []  # lines with client ids whose fate a kill left unknown: sent again
        while not stop.is_set():
            durability = rng.choice(["sync", "sync", "no-meta-sync", "no-sync"])
            process = self.spawn("stream", ["append", "--durability", durability], stdin=True)
            pending = collections.deque()

            def receive():
                for raw in process.stdout:
                    try:
                        receipt = json.loads(raw)
                    except ValueError:
                        self.fail("receipt", f"{name}: not JSON: {raw[:200]!r}")
                        continue
                    if not pending:
                        self.fail("receipt", f"{name}: a receipt for no line: {receipt}")
                        continue
                    tag, line = pending.popleft()
                    with self.lock:
                        self.receipts.append((tag, receipt))
                    if line["type"] == "thing.created" and line["targetId"] not in self.things[name]:
                        self.things[name].append(line["targetId"])

            receiver = threading.Thread(target=receive)
            receiver.start()
            try:
                for tag, line in retry:
                    pending.append((tag, line))
                    process.stdin.write((json.dumps(line) + "\n").encode())
                retry = []
                for _ in range(rng.randint(20, 400)):
                    if stop.is_set():
                        break
                    burst = []
                    for _ in range(rng.choice([1, 1, 5, 50])):
                        tag, line = self.event(rng, name, pool, [])
                        self.record(tag, line, "stream")
                        burst.append((tag, line))
                    for tag, line in burst:
                        pending.append((tag, line))
                    process.stdin.write(b"".join((json.dumps(line) + "\n").encode() for _, line in burst))
                    process.stdin.flush()
                    time.sleep(rng.choice([0, 0.001, 0.01, 0.05]))
                process.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.fail("hang", f"{name}: append ran past {TIMEOUT} s")
                self.kill(process)
                process.wait()
            receiver.join()
            err = process.stderr.read()
            code = self.reap(process, err)
            lost = list(pending)
            if code == 0 and lost:
                self.fail("receipt", f"{name}: append exited 0 with {len(lost)} lines unanswered")
            retry = [(tag, line) for tag, line in lost if "id" in line and rng.random() < 0.7]

    def atomic_writer(self, name, rng, pool, stop):
        while not stop.is_set():
            batch = []
            planned = []
            conditional = rng.random() < 0.3
            for _ in range(rng.randint(1, 40)):
                tag, line = self.event(rng, name, pool, [])
                if line["type"] == "thing.created":
                    planned.append(line["targetId"])
                batch.append((tag, line))
            if conditional:
                stream = rng.choice(SHARED_STREAMS)
                index = rng.randrange(len(batch))
                tag, line = batch[index]
                line = {"type": "counter.bumped", "targetId": stream, "actorId": name,
                        "expectedVersion": self.version_of(stream, rng), "metadata": {"tag": tag}}
                batch[index] = (tag, line)
            for tag, line in batch:
                self.record(tag, line, "atomic")
            data = b"".join((json.dumps(line) + "\n").encode() for _, line in batch)
            code, out, err = self.run("atomic", ["append", "--atomic"], stdin=data)
            receipts = [json.loads(raw) for raw in out.splitlines() if raw.strip()]
            if code == 0:
                if len(receipts) != len(batch):
                    self.fail("receipt", f"{name}: {len(receipts)} receipts for an atomic batch of {len(batch)}")
                with self.lock:
                    for (tag, line), receipt in zip(batch, receipts):
                        self.receipts.append((tag, receipt))
                        if line["type"] == "thing.created":
                            self.things[name].append(line["targetId"])
            elif code == 3:
                if receipts or b"nothing was written: --atomic" not in err:
                    self.fail("conflict", f"{name}: atomic conflict printed {receipts} / {err!r}")
                with self.lock:
                    for tag, line in batch:
                        if "id" not in line or line["id"] not in pool:
                            self.absent[tag] = "its --atomic batch had a version conflict"
            elif code == -signal.SIGKILL:
                with self.lock:
                    self.atomic_killed.append([tag for tag, line in batch if "id" not in line or line["id"] not in pool])
            time.sleep(rng.choice([0, 0.01, 0.1]))

    def version_of(self, stream, rng):
        code, out, _ = self.run("read", ["read", "--target", stream, "--reverse", "--limit", "1"])
        if code != 0 or not out.strip():
            return 0
        return json.loads(out)["version"]

    def ev_writer(self, name, rng, stop):
        """Appends a few events with expectedVersions on one shared stream, racing the other writers."""
        previous = None
        while not stop.is_set():
            atomic = rng.random() < 0.4
            if previous and rng.random() < 0.3:
                # The same lines again, ids and now stale expectedVersions included: each line the log holds comes
                # back as a duplicate, whatever its expectedVersion.
                batch = previous
            else:
                stream = rng.choice(SHARED_STREAMS)
                version = self.version_of(stream, rng)
                if rng.random() < 0.2:
                    version += rng.choice([-1, 1])
                identified = rng.random() < 0.5
                batch = []
                for i in range(rng.randint(1, 5)):
                    tag = self.tag(name)
                    line = {"type": "counter.bumped", "targetId": stream, "actorId": name,
                            "expectedVersion": max(0, version + i), "metadata": {"tag": tag}}
                    if identified:
                        line["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                    self.record(tag, line, "ev")
                    batch.append((tag, line))
            previous = batch if all("id" in line for _, line in batch) else None
            data = b"".join((json.dumps(line) + "\n").encode() for _, line in batch)
            code, out, err = self.run("ev", ["append"] + (["--atomic"] if atomic else []), stdin=data)
            receipts = [json.loads(raw) for raw in out.splitlines() if raw.strip()]
            with self.lock:
                for (tag, _), receipt in zip(batch, receipts):
                    self.receipts.append((tag, receipt))
            if code == 0 and len(receipts) != len(batch):
                self.fail("receipt", f"{name}: {len(receipts)} receipts for {len(batch)} lines")
            if code == 3:
                text = err.decode(errors="replace")
                if atomic:
                    bad = 1
                    if receipts or "nothing was written: --atomic" not in text:
                        self.fail("conflict", f"{name}: atomic conflict printed {receipts} / {text!r}")
                else:
                    try:
                        bad = int(text.split("line ", 1)[1].split(":")[0])
                    except (IndexError, ValueError):
                        self.fail("conflict", f"{name}: exit 3 without a line: {text!r}")
                        continue
                    if "version conflict" not in text or len(receipts) != bad - 1:
                        self.fail("conflict", f"{name}: line {bad} refused after {len(receipts)} receipts: {text!r}")
                with self.lock:
                    for tag, _ in batch[bad - 1:]:
                        self.absent[tag] = f"append exited 3 naming line {bad}"
            time.sleep(rng.choice([0, 0.005, 0.05]))

    # Readers, consumers, maintenance

    def reader(self, rng, stop):
        while not stop.is_set():
            choice = rng.randrange(12)
            with self.lock:
                known = [receipt for _, receipt in self.receipts[-200:]]
            if choice == 0:
                arguments = ["read", "--from", str(rng.randint(1, 50)), "--limit", str(rng.randint(1, 3000))]
            elif choice == 1:
                arguments = ["read", "--type", rng.choice(["thing.*", "order.created", "counter.bumped"])]
            elif choice == 2:
                arguments = ["read", "--target", rng.choice(SHARED_STREAMS)]
            elif choice == 3:
                arguments = ["read", "--reverse", "--limit", str(rng.randint(1, 100)), "--group", "g1"]
            elif choice == 4 and known:
                arguments = ["get", str(rng.choice(known)["offset"])]
            elif choice == 5 and known:
                arguments = ["get", "--id", rng.choice(known)["id"]]
            elif choice == 6:
                arguments = ["stats"]
            elif choice == 7:
                arguments = ["verify"] + (["--indexes"] if rng.random() < 0.5 else [])
            elif choice == 8:
                arguments = ["cursors", "list"]
            elif choice == 9:
                arguments = rng.choice([["audit"], ["replay", "--target", rng.choice(SHARED_STREAMS)]])
            else:
                arguments = ["head"]
            with self.lock:
                acknowledged = max((receipt["offset"] for _, receipt in self.receipts[-50:]), default=0)
            role = {"read": "read", "get": "get", "stats": "stats", "verify": "verify", "cursors": "cursors",
                    "head": "head", "audit": "verify", "replay": "read"}[arguments[0]]
            code, out, err = self.run(role, arguments)
            if code == 0 and arguments[0] in ("read", "replay") and arguments[1] == "--target":
                versions = [json.loads(raw)["version"] for raw in out.splitlines()]
                if versions != list(range(1, len(versions) + 1)):
                    self.fail("read", f"{arguments[0]} --target {arguments[2]} gave versions {versions[:20]}…")
            if code == 0 and arguments[0] == "read" and arguments[1] == "--from":
                offsets = [json.loads(raw)["offset"] for raw in out.splitlines()]
                start = int(arguments[2])
                if offsets and offsets != list(range(start, start + len(offsets))):
                    self.fail("read", f"read --from {start} gave offsets with a gap")
            if code == 0 and arguments[0] == "head":
                head = json.loads(out)
                if head["durableOffset"] > head["offset"]:
                    self.fail("head", f"durableOffset above offset: {head}")
                if head["durableOffset"] < acknowledged:
                    # A receipt means durable in every mode (CLI.md, "Append semantics").
                    self.fail("durable", f"offset {acknowledged} was acknowledged, then head said {head}")
                with self.lock:
                    self.anchors.append(head["anchor"])
            time.sleep(rng.choice([0, 0.01, 0.05]))

    def consumer(self, name, filters, stop):
        while not stop.is_set():
            process = self.spawn("tail", ["tail", "--follow", "--cursor", name, *filters])
            printed = []
            with self.lock:
                self.runs[name].append(printed)
            for raw in process.stdout:
                try:
                    printed.append(json.loads(raw)["offset"])
                except (ValueError, KeyError):
                    pass  # a line cut by our kill
            process.wait()
            self.reap(process, process.stderr.read())
            time.sleep(0.05)

    def maintenance(self, rng, stop, number):
        count = 0
        while not stop.is_set():
            choice = rng.randrange(5)
            if choice == 0:
                role, arguments = "dict", ["dict", "train", "--samples", str(rng.choice([16, 200, 5000]))]
            elif choice == 1:
                count += 1
                destination = os.path.join(self.scratch, f"backup-{self.round}-{number}-{count}")
                role, arguments = "backup", ["backup", destination] + (["--rewrite"] if rng.random() < 0.3 else [])
            elif choice == 2:
                role, arguments = "reindex", ["reindex"]
            elif choice == 3:
                role, arguments = "rebuild", ["rebuild", "--all"]
            else:
                role, arguments = "snapshot", ["snapshot", "create"]
            code, out, err = self.run(role, arguments)
            if role == "backup":
                head = json.loads(out) if code == 0 else None
                with self.lock:
                    self.backups.append((arguments[1], head))
                    if head:
                        self.anchors.append(f"{head['hash']}@{head['offset']}")
            time.sleep(rng.choice([0.05, 0.2, 0.5]))

    def chaos(self, rng, stop):
        while not stop.wait(rng.uniform(0.1, self.options.kill_interval)):
            self.kill_random(rng, everything=rng.random() < 0.08)

    # A round

    def play(self, rng):
        pool = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(40)]
        stop = threading.Event()
        seeds = [rng.getrandbits(64) for _ in range(12)]
        workers = [
            threading.Thread(target=self.stream_writer, args=("w-stream", random.Random(seeds[0]), pool, stop)),
            threading.Thread(target=self.atomic_writer, args=("w-atomic", random.Random(seeds[1]), pool, stop)),
            threading.Thread(target=self.ev_writer, args=("w-ev1", random.Random(seeds[2]), stop)),
            threading.Thread(target=self.ev_writer, args=("w-ev2", random.Random(seeds[3]), stop)),
            threading.Thread(target=self.reader, args=(random.Random(seeds[4]), stop)),
            threading.Thread(target=self.reader, args=(random.Random(seeds[5]), stop)),
            threading.Thread(target=self.maintenance, args=(random.Random(seeds[6]), stop, 1)),
            threading.Thread(target=self.maintenance, args=(random.Random(seeds[7]), stop, 2)),
        ]
        consumers = [threading.Thread(target=self.consumer, args=(name, filters, stop))
                     for name, filters in CONSUMERS.items()]
        chaos = threading.Thread(target=self.chaos, args=(random.Random(seeds[8]), stop))
        for thread in workers + consumers + [chaos]:
            thread.start()
        time.sleep(self.options.round_seconds)
        stop.set()
        chaos.join()
        for thread in workers:
            thread.join()
        with self.lock:
            tails = [entry[1] for entry in self.processes.values() if entry[0] == "tail"]
        for process in tails:
            process.send_signal(signal.SIGTERM)
        for thread in consumers:
            thread.join()

    # Checks

    def command(self, arguments, store=None):
        result = subprocess.run([self.annals, *arguments, "--store", store or self.store], capture_output=True,
                                timeout=600)
        return result.returncode, result.stdout, result.stderr

    def read_log(self, store=None):
        code, out, err = self.command(["read"], store)
        if code != 0:
            self.fail("check", f"read exited {code}: {err.decode(errors='replace')}")
            return []
        return [json.loads(raw) for raw in out.splitlines()]

    def check(self):
        for arguments in (["verify"], ["verify", "--indexes"]):
            code, out, err = self.command(arguments)
            if code != 0:
                self.fail("verify", f"{' '.join(arguments)} exited {code}: {err.decode(errors='replace')[-600:]}")
        log = self.read_log()
        offsets = [event["offset"] for event in log]
        if offsets != list(range(1, len(log) + 1)):
            self.fail("gap", f"offsets are not gapless from 1 ({len(log)} events)")
        code, out, _ = self.command(["head"])
        if code == 0 and json.loads(out)["offset"] != len(log):
            self.fail("head", f"head {out!r} but read returned {len(log)} events")
        by_offset = {event["offset"]: event for event in log}
        ids = collections.Counter(event["id"] for event in log)
        for event_id, count in ids.items():
            if count > 1:
                self.fail("idempotency", f"id {event_id} is in the log {count} times")
        tags = collections.Counter(event["metadata"].get("tag") for event in log)
        for tag, count in tags.items():
            if tag not in self.sent:
                self.fail("phantom", f"an event nobody sent: tag {tag}")
            elif count > 1:
                self.fail("twice", f"the line tagged {tag} is in the log {count} times")
        for tag, receipt in self.receipts:
            event = by_offset.get(receipt["offset"])
            line = self.sent[tag]
            if event is None:
                self.fail("lost", f"acknowledged {receipt} ({tag}) is not in the log")
                continue
            if event["id"] != receipt["id"] or event["version"] != receipt["version"]:
                self.fail("receipt", f"{receipt} ({tag}) but the log holds {event}")
            if "id" in line and line["id"] != receipt["id"]:
                self.fail("receipt", f"{tag} was sent with id {line['id']}, receipt {receipt}")
            if not receipt.get("duplicate") and event["metadata"].get("tag") != tag:
                self.fail("receipt", f"{receipt} acknowledges {tag}, the log holds {event['metadata'].get('tag')}")
            if "expectedVersion" in line and not receipt.get("duplicate") \
                    and receipt["version"] != line["expectedVersion"] + 1:
                self.fail("version", f"{tag} expected {line['expectedVersion']} and got version {receipt['version']}")
        for tag, why in self.absent.items():
            if tags.get(tag):
                self.fail("conflict", f"{tag} is in the log although {why}")
        for batch in self.atomic_killed:
            present = sum(1 for tag in batch if tags.get(tag))
            if present not in (0, len(batch)):
                self.fail("atomic", f"a killed --atomic batch is in the log in part: {present} of {len(batch)}")
        versions = collections.Counter()
        for event in log:
            target = event.get("targetId")
            if target is None:
                if event["version"] != 0:
                    self.fail("version", f"offset {event['offset']} has no target but version {event['version']}")
                continue
            versions[target] += 1
            if event["version"] != versions[target]:
                self.fail("version", f"offset {event['offset']} on {target}: version {event['version']}, "
                                     f"expected {versions[target]}")
                versions[target] = event["version"]
        for anchor in self.anchors[-30:]:
            code, out, err = self.command(["verify", "--anchor", anchor])
            if code != 0:
                self.fail("anchor", f"verify --anchor {anchor} exited {code}: {err.decode(errors='replace')[-300:]}")
        self.anchors = []
        self.check_consumers(log)
        self.check_backups(log)
        code, out, err = self.command(["rebuild", "--all", "--verify"])
        if code != 0:
            self.fail("rebuild", f"rebuild --all --verify exited {code}: {out!r} {err.decode(errors='replace')}")
        return len(log)

    def check_consumers(self, log):
        for name, filters in CONSUMERS.items():
            code, out, err = self.command(["tail", "--cursor", name, *filters])
            if code != 0:
                self.fail("tail", f"tail --cursor {name} exited {code}: {err.decode(errors='replace')}")
            self.runs[name].append([json.loads(raw)["offset"] for raw in out.splitlines()])
            if filters[:1] == ["--type"]:
                matching = [e["offset"] for e in log if e["type"].startswith("thing.")]
            elif filters[:1] == ["--target"]:
                matching = [e["offset"] for e in log if e.get("targetId") == filters[1]]
            else:
                matching = [e["offset"] for e in log]
            position = {offset: i for i, offset in enumerate(matching)}
            # The index in matching of the furthest event printed so far.
            reached = sum(1 for offset in matching if offset <= self.reached[name]) - 1
            for number, run in enumerate(self.runs[name]):
                if not run:
                    continue
                if any(offset not in position for offset in run):
                    self.fail("tail", f"{name} run {number} printed offsets outside its filter")
                    continue
                indexes = [position[offset] for offset in run]
                if indexes != list(range(indexes[0], indexes[0] + len(indexes))):
                    self.fail("tail", f"{name} run {number} skipped or reordered events: {run[:10]}…")
                if indexes[0] > reached + 1:
                    self.fail("tail", f"{name} run {number} started at offset {run[0]}, after a hole: the runs "
                                      f"before reached offset {matching[reached] if reached >= 0 else 0}")
                reached = max(reached, indexes[-1])
            if reached != len(matching) - 1:
                self.fail("tail", f"{name} printed through index {reached} of {len(matching)} events")
            self.reached[name] = matching[reached] if reached >= 0 else 0
            self.runs[name] = []

    def check_backups(self, log):
        for destination, head in self.backups:
            # A killed backup leaves data.mdb only once it is whole (moved in after the copy and its sync): it must
            # then be as good as one that printed its head.
            if head is not None or os.path.exists(os.path.join(destination, "data.mdb")):
                code, out, err = self.command(["verify", "--indexes"], destination)
                if code != 0:
                    self.fail("backup", f"verify --indexes of {destination} exited {code}: {err!r}")
                copy = self.read_log(destination)
                if head is not None and len(copy) != head["offset"]:
                    self.fail("backup", f"{destination}: printed offset {head['offset']}, holds {len(copy)}")
                if copy != log[:len(copy)]:
                    self.fail("backup", f"{destination} is not a prefix of the log")
            shutil.rmtree(destination, ignore_errors=True)
        self.backups = []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--round-seconds", type=float, default=10)
    parser.add_argument("--fresh-every", type=int, default=0, help="a new store every K rounds (0: one store)")
    parser.add_argument("--annals", default=os.path.join(os.path.dirname(__file__), "../../.build/release/annals"))
    parser.add_argument("--kill-interval", type=float, default=1.5, help="at most this many seconds between kills")
    parser.add_argument("--large", type=float, default=0.003, help="the share of events of 200-800 KB")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    options = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="annals-chaos-")
    rng = random.Random(options.seed)
    store = os.path.join(scratch, "store")
    chaos = Chaos(options, store, scratch)
    try:
        for number in range(1, options.rounds + 1):
            chaos.round = number
            if number == 1 or (options.fresh_every and (number - 1) % options.fresh_every == 0):
                shutil.rmtree(store, ignore_errors=True)
                subprocess.run([chaos.annals, "init", "--store", store], check=True, capture_output=True)
                chaos.reset_store_state()
            started = time.monotonic()
            chaos.play(rng)
            events = chaos.check()
            size = os.path.getsize(os.path.join(store, "data.mdb")) >> 20
            print(f"round {number}: {events} events, {size} MiB, {len(chaos.receipts)} receipts, "
                  f"{len(chaos.absent)} refused, {len(chaos.atomic_killed)} killed atomic batches, "
                  f"{time.monotonic() - started:.0f} s, {len(chaos.failures)} failures so far", flush=True)
    finally:
        if options.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print(" ".join(f"{role}:{code}={count}" for (role, code), count in sorted(chaos.tally.items(), key=str)))
    for failure in chaos.failures:
        print("FAILED", *failure)
    return 1 if chaos.failures else 0


if __name__ == "__main__":
    sys.exit(main())
