#!/usr/bin/python3
"""Compare the answers of two recsys models (e.g. the sharded build's and
the single build's).

    compare_models.py [--tolerance 1e-6] A.mdb B.mdb

Reads both files through `mdb_dump` (lmdb-utils), database by database,
in key order.  The users and items databases (the ids and the item
records) must be byte for byte the same.  In the blobs database every
list blob (the per-user lists "user.recs.*", the item neighbour lists
"item.nbrs.*", the popular and trending lists and the others) is compared
row by row: each row (each user's or item's top list) must hold the same
items in the same order, and each score must agree within the relative
tolerance |a - b| / max(|a|, |b|).  Any other blob (the packed models,
the rules, the tables) that is not byte for byte the same is compared
word by word as 32-bit floats, equal words counting as equal.  In the
meta database the header may differ only in its build time; "stats" and
"params" (the build's time, counts and command-line paths) are not
compared.

Prints one line per blob that is not byte for byte the same (rows whose
items differ, the largest relative score difference, at which row), then
the largest relative difference over every blob, and exits 0 when every
answer agrees (top lists identical, scores within the tolerance), 1 when
some do not, 2 on a usage or read error.
"""

import argparse
import struct
import subprocess
import sys
from array import array

LIST_MAGIC = 0x5453494C
HEADER_KEY = b"header"
META_SKIP = (b"stats", b"params")


def dump(path, db):
    """The (key, value) pairs of database db of the model at path, in key
    order."""
    p = subprocess.Popen(["mdb_dump", "-n", "-s", db, path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    in_data = False
    key = None
    for line in p.stdout:
        if not in_data:
            if line.startswith(b"HEADER=END"):
                in_data = True
            continue
        if line.startswith(b"DATA=END"):
            break
        raw = bytes.fromhex(line[1:].strip().decode())
        if key is None:
            key = raw
        else:
            yield key, raw
            key = None
    p.stdout.close()
    err = p.stderr.read().decode(errors="replace").strip()
    if p.wait() != 0:
        raise RuntimeError("mdb_dump %s %s: %s" % (db, path, err))


def pairs(a, b, db):
    """Both models' pairs of db joined by key: (key, value a, value b), a
    side that lacks the key gives None."""
    ia, ib = dump(a, db), dump(b, db)
    ka = next(ia, None)
    kb = next(ib, None)
    while ka is not None or kb is not None:
        if kb is None or (ka is not None and ka[0] < kb[0]):
            yield ka[0], ka[1], None
            ka = next(ia, None)
        elif ka is None or kb[0] < ka[0]:
            yield kb[0], None, kb[1]
            kb = next(ib, None)
        else:
            yield ka[0], ka[1], kb[1]
            ka = next(ia, None)
            kb = next(ib, None)


def rel(x, y):
    if x == y:
        return 0.0
    m = max(abs(x), abs(y))
    return abs(x - y) / m if m > 0 else 0.0


def parse_list(v):
    """(offsets, items, scores) of a list blob, or None."""
    if len(v) < 16:
        return None
    magic, n_rows, n_entries, _ = struct.unpack_from("<4I", v, 0)
    if magic != LIST_MAGIC \
       or len(v) != 16 + (n_rows + 1) * 4 + n_entries * 8:
        return None
    offs = array("I", v[16:16 + (n_rows + 1) * 4])
    ents = v[16 + (n_rows + 1) * 4:]
    items = array("I", ents)[0::2]
    scores = array("f", ents)[1::2]
    return offs, items, scores


def compare_lists(la, lb):
    """(rows whose items differ, largest relative score difference, its
    row) of two list blobs of the same shape."""
    oa, ia, sa = la
    ob, ib, sb = lb
    bad_rows = 0
    worst, worst_row = 0.0, -1
    for r in range(len(oa) - 1):
        a0, a1, b0, b1 = oa[r], oa[r + 1], ob[r], ob[r + 1]
        if ia[a0:a1] != ib[b0:b1]:
            bad_rows += 1
            continue
        if sa[a0:a1] == sb[b0:b1]:
            continue
        for x, y in zip(sa[a0:a1], sb[b0:b1]):
            d = rel(x, y)
            if d > worst:
                worst, worst_row = d, r
    return bad_rows, worst, worst_row


def compare_words(va, vb):
    """(differing 32-bit words, largest relative difference as floats)."""
    n = min(len(va), len(vb)) // 4 * 4
    fa, fb = array("f", va[:n]), array("f", vb[:n])
    ua, ub = array("I", va[:n]), array("I", vb[:n])
    differ, worst = 0, 0.0
    for i in range(len(ua)):
        if ua[i] != ub[i]:
            differ += 1
            d = rel(fa[i], fb[i])
            if d != d:     # a NaN
                d = float("inf")
            worst = max(worst, d)
    return differ, worst


def main(argv):
    p = argparse.ArgumentParser(
        description="compare two recsys models' answers")
    p.add_argument("--tolerance", type=float, default=1e-6)
    p.add_argument("a")
    p.add_argument("b")
    a = p.parse_args(argv)

    ok = True
    overall = 0.0
    try:
        for db in ("users", "items"):
            n = differ = 0
            for key, va, vb in pairs(a.a, a.b, db):
                n += 1
                if va != vb:
                    differ += 1
            print("%s: %d keys, %d differ" % (db, n, differ))
            ok = ok and differ == 0

        for key, va, vb in pairs(a.a, a.b, "meta"):
            if va == vb or key in META_SKIP:
                continue
            if key == HEADER_KEY and va is not None and vb is not None \
               and len(va) == len(vb) == 72:
                # the header without build_time (bytes 32..39)
                if va[:32] + va[40:] == vb[:32] + vb[40:]:
                    continue
            print("meta %s: differs" % key.decode(errors="replace"))
            ok = False

        n = same = 0
        for key, va, vb in pairs(a.a, a.b, "blobs"):
            n += 1
            name = key.decode(errors="replace")
            if va == vb:
                same += 1
                continue
            if va is None or vb is None:
                print("blob %s: only in %s" % (name, a.a if vb is None
                                               else a.b))
                ok = False
                continue
            la, lb = parse_list(va), parse_list(vb)
            if la is not None and lb is not None \
               and len(la[0]) == len(lb[0]):
                bad, worst, row = compare_lists(la, lb)
                overall = max(overall, worst)
                print("blob %s: list of %d rows: %d rows with other items, "
                      "largest relative score difference %.6g (row %d)"
                      % (name, len(la[0]) - 1, bad, worst, row))
                ok = ok and bad == 0 and worst <= a.tolerance
                continue
            differ, worst = compare_words(va, vb)
            overall = max(overall, worst)
            print("blob %s: %d and %d bytes, %d words differ, largest "
                  "relative difference as floats %.6g"
                  % (name, len(va), len(vb), differ, worst))
            ok = ok and len(va) == len(vb) and worst <= a.tolerance
        print("blobs: %d, %d byte for byte the same" % (n, same))
    except (RuntimeError, OSError, ValueError) as e:
        print("compare_models: %s" % e, file=sys.stderr)
        return 2

    print("largest relative difference: %.6g (tolerance %g): %s"
          % (overall, a.tolerance, "same answers" if ok else "DIFFERENT"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
