#!/usr/bin/python3
"""Checks EPCIS documents with a real JSON-LD processor (Debian's python3-pyld).

For each document: expand it with the context it names, compact the expanded
form back with that same context, and require the result to equal the
document -- so no key was dropped by expansion (pyld silently drops a key no
context maps) and every key and value comes back as written. Two differences
are allowed, all three JSON-LD compaction's own and none a loss: a
one-element list of a GS1 term without "@container": "@set" (eventList,
vocabularyList) comes back as its element; a node reference {"id": X} of a
GS1 term typed "@id" (readPoint, bizLocation) comes back as the string X;
and an integral double as an int.

It also requires every retrace: extension key to expand to an IRI under
retrace's namespace, urn:retrace:epcis:v1: (docs/epcis.md, "JSON-LD").

The GS1 context is read from tests/epcis/gs1/context (no network); any
other remote context is an error.

  jsonld_roundtrip.py DOC.jsonld...     exit 0 if every document passes
"""
import json
import os
import sys

try:
    from pyld import jsonld
except ImportError:
    sys.stderr.write("jsonld_roundtrip: python3-pyld is not installed "
                     "(Debian: apt-get install python3-pyld; scripts/bootstrap.sh does it)\n")
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXTS = {
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld":
        os.path.join(HERE, "gs1", "context", "epcis-context-2.0.0.jsonld"),
}
RETRACE_NS = "urn:retrace:epcis:v1:"


def loader(url, options=None):
    path = CONTEXTS.get(url)
    if path is None:
        raise jsonld.JsonLdError("no local copy of " + url + " (the test never uses the network)",
                                 "jsonld.LoadDocumentError", code="loading document failed")
    with open(path, encoding="utf-8") as f:
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url, "document": json.load(f)}


def normal(v):
    """The form both sides are compared in (see the module comment)."""
    if isinstance(v, dict):
        if list(v) == ["id"]:
            return normal(v["id"])
        return {k: normal(x) for k, x in v.items()}
    if isinstance(v, list):
        if len(v) == 1:
            return normal(v[0])
        return [normal(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def diff(a, b, path="$"):
    """Human-readable differences between two normalised values."""
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in b:
                out.append(path + "." + k + " is lost")
            elif k not in a:
                out.append(path + "." + k + " appears")
            else:
                out += diff(a[k], b[k], path + "." + k)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, "%s[%d]" % (path, i))
    elif a != b:
        out.append("%s: %s became %s" % (path, json.dumps(a)[:80], json.dumps(b)[:80]))
    return out


def retrace_keys(v, path="$"):
    """Paths of every key that starts with "retrace:"."""
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if k.startswith("retrace:"):
                out.append(k)
            out += retrace_keys(x, path + "." + k)
    elif isinstance(v, list):
        for x in v:
            out += retrace_keys(x, path)
    return out


def expanded_keys(v):
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(k)
            out |= expanded_keys(x)
    elif isinstance(v, list):
        for x in v:
            out |= expanded_keys(x)
    return out


def check(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    opts = {"documentLoader": loader}
    expanded = jsonld.expand(doc, opts)
    compacted = jsonld.compact(expanded, {"@context": doc["@context"]}, opts)
    want = normal({k: v for k, v in doc.items() if k != "@context"})
    got = normal({k: v for k, v in compacted.items() if k != "@context"})
    problems = diff(want, got)
    keys = expanded_keys(expanded)
    body = {k: v for k, v in doc.items() if k != "@context"}
    for k in sorted(set(retrace_keys(body))):
        if RETRACE_NS + k[len("retrace:"):] not in keys:
            problems.append(k + " does not expand to " + RETRACE_NS + k[len("retrace:"):])
    stray = sorted(k for k in keys if not (k.startswith("@") or ":" in k))
    if stray:
        problems.append("keys that expand to no IRI: " + ", ".join(stray))
    return problems, len(keys)


def main(paths):
    if not paths:
        sys.stderr.write(__doc__)
        return 2
    failed = 0
    for p in paths:
        try:
            problems, n = check(p)
        except Exception as e:  # a JSON-LD error is a failure of that document
            problems, n = ["JSON-LD processing failed: %s" % e], 0
        if problems:
            failed += 1
            print("FAIL %s" % p)
            for line in problems[:40]:
                print("  " + line)
        else:
            print("ok   %s (%d distinct expanded keys)" % (p, n))
    print("%d passed, %d failed" % (len(paths) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
