#!/usr/bin/env python3
"""Generates random npm ranges and versions with npm's own verdicts on them, for `AnnalsResolver` to be checked
against: which texts are ranges, which are versions, and which versions satisfy which ranges.

Usage: tools/faults/semver-diff.py [--cases N] [--seed S] [--output FILE] [--semver DIR] [--cross-check]

The reference is node-semver itself, the copy npm ships (`npm root -g`/npm/node_modules/semver, or --semver DIR),
run by `node`: `validRange`, `valid` and `satisfies` with and without `includePrerelease`. Ranges are drawn from
every syntax docs/PLUGINS.md claims: bare and `=`, `<`, `<=`, `>`, `>=` comparators, tilde (`~`, `~>`), caret,
X-ranges and partial versions (`1`, `1.x`, `1.2.*`, `*`), hyphen ranges, whitespace intersections and `||` unions,
with prerelease tags, build metadata, leading `v` and `=` runs and odd spacing; a few are malformed on purpose
(leading zeros, a fourth part, tags on partial versions, stray operators, dist-tags). Versions are drawn around the
numbers of their range (the same, one more, one less, with and without prerelease tags), plus malformed ones.

Each case is one JSON line: `r` (range text), `v` (version text), `rok` and `vok` (whether npm parses them),
`sat` and `inc` (whether the version satisfies the range without and with `includePrerelease`, when both parse).
Where docs/PLUGINS.md documents a deliberate deviation from npm, the line holds Annals's verdict instead and says
why in `dev` (see DEVIATIONS). The fixture that `make test` checks is made with the defaults:

    tools/faults/semver-diff.py --output Tests/AnnalsResolverTests/Fixtures/npm-semver-cases.jsonl

and a bigger run is checked by pointing the same test at another file:

    tools/faults/semver-diff.py --cases 200000 --seed 7 --output /tmp/cases.jsonl
    ANNALS_SEMVER_CASES=/tmp/cases.jsonl swift test --skip-build --filter NpmSemverFixtureTests

--cross-check also runs the Python port `node-semver` (pip install node-semver) on every case and prints where it
disagrees with npm's, to show how far that port can be trusted; it does not change the output.
"""
import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys

# Numbers near the ones versions are drawn from, a few at npm's limits, and a few malformed.
NUMBERS = ["0", "0", "1", "1", "1", "2", "2", "3", "10"]
ODD_NUMBERS = ["01", "9007199254740991", "9007199254740992", "00", "1a", ""]
WILDCARDS = ["x", "X", "*"]
PRERELEASE_IDS = ["alpha", "beta", "rc", "0", "1", "2", "10", "x-7", "beta-2", "-", "0a"]
ODD_PRERELEASE_IDS = ["01", "", "be_ta", "9007199254740992", "99999999999999999999"]
BUILD_IDS = ["build", "001", "exp", "sha-5114f85", "7"]
ODD_BUILD_IDS = ["", "b_1"]
OPERATORS = ["", "", "=", "<", "<=", ">", ">=", "~", "~>", "^", "^", "~"]
# Malformed operators, and operators standing alone before another (npm glues `~ >` into `~>`).
ODD_OPERATORS = ["==", "=>", "=<", "<>", "~^", "^~", ">>", "!", "≥", "~ >", "~> >", "~> >=", "> =", "^ >", "~ =",
                 "< ~", "~ ~", "= =", "<= ="]
PREFIXES = ["", "", "", "", "", "", "", "", "v", "v", "=", "vv", "v=", "=v", " v", "V"]
SPACES = [" ", " ", " ", "  ", "\t", " \n ", " \u00a0", "\r\n"]
DIST_TAGS = ["latest", "next", "beta", "v1", "next-2", "alpha.1", "workspace:*", "workspace:^1.0.0", "npm:foo@1",
             "file:../x", "1.2.3a", "a1.2.3", "1.2.3 ||| 2", "| 1.2.3", "1.2.3 |", "~>=1.2.3", "<>1", "1.2.3-",
             "1.2.3+", "1.2..3", ".1.2", "1.2.3.", "- 1.2.3", "1.2.3 -", "1 - 2 - 3", "1.2.3 - 2 || - 3", "!1.2.3"]

# Odd whitespace: JavaScript's `\s` takes all but U+0085 (which Unicode calls whitespace) and U+200B.
ODD_SPACES = ["\u00a0", "\r\n", "\u2003", "\f", "\v", "\ufeff", "\u3000", "\u2029", "\u0085", "\u200b"]
BUILD_METADATA = re.compile(r"\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")

# Deliberate deviations from npm that docs/PLUGINS.md documents, each with how Annals's verdict is read off npm's:
# - "equals": a version may start with one `=` (as `semver.clean` allows): the verdict is npm's without it.
# - "union": a version satisfies a range when it satisfies one of its `||` sets (node-semver's README rule); npm's
#   code reads a union with a set that matches every release (`*`, `x`, `>=0.0.0`) as `*`, which then refuses
#   every prerelease. The verdict is whether npm finds the version in one of the sets, each read alone.
# - "build": build metadata in a range is ignored; npm appends the `-0` of `includePrerelease` to a hyphen range's
#   `FROM` after its build metadata (`1.2.3+b-0`), where it is no prerelease. The verdict is npm's on the range
#   without its build metadata.
# - "star": a `*` in a prerelease tag or build metadata is refused; npm deletes every `*` of a comparator
#   (`1.2.3-a-*` reads as `1.2.3-a-`). The verdict is npm's with that `*` made an invalid character.
# - "bound": npm refuses with `includePrerelease` a hyphen range whose `TO` has the patch 2^53 − 1 (it writes
#   `<=TO` as `<M.m.2^53-0`); Annals reads it as without the option. There is no verdict to check: `inc` is left out.
DEVIATIONS = ["equals", "union", "build", "star", "bound"]
# JavaScript's `\s` (Python's differs: it lacks U+FEFF and has U+0085 and U+001C–U+001F).
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(map(chr, range(0x2000, 0x200B)))
STAR_IN_TAG = re.compile(f"(?<=[-+])([^{JS_SPACE}*|]*)\\*")
# Cases every output starts with: the smallest forms of the disagreements the generator has found, fixed in Annals
# or documented as deviations.
DIRECTED = [
    ("^1.0.0-1", "1.0.0-99999999999999999999"), (">=1.0.0-18446744073709551616", "1.0.0-99999999999999999999"),
    ("1.x.9007199254740992", "1.5.0"), ("*.99999999999999999999", "2.0.0"), ("1.2.x-99999999999999999999", "1.2.0"),
    ("^9007199254740991", "9007199254740991.0.0"), ("~0.9007199254740991.2", "0.9007199254740991.5"),
    ("1.0.0 - 1.9007199254740991", "1.0.0"), ("<=9007199254740991", "1.0.0"),
    ("=1.2 - 2", "1.2.0"), ("= 1.2 - 2", "2.5.0"), ("v=1.2 - v=2", "2.1.0"), ("=1.2.3 - 2", "1.2.3"),
    ("1.2.3 - vv2.0.0-beta", "2.0.0-alpha"), ("1.2.3 - vv2.0.0", "1.2.3"),
    ("1.2.3\ufeff", "\ufeff1.2.3"), ("1.2.3\u0085||2", "\u00851.2.3"), (">=1.0.0\ufeff<2", "1.5.0"),
    ("~> >=1.2.3", "1.2.5"), ("~ > 1.2.3", "1.2.5"), ("~> > 1.2.3", "1.3.0"), ("^ > 1.2.3", "1.2.5"),
    ("1.2.3", "=1.2.3"), ("1.2.3", "=v1.2.3"), ("* || 1.2.3-beta", "1.2.3-beta"), (">=0.0.0 || 1.2.3-beta", "1.2.3-beta"),
    ("1.2.3+b - 2", "1.2.3-1"), ("1.2.3-a-*", "1.2.3-a-"), ("1.0 - 2.1.9007199254740991", "2.0.0"),
    ("=v1.2.3", "1.2.3"), ("=v1.2.3", "=v1.2.3"),
]
# npm's length limits, at each limit and one past it: a version it reads (alone, kept as written in a range, or
# rewritten after `~`, `^` or as a hyphen range's `TO`) is at most 256 characters (MAX_LENGTH; whitespace and `v`
# count), and its regular expressions read at most 257 digits in a number and 250 letters, digits and hyphens in a
# row (which matters where a range drops the text: build metadata after `^`, a tag or number after a wildcard).
LONG_TAG, TOO_LONG_TAG = "a" * 125 + "." + "a" * 124, "a" * 125 + "." + "a" * 125
DIRECTED += [
    ("1.2.3-" + "a" * 250, "1.2.3-" + "a" * 250), ("1.2.3-" + TOO_LONG_TAG, "1.2.3-" + TOO_LONG_TAG),
    ("v1.2.3-" + LONG_TAG, "v1.2.3-" + LONG_TAG), ("=1.2.3-" + LONG_TAG, "   1.2.3-" + LONG_TAG),
    ("> 1.2.3-" + "a" * 250, "=1.2.3-" + "a" * 250), ("1.2.3", "\ufeff1.2.3-" + "a" * 250),
    ("^1.2.3-" + "a" * 200 + "." + "a" * 60, "1.2.3"), ("~v1.2.3-" + "a" * 250, "1.2.4"),
    ("^1.2.3+" + "a" * 200 + "." + "a" * 200, "1.2.5"), ("^1.2.3+" + "a" * 251, "1.2.5"),
    ("1 - 1.2.3-a+" + "a" * 200 + "." + "a" * 100, "1.2.3-a"), ("1 - 1.2.3+" + "a" * 200 + "." + "a" * 60, "1.2.0"),
    ("1.2.3+" + "a" * 200 + "." + "a" * 40 + " - 2", "1.5.0"), ("1.2.3+" + "a" * 200 + "." + "a" * 60 + " - 2", "1.5.0"),
    ("v1.2.3+" + "a" * 249 + " - 2", "1.5.0-beta"),
    ("1.2.x-" + "a" * 251, "1.2.7"), ("1.2.x-" + "a" * 252, "1.2.7"), ("1.2.x+" + "a" * 251, "1.2.7"),
    ("1.2.x-" + "1" * 257, "1.2.0"), ("1.2.x-" + "1" * 258, "1.2.0"),
    ("1.2.x-" + "1" * 256 + "-" + "a" * 250, "1.2.0"), ("1.2.x-" + "1" * 257 + "a", "1.2.0"),
    ("1.x." + "1" * 257, "1.4.0"), ("1.x." + "1" * 258, "1.4.0"),
]


def pick(rng, common, odd, odd_chance):
    return rng.choice(odd) if rng.random() < odd_chance else rng.choice(common)


def prerelease(rng, odd_chance):
    count = rng.choice([1, 1, 1, 2, 2, 3])
    return ".".join(pick(rng, PRERELEASE_IDS, ODD_PRERELEASE_IDS, odd_chance) for _ in range(count))


def build(rng, odd_chance):
    count = rng.choice([1, 1, 2])
    return ".".join(pick(rng, BUILD_IDS, ODD_BUILD_IDS, odd_chance) for _ in range(count))


def partial(rng, odd_chance):
    """A version as written in a range: 1 to 3 parts (4 when malformed), some wildcards, maybe tags."""
    parts = []
    length = rng.choice([1, 2, 3, 3, 3, 3])
    if rng.random() < odd_chance / 4:
        length = 4
    for _ in range(length):
        roll = rng.random()
        if roll < 0.12:
            parts.append(rng.choice(WILDCARDS))
        elif roll < 0.12 + odd_chance:
            parts.append(rng.choice(ODD_NUMBERS))
        else:
            parts.append(rng.choice(NUMBERS))
    text = ".".join(parts)
    if rng.random() < 0.3 and (length == 3 or rng.random() < odd_chance * 2):
        text += "-" + prerelease(rng, odd_chance)
    if rng.random() < 0.1 and (length == 3 or rng.random() < odd_chance * 2):
        text += "+" + build(rng, odd_chance)
    return text


def hyphen(rng, odd_chance):
    """`FROM - TO`, with odd spacing (a hyphen without a space on each side is not one)."""
    spacing = pick(rng, [" - ", " - ", "  -  ", "\t-\t"], [" -", "- ", "-"], odd_chance * 3)
    return pick(rng, [""], PREFIXES, 0.1) + partial(rng, odd_chance) + spacing + partial(rng, odd_chance)


def clause(rng, odd_chance):
    """One comparator, tilde, caret or X-range, or (rarely) a hyphen range among other comparators."""
    if rng.random() < odd_chance / 2:
        return hyphen(rng, odd_chance)
    operator = pick(rng, OPERATORS, ODD_OPERATORS, odd_chance / 3)
    spacing = rng.choice(["", "", "", " ", "  "]) if operator else ""
    return operator + spacing + pick(rng, [""], PREFIXES, 0.25 + odd_chance) + partial(rng, odd_chance)


def random_range(rng):
    if rng.random() < 0.03:
        return rng.choice(DIST_TAGS)
    if rng.random() < 0.02:
        return rng.choice(["", " ", "*", "x", "||", " || ", "1.2.3 ||", "|| 1.2.3", "1.2.3 || || 2"])
    odd_chance = 0.0 if rng.random() < 0.7 else 0.08
    sets = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        if rng.random() < 0.15:
            sets.append(hyphen(rng, odd_chance))
            continue
        clauses = [clause(rng, odd_chance) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        sets.append(pick(rng, SPACES, ODD_SPACES, odd_chance).join(clauses))
    text = rng.choice(["||", " || ", " ||", "|| ", "  ||  "]).join(sets)
    return pick(rng, [""], ODD_SPACES, odd_chance) + text + pick(rng, [""], ODD_SPACES, odd_chance)


def random_version(rng, range_text):
    """A version near the numbers of `range_text`, or (sometimes) a malformed one."""
    numbers = [int(n) for n in re.findall(r"\d+", range_text) if len(n) < 5] or [1]
    if rng.random() < 0.06:
        return rng.choice(["1.2", "1", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "=1.2.3", "==1.2.3", "vv1.2.3",
                           "v 1.2.3", " 1.2.3 ", "V1.2.3", "1.2.3.4", "x.1.2", "1.2.3-beta..1", "1.2.3-be ta",
                           "9007199254740992.0.0", "9007199254740991.0.0", "1.2.3-9007199254740992",
                           "1.2.3-99999999999999999999", "1.2.3+b_1", "", "^1.2.3", "1.2.3 "])
    parts = []
    for _ in range(3):
        base = rng.choice(numbers)
        parts.append(str(max(0, base + rng.choice([0, 0, 0, 1, -1, 2]))))
    text = ".".join(parts)
    if rng.random() < 0.45:
        text += "-" + prerelease(rng, 0.0)
    if rng.random() < 0.08:
        text += "+" + build(rng, 0.0)
    if rng.random() < 0.05:
        text = "v" + text
    if rng.random() < 0.02:
        text = rng.choice(ODD_SPACES) + text
    return text


REFERENCE = r"""
const semver = require(process.argv[1]);
const lines = require('readline').createInterface({input: process.stdin});
lines.on('line', line => {
    const c = JSON.parse(line);
    const out = {rok: semver.validRange(c.r) !== null, vok: semver.valid(c.v) !== null,
                 incok: semver.validRange(c.r, {includePrerelease: true}) !== null};
    if (out.rok && out.vok) {
        out.sat = semver.satisfies(c.v, c.r);
        out.inc = semver.satisfies(c.v, c.r, {includePrerelease: true});
    }
    console.log(JSON.stringify(out));
});
"""


def npm_semver_directory(given):
    if given:
        return os.path.abspath(given)
    root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(root, "npm", "node_modules", "semver")


def reference_verdicts(directory, cases):
    """npm's verdicts on each (range, version), from one `node` process."""
    stdin = "".join(json.dumps({"r": r, "v": v}) + "\n" for r, v in cases)
    result = subprocess.run(["node", "-e", REFERENCE, directory], input=stdin, capture_output=True, text=True,
                            check=True)
    return [json.loads(line) for line in result.stdout.splitlines()]


def annals_readings(r, v):
    """The (range, version) pairs whose npm verdicts make Annals's under DEVIATIONS: the version without one
    leading `=`, and each `||` set of the range alone, with and without its build metadata."""
    stripped = v.strip(JS_SPACE)
    if stripped.startswith("=") and stripped[1:2] not in ("v", "") and stripped[1] not in JS_SPACE:
        v = stripped[1:]
    starless = r
    while STAR_IN_TAG.search(starless):
        starless = STAR_IN_TAG.sub(r"\1_", starless)
    sets = starless.split("||")
    return v, [(starless, v)] + [(part, v) for part in sets] + [(BUILD_METADATA.sub("", part), v) for part in sets]


def with_deviations(r, v, npm, readings):
    """The case's line: npm's verdicts, or Annals's where a deviation applies (named in `dev`)."""
    line = {"r": r, "v": v, **npm}
    version, (starless, *verdicts) = readings
    count = len(verdicts) // 2
    if version != v and starless["vok"] and not npm["vok"]:
        line["vok"], line["dev"] = True, "equals"
    if npm["rok"] and not starless["rok"]:
        line["rok"], line["dev"] = False, "star"
    line.pop("incok", None)
    if not (line["rok"] and line["vok"]):
        line.pop("sat", None)
        line.pop("inc", None)
        return line
    for key in ("sat", "inc"):
        if key == "inc" and not npm["incok"]:
            line.pop("inc", None)
            line["dev"] = "bound"
            continue
        union = any(verdict[key] for verdict in verdicts[:count])
        stripped = any(verdict[key] for verdict in verdicts[count:])
        if union != npm.get(key, union) and "dev" not in line:
            line["dev"] = "union"
        if stripped != union and "dev" not in line:
            line["dev"] = "build"
        line[key] = stripped
    return line


def python_port_verdicts(cases):
    """The same verdicts from the Python port `node-semver`."""
    import nodesemver

    verdicts = []
    for r, v in cases:
        def attempt(function):
            try:
                return function()
            except Exception:
                return None

        out = {"rok": attempt(lambda: nodesemver.Range(r, False)) is not None,
               "vok": attempt(lambda: nodesemver.make_semver(v, False)) is not None}
        if out["rok"] and out["vok"]:
            out["sat"] = bool(attempt(lambda: nodesemver.satisfies(v, r, loose=False)))
            out["inc"] = bool(attempt(lambda: nodesemver.satisfies(v, r, loose=False, include_prerelease=True)))
        verdicts.append(out)
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", default="-")
    parser.add_argument("--semver", help="node-semver's directory (npm's own copy by default)")
    parser.add_argument("--cross-check", action="store_true")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    cases = list(DIRECTED)
    while len(cases) < options.cases:
        range_text = random_range(rng)
        for _ in range(rng.choice([1, 2, 3, 4])):
            cases.append((range_text, random_version(rng, range_text)))
    cases = cases[:options.cases]
    directory = npm_semver_directory(options.semver)
    version = json.load(open(os.path.join(directory, "package.json")))["version"]
    verdicts = reference_verdicts(directory, cases)
    readings = [annals_readings(r, v) for r, v in cases]
    alternatives = reference_verdicts(directory, [pair for _, pairs in readings for pair in pairs])
    tally = collections.Counter()
    lines = []
    start = 0
    for (r, v), verdict, (annals_version, pairs) in zip(cases, verdicts, readings):
        answers, start = alternatives[start:start + len(pairs)], start + len(pairs)
        line = with_deviations(r, v, verdict, (annals_version, answers))
        tally["range parses" if line["rok"] else "range refused"] += 1
        tally["version parses" if line["vok"] else "version refused"] += 1
        tally["satisfies" if line.get("sat") else "does not satisfy" if "sat" in line else "unjudged"] += 1
        if "dev" in line:
            tally["deviation " + line["dev"]] += 1
        lines.append(json.dumps(line))
    output = sys.stdout if options.output == "-" else open(options.output, "w")
    output.write("\n".join(lines) + "\n")
    if output is not sys.stdout:
        output.close()
    print(f"{len(cases)} cases against node-semver {version}: "
          + ", ".join(f"{key}: {count}" for key, count in sorted(tally.items())), file=sys.stderr)
    if options.cross_check:
        ported = python_port_verdicts(cases)
        plain = [{key: value for key, value in verdict.items() if key != "incok"} for verdict in verdicts]
        differences = [(case, npm, port) for case, npm, port in zip(cases, plain, ported) if npm != port]
        print(f"the Python port node-semver disagrees with npm's on {len(differences)} cases", file=sys.stderr)
        for (r, v), npm, port in differences[:20]:
            print(f"  {json.dumps(r)} {json.dumps(v)}: npm {npm}, port {port}", file=sys.stderr)


if __name__ == "__main__":
    main()
