#!/usr/bin/env python3
# Checks a Prometheus text exposition (version 0.0.4) read from stdin, as
# a scraper would parse it, and prints the samples as "NAME{LABELS} VALUE"
# lines for the tests to grep.  Exit status 1, with the reason on stderr,
# when any line is not valid exposition format, a sample has no HELP and
# TYPE before it, a family is declared twice, a histogram's buckets are
# not cumulative or not ending in +Inf, or its _count is not the +Inf
# bucket.
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s)(?:,%s)*\})? (\S+)$" % (NAME, LABEL, LABEL))
HELP = re.compile(r"^# HELP (%s) .+$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$"
                  % NAME)


def fail(msg):
    sys.stderr.write("promcheck: %s\n" % msg)
    sys.exit(1)


def main():
    text = sys.stdin.read()
    if not text.endswith("\n"):
        fail("no final newline")
    helps, types, samples = {}, {}, []
    for n, line in enumerate(text.splitlines(), 1):
        m = HELP.match(line)
        if m:
            if m.group(1) in helps:
                fail("line %d: HELP twice for %s" % (n, m.group(1)))
            helps[m.group(1)] = 1
            continue
        m = TYPE.match(line)
        if m:
            if m.group(1) in types:
                fail("line %d: TYPE twice for %s" % (n, m.group(1)))
            types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        if not m:
            fail("line %d: not exposition format: %r" % (n, line))
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        try:
            v = float(value)
        except ValueError:
            fail("line %d: bad value %r" % (n, value))
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in types and \
                    types[name[:-len(suffix)]] == "histogram":
                family = name[:-len(suffix)]
        if family not in types or family not in helps:
            fail("line %d: %s has no HELP and TYPE before it" % (n, name))
        if types[family] == "counter" and v < 0:
            fail("line %d: negative counter" % n)
        samples.append((family, name, labels, v))
    for fam, t in types.items():
        if t != "histogram":
            continue
        buckets = [(l, v) for f, nm, l, v in samples
                   if f == fam and nm == fam + "_bucket"]
        if not buckets or 'le="+Inf"' not in buckets[-1][0]:
            fail("%s: buckets do not end in +Inf" % fam)
        prev_le, prev = -1.0, -1.0
        for l, v in buckets:
            le = float(re.search(r'le="([^"]+)"', l).group(1))
            if le <= prev_le or v < prev:
                fail("%s: buckets not cumulative at %s" % (fam, l))
            prev_le, prev = le, v
        count = [v for f, nm, l, v in samples if nm == fam + "_count"]
        if len(count) != 1 or count[0] != buckets[-1][1]:
            fail("%s: _count is not the +Inf bucket" % fam)
    for f, nm, l, v in samples:
        print("%s%s %s" % (nm, l, ("%d" % v) if v == int(v) else v))


main()
