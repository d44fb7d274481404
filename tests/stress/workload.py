"""workload.py - a Python program for the stress suite (run.sh): dicts,
strings and threads, with an output that depends only on its work.

Builds and rebuilds dicts of strings, joins and splits, formats, sorts,
and runs eight threads that share a queue and a lock; prints a digest of
every result. run.sh runs it bare and under the probe and compares.
"""
import hashlib
import json
import queue
import sys
import threading

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 20000


def words(n, seed):
    out = []
    x = seed
    for _ in range(n):
        x = (x * 1103515245 + 12345) % (1 << 31)
        out.append("w%x" % (x % 65521) * (1 + x % 7))
    return out


def dict_work():
    d = {}
    for i, w in enumerate(words(SCALE, 1)):
        d.setdefault(w[:6], []).append(i)
    for k in list(d)[::3]:
        del d[k]
    merged = {k: sum(v) for k, v in d.items()}
    text = json.dumps(merged, sort_keys=True)
    again = json.loads(text)
    assert again == merged
    return len(merged), hashlib.sha256(text.encode()).hexdigest()[:16]


def string_work():
    ws = words(SCALE, 2)
    big = " ".join(ws)
    parts = big.split(" ")
    assert parts == ws
    upper = big.upper().replace("W", "-")
    fmt = ["%s:%d:%r" % (w, len(w), w[::-1]) for w in ws[: SCALE // 4]]
    return len(big), upper.count("-"), hashlib.sha256("".join(fmt).encode()).hexdigest()[:16]


def thread_work():
    q = queue.Queue()
    lock = threading.Lock()
    totals = {}

    def worker():
        while True:
            item = q.get()
            if item is None:
                break
            s = "".join(sorted(item))
            with lock:
                totals[s] = totals.get(s, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for w in words(SCALE, 3):
        q.put(w)
    for _ in threads:
        q.put(None)
    for t in threads:
        t.join()
    return len(totals), sum(totals.values())


if __name__ == "__main__":
    print("dicts:", *dict_work())
    print("strings:", *string_work())
    print("threads:", *thread_work())
