#!/usr/bin/env python3
"""Feeds `annals append` valid lines around one damaged line, and checks that bad input never costs data.

Usage: tools/faults/input-fuzz.py [--cases N] [--seed S] [--annals PATH] [--store DIR]

Each case appends a few valid events (plain ones, ontology events valid against the store's state, client ids,
duplicates, correct `expectedVersion`s) and, in most cases, one line damaged by one of MUTATIONS, through stdin,
`--file` or `--atomic`. The case passes when:

- `append` exits with a code CLI.md documents for it (0, 2, 3, 8), never by a signal, within 60 seconds;
- on failure, stderr names the line that broke (`annals: line N: ...`), the receipts are exactly those of the
  lines before it (none with `--atomic`), and that line is the damaged one;
- every receipt is one JSON object with `offset`, `id` and `version`, offsets gapless from the previous head;
- the log then holds exactly the acknowledged events: `head` moved by the receipts that are not duplicates, and
  every 20 cases (and at the end) `read` returns every acknowledged event in order with the type, stream, actor,
  group and metadata that were sent, and `verify` exits 0.

A damaged line the parser happens to accept (a flipped letter inside a string) is fine: it is acknowledged like a
valid one, and the comparison uses what Python's `json` makes of it. Such a line can also move a later line into a
version conflict (a flipped digit that retargets it to the later line's stream): a conflict (exit 3) named on a
line after the damaged one is then the right answer. Failures are printed with the input and the
command's stderr; the script exits 1 if any case failed.
"""
import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid

APPEND_EXIT_CODES = {0, 2, 3, 8}
WORDS = ["alpha", "beta", "gamma", "Zürich", "naïve", "東京", "emoji 🎉", "tab\there", "quote\"d", "back\\slash"]


class State:
    """What the store holds, as the fuzzer knows it."""

    def __init__(self):
        self.events = []  # (type, target, actor, group, metadata) of every acknowledged, written event
        self.versions = {}  # target -> version
        self.things = []  # live thing ids
        self.ids = {}  # client id -> receipt offset
        self.counter = 0

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}-{self.counter:05d}"


def random_value(rng, depth=0):
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return rng.randint(-10**12, 10**12)
    if kind == 1:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 6))
    if kind == 2:
        return rng.choice(WORDS) + str(rng.randrange(100))
    if kind == 3:
        return rng.choice([True, False, None])
    if kind == 4:
        return rng.choice(WORDS)
    if kind in (5, 6):
        return {rng.choice(WORDS) + str(i): random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def valid_event(rng, state, planned_versions, planned_things):
    """A valid event against the state plus what earlier lines of the same case plan to write."""
    choice = rng.randrange(10)
    group = rng.choice(["org-a", "org-b", "org-ü"])
    actor = rng.choice(["user-1", "user-2", "plugin-x", "ålice"])
    if choice < 3 or not planned_things:
        thing = state.fresh("thing")
        planned_things.append(thing)
        event = {"type": "thing.created", "targetId": thing, "groupId": group, "actorId": actor,
                 "metadata": {"thingType": rng.choice(["lamp", "sensor", "Gerät"]), "name": rng.choice(WORDS),
                              "properties": {"k": random_value(rng), rng.choice(WORDS): random_value(rng)}}}
    elif choice < 6:
        thing = rng.choice(planned_things)
        event = {"type": "thing.updated", "targetId": thing, "actorId": actor,
                 "metadata": {"properties": {rng.choice(WORDS): random_value(rng)}}}
    elif choice < 7 and len(planned_things) >= 2:
        a, b = rng.sample(planned_things, 2)
        event = {"type": "connection.created", "targetId": state.fresh("conn"), "actorId": actor,
                 "metadata": {"fromId": a, "toId": b, "connectionType": "links"}}
    else:
        event = {"type": rng.choice(["order.created", "plugin_action_executed", "a:b.c-d_e"]),
                 "targetId": rng.choice([None, "stream-1", "stream-2", "ström"]), "actorId": actor, "groupId": group,
                 "metadata": {"n": random_value(rng), "text": rng.choice(WORDS)}}
        if event["targetId"] is None:
            del event["targetId"]
    target = event.get("targetId")
    if target is not None and rng.random() < 0.2:
        event["expectedVersion"] = planned_versions.get(target, state.versions.get(target, 0))
    if target is not None:
        planned_versions[target] = planned_versions.get(target, state.versions.get(target, 0)) + 1
    if rng.random() < 0.3:
        event["timestamp"] = rng.choice([rng.randint(0, 4 * 10**12), "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123+02:00"])
    if rng.random() < 0.2:
        event["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return event


def mutate(rng, line, state):
    """One damaged line, and the mutation's name."""
    data = line.encode()
    name = rng.choice(MUTATIONS)
    if name == "flip-byte":
        i = rng.randrange(len(data))
        data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
    elif name == "truncate":
        data = data[:rng.randrange(len(data))]
    elif name == "insert-garbage":
        i = rng.randrange(len(data) + 1)
        data = data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 6))) + data[i:]
    elif name == "invalid-utf8":
        i = data.find(b'"type"')
        data = data[:i] + b'"x\xc3(":1,' + data[i:]
    elif name == "nul-byte":
        i = rng.randrange(len(data))
        data = data[:i] + b"\x00" + data[i:]
    elif name == "lone-surrogate":
        data = data[:-1] + b',"metadata2":"\\ud800"}'
    elif name == "surrogate-in-metadata":
        data = json.dumps({"type": "order.created", "metadata": {"s": "x"}}).encode().replace(b'"x"', b'"\\udc00x"')
    elif name == "deep-nesting":
        depth = rng.choice([200, 5000, 100000])
        data = b'{"type":"order.created","metadata":{"a":' + b"[" * depth + b"]" * depth + b"}}"
    elif name == "huge-number":
        data = json.dumps({"type": "order.created", "metadata": {"n": 1}}).encode().replace(
            b"1}", rng.choice([b"1e999}", b"-1e999}", b"123456789012345678901234567890}", b"1e-400}", b"-0}"]))
    elif name == "bad-timestamp":
        value = rng.choice(['"yesterday"', "1.5", "-1", "99999999999999999999", "1e30", '"2026-13-40T99:00:00Z"',
                            "null", "true", '""', "[]"])
        data = ('{"type":"order.created","timestamp":' + value + "}").encode()
    elif name == "bad-expected-version":
        value = rng.choice(["-1", "1.5", '"1"', "18446744073709551616", "null", "{}", "123456"])
        data = ('{"type":"order.created","targetId":"stream-9","expectedVersion":' + value + "}").encode()
    elif name == "bad-type":
        value = rng.choice(['""', '"has space"', '"' + "t" * 129 + '"', "7", "null", '"ü"', '"a/b"', '"x\\u0000"'])
        data = ('{"type":' + value + "}").encode()
    elif name == "bad-id":
        value = rng.choice(['"not-a-uuid"', '""', "42", '"5B0E6F3C-1D2A-4C8E-9A51-3F7D2C9B8E1"',
                            '"5b0e6f3c-1d2a-4c8e-9a51-3f7d2c9b8e10x"'])
        data = ('{"type":"order.created","id":' + value + "}").encode()
    elif name == "bad-metadata":
        value = rng.choice(["[]", '"text"', "1", "null", '{"a":1,"a":2}', '{"\\u00e9":1,"e\\u0301":2}'])
        data = ('{"type":"order.created","metadata":' + value + "}").encode()
    elif name == "unknown-member":
        data = data[:-1] + b',"colour":"red"}'
    elif name == "duplicate-member":
        data = data[:-1] + b',"type":"order.created"}'
    elif name == "not-an-object":
        data = rng.choice([b"[]", b"null", b"42", b'"text"', b"{", b"}", b"{}", b"\xef\xbb\xbf{}"])
    elif name == "bom":
        data = b"\xef\xbb\xbf" + data
    elif name == "empty-strings":
        field = rng.choice(["targetId", "actorId", "groupId"])
        data = ('{"type":"order.created","' + field + '":""}').encode()
    elif name == "control-chars":
        data = ('{"type":"order.created","targetId":"a\\u0007b\\u001bc","metadata":{"x":"\\u2028\\u202e"}}').encode()
    elif name == "long-string":
        data = ('{"type":"order.created","metadata":{"s":"' + "x" * rng.choice([1 << 20, 3 << 20]) + '"}}').encode()
    elif name == "vocabulary-contradiction":
        event = rng.choice([
            {"type": "thing.updated", "targetId": "thing-missing", "metadata": {"properties": {}}},
            {"type": "thing.created", "targetId": state.things[0] if state.things else "t", "metadata": {}},
            {"type": "connection.created", "targetId": "c-x",
             "metadata": {"fromId": "nope", "toId": "nope2", "connectionType": "x"}},
            {"type": "knowledge.added", "targetId": "k-x", "metadata": {"thingId": "nope", "text": "hi"}},
            {"type": "thing.created", "targetId": "t-bad", "metadata": {"thingType": 5}},
            # A connection taking a thing's id (one id, one stream).
            {"type": "connection.created", "targetId": state.things[-1] if state.things else "t",
             "metadata": {"fromId": state.things[0] if state.things else "t",
                          "toId": state.things[-1] if state.things else "t", "connectionType": "x"}},
        ])
        data = json.dumps(event).encode()
    elif name == "version-conflict":
        data = json.dumps({"type": "order.created", "targetId": "stream-1",
                           "expectedVersion": state.versions.get("stream-1", 0) + 5}).encode()
    elif name == "reserved-id":
        data = b'{"type":"order.created","id":"d1217bb8-d94b-8c60-8000-000000000001"}'
    return data, name


MUTATIONS = ["flip-byte", "truncate", "insert-garbage", "invalid-utf8", "nul-byte", "lone-surrogate",
             "surrogate-in-metadata", "deep-nesting", "huge-number", "bad-timestamp", "bad-expected-version",
             "bad-type", "bad-id", "bad-metadata", "unknown-member", "duplicate-member", "not-an-object", "bom",
             "empty-strings", "control-chars", "long-string", "vocabulary-contradiction", "version-conflict",
             "reserved-id"]


def run(annals, arguments, stdin=None):
    try:
        result = subprocess.run([annals] + arguments, input=stdin, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    return result


def check_log(annals, store, state, failures, label):
    result = run(annals, ["read", "--store", store])
    lines = result.stdout.decode(errors="replace").splitlines() if result else []
    if result is None or result.returncode != 0 or len(lines) != len(state.events):
        failures.append(f"{label}: read returned {len(lines)} events, expected {len(state.events)} "
                        f"(exit {result.returncode if result else 'timeout'})")
        return
    for offset, (line, expected) in enumerate(zip(lines, state.events), start=1):
        event = json.loads(line)
        stored = (event.get("type"), event.get("targetId"), event.get("actorId"), event.get("groupId"),
                  event.get("metadata", {}))
        if not same(stored, expected):
            failures.append(f"{label}: offset {offset} holds {stored!r}, expected {expected!r}")
            return
    verify = run(annals, ["verify", "--store", store])
    if verify is None or verify.returncode != 0:
        failures.append(f"{label}: verify exit {verify.returncode if verify else 'timeout'}: "
                        f"{verify.stdout.decode(errors='replace')[-400:] if verify else ''}")


def same(a, b):
    """Equal as JSON values, numbers compared as numbers (the store may print 1.50 as 1.5 or 1e3 as 1000)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


def strict_object(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate member")
    return dict(pairs)


def parsed(line):
    """What Python's json makes of a line the store accepted, or None when Python disagrees that it is valid."""
    try:
        return json.loads(line.decode("utf-8"), object_pairs_hook=strict_object)
    except ValueError:
        return None


def run_case(number, rng, annals, store, state, directory, failures, tally):
    planned_versions, planned_things = {}, list(state.things)
    # Now and then more lines than one batch of 1,000 holds, so that a damaged line falls in a later batch.
    count = rng.randint(1000, 1600) if rng.random() < 0.03 else rng.randint(0, 6)
    lines = [json.dumps(valid_event(rng, state, planned_versions, planned_things), ensure_ascii=rng.random() < 0.5)
             .encode() for _ in range(count)]
    damaged, mutation = None, "none"
    if rng.random() < 0.85:
        base = json.dumps(valid_event(rng, state, dict(planned_versions), list(planned_things)))
        line, mutation = mutate(rng, base, state)
        damaged = rng.randint(0, len(lines))
        lines.insert(damaged, line)
        lines += [json.dumps({"type": "order.created", "metadata": {"after": i}}).encode() for i in range(2)]
    # Duplicates of ids appended before.
    if state.ids and rng.random() < 0.2:
        lines.insert(0, json.dumps({"type": "order.created", "id": rng.choice(list(state.ids))}).encode())
        if damaged is not None:
            damaged += 1
    mode = rng.choice(["stdin", "file", "atomic"])
    if rng.random() < 0.1:
        blank = rng.randint(0, len(lines))
        lines.insert(blank, rng.choice([b"", b"  \t", b"\r"]))
        if damaged is not None and blank <= damaged:
            damaged += 1
    newline = b"\r\n" if rng.random() < 0.2 else b"\n"
    text = newline.join(lines) + (newline if rng.random() < 0.7 else b"")
    arguments = ["append", "--store", store, "--allow-empty"]
    limited = rng.random() < 0.1
    if limited:
        # A small size limit: longer lines are refused (over the event size or the line length).
        arguments += ["--max-event-size", str(rng.choice([256, 600, 4096]))]
    stdin = text
    if mode in ("file", "atomic"):
        path = os.path.join(directory, "input.jsonl")
        with open(path, "wb") as handle:
            handle.write(text)
        arguments += ["--file", path]
        stdin = None
    if mode == "atomic":
        arguments.append("--atomic")
    result = run(annals, arguments, stdin)
    label = f"case {number} ({mode}, {mutation}, damaged line {None if damaged is None else damaged + 1})"
    if result is None:
        failures.append(f"{label}: append ran past 60 s")
        return
    stderr = result.stderr.decode(errors="replace")
    tally[(mutation, result.returncode)] += 1
    if result.returncode < 0 or result.returncode not in APPEND_EXIT_CODES:
        failures.append(f"{label}: exit {result.returncode}: {stderr[-600:]}")
        return
    receipts = []
    for raw in result.stdout.decode(errors="replace").splitlines():
        try:
            receipt = json.loads(raw)
            assert isinstance(receipt["offset"], int) and isinstance(receipt["version"], int) and receipt["id"]
            receipts.append(receipt)
        except (ValueError, KeyError, AssertionError, TypeError):
            failures.append(f"{label}: receipt is not a receipt: {raw[:200]!r}")
            return
    # Which lines the store took: every line when it succeeded, else those before the line stderr names.
    numbered = [(i + 1, line) for i, line in enumerate(text.split(b"\n")) if line.strip(b" \t\r")]
    if result.returncode == 0:
        accepted = numbered
    else:
        if not stderr.startswith("annals: line "):
            failures.append(f"{label}: exit {result.returncode} without naming a line: {stderr[:300]}")
            return
        bad = int(stderr[len("annals: line "):].split(":")[0].split(",")[0])
        over_limit = "exceeds the limit" in stderr or "longer than" in stderr
        # Under a small --max-event-size a valid line may be the one over the limit; a damaged line accepted as
        # another event may put a later line's expectedVersion out of date.
        retargeted = result.returncode == 3 and damaged is not None and bad > damaged + 1
        if (damaged is None or bad != damaged + 1) and not (limited and over_limit) and not retargeted:
            failures.append(f"{label}: stderr names line {bad}, the damaged line is "
                            f"{None if damaged is None else damaged + 1}: {stderr[:300]}")
        accepted = [] if mode == "atomic" else [(n, line) for n, line in numbered if n < bad]
    if len(receipts) != len(accepted):
        failures.append(f"{label}: {len(receipts)} receipts for {len(accepted)} accepted lines; stderr: {stderr[:300]}")
        return
    for (n, line), receipt in zip(accepted, receipts):
        if receipt.get("duplicate"):
            if state.ids.get(receipt["id"]) != receipt["offset"]:
                failures.append(f"{label}: line {n}: duplicate receipt {receipt} names no earlier append")
            continue
        expected_offset = len(state.events) + 1
        if receipt["offset"] != expected_offset:
            failures.append(f"{label}: line {n}: offset {receipt['offset']}, expected {expected_offset}")
            return
        event = parsed(line)
        if event is None:
            # Accepted by the store, not by Python's json (or a duplicate member): compare what was stored.
            event = json.loads(run(annals, ["get", str(receipt["offset"]), "--store", store]).stdout)
        target = event.get("targetId")
        # A null member is an absent one.
        state.events.append((event.get("type"), target, event.get("actorId"), event.get("groupId"),
                             event.get("metadata") or {}))
        if target is not None:
            state.versions[target] = state.versions.get(target, 0) + 1
            if receipt["version"] != state.versions[target]:
                failures.append(f"{label}: line {n}: version {receipt['version']}, expected {state.versions[target]}")
        if event.get("type") == "thing.created":
            state.things.append(target)
        if event.get("id"):
            state.ids[receipt["id"]] = receipt["offset"]
    head = run(annals, ["head", "--store", store])
    offset = json.loads(head.stdout).get("offset", 0) if head and head.returncode == 0 and head.stdout else 0
    if offset != len(state.events):
        failures.append(f"{label}: head is {offset}, {len(state.events)} events were acknowledged")
        state.events = state.events[:offset]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--annals", default=os.path.join(os.path.dirname(__file__), "../../.build/release/annals"))
    parser.add_argument("--store", help="the store directory (default: a new temporary one, removed at the end)")
    options = parser.parse_args()
    annals = os.path.abspath(options.annals)
    directory = tempfile.mkdtemp(prefix="annals-input-fuzz-")
    store = options.store or os.path.join(directory, "store")
    rng = random.Random(options.seed)
    state = State()
    failures = []
    tally = collections.Counter()
    try:
        init = run(annals, ["init", "--store", store])
        if init is None or init.returncode != 0:
            sys.exit(f"annals init failed: {init.stderr.decode() if init else 'timeout'}")
        for number in range(1, options.cases + 1):
            before = len(failures)
            run_case(number, rng, annals, store, state, directory, failures, tally)
            if number % 20 == 0 or number == options.cases:
                check_log(annals, store, state, failures, f"after case {number}")
            for failure in failures[before:]:
                print("FAIL", failure, flush=True)
            if len(failures) >= 20:
                print("stopping after 20 failures")
                break
        for mutation in sorted({m for m, _ in tally}):
            codes = ", ".join(f"exit {code}: {n}" for (m, code), n in sorted(tally.items()) if m == mutation)
            print(f"  {mutation:26s} {codes}")
        print(f"{number} cases, {len(state.events)} events acknowledged and checked, {len(failures)} failures")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
