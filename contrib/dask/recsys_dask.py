#!/usr/bin/python3
"""Run the sharded build of recsys-build on a Dask cluster.

    recsys_dask.py (--scheduler tcp://HOST:8786 | --local N) \\
        --dir SHARED/work --shards P --out MODEL [--items CATALOG] \\
        [--builder recsys-build] [--retries 3] [-- BUILD OPTIONS] LOG...

The steps are the builder's own commands (recsys-build shard, see
engine/builder/recsys_shard.h for the files each one reads and writes):

    split           one task: the logs into P shards by user
    stats K         P tasks: each shard checked and counted
    merge           one task: the global id dictionary and counts, the rows
    items           one task: recsys-build build --items-part: the item
                    models fitted once, and the lists computed over every
                    user (user-CF, segments, rules, sequences, ALS)
    users K         P tasks: recsys-build build --from-items over shard
                    K's rows: the lists of shard K's users
    assemble        one task: the parts joined, MODEL published

Every step writes to a temporary name and renames, so a task that dies
(its worker killed, its machine lost) is simply run again by the scheduler
and leaves the same bytes.  DIR, the logs, the catalog and MODEL's
directory must be the same paths on every worker (a shared file system).
Prints each task as it ends (wall time, the peak memory of the builder
process) and each step's totals.
"""

import argparse
import os
import resource
import subprocess
import sys
import time

from dask.distributed import Client, LocalCluster, as_completed
from dask.utils import parse_bytes


def limit_data(limit):
    """A function for Popen's preexec_fn: the child's data segment (heap
    and private anonymous maps, RLIMIT_DATA) capped at limit bytes, so a
    task that needs more fails (and is retried) instead of growing; the
    model files the builder maps are not counted."""
    def apply():
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    return apply


# what Dask's nanny sets to 1 in its workers' environment
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "GOTO_NUM_THREADS")


def builder_env(blas_threads):
    """The builder's environment: the worker's without the nanny's thread
    limits, so that recsys-build runs as it does from a shell (OpenMP and
    OpenBLAS on every core), or with OPENBLAS_NUM_THREADS=blas_threads.
    EASE's inverse (OpenBLAS dpotrf/dpotri) rounds differently on another
    number of threads, so a model compared with a single build must have
    its items task run on as many BLAS threads as that build."""
    env = dict(os.environ)
    for v in THREAD_VARS:
        env.pop(v, None)
    if blas_threads > 0:
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    return env


def run_step(builder, args, name, dir_, delay, limit=0, blas_threads=0):
    """One builder command on a worker: (name, wall s, peak KiB, pid).

    Raises on a non-zero exit, so that Dask retries the task.  With delay,
    the task waits that long first and leaves a marker naming the worker's
    process in DIR/running/ (the fault test kills that process)."""
    t0 = time.time()
    if delay > 0:
        os.makedirs(os.path.join(dir_, "running"), exist_ok=True)
        marker = os.path.join(dir_, "running", name.replace(" ", "-"))
        with open(marker + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(marker + ".tmp", marker)
        time.sleep(delay)
    proc = subprocess.Popen([builder] + args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE,
                            env=builder_env(blas_threads),
                            preexec_fn=limit_data(limit) if limit else None)
    err = proc.stderr.read()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("%s: recsys-build %s: exit %d: %s"
                           % (name, " ".join(args), proc.returncode,
                              err.decode(errors="replace").strip()))
    return name, time.time() - t0, usage.ru_maxrss, os.getpid()


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="the sharded build of recsys-build on Dask")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="tcp://HOST:8786")
    where.add_argument("--local", type=int, metavar="N",
                       help="a local cluster of N worker processes")
    p.add_argument("--memory-limit", default="4GiB",
                   help="per local worker (Dask's memory_limit)")
    p.add_argument("--task-memory", default="0",
                   help="each builder process's data segment limit "
                   "(RLIMIT_DATA, e.g. 700MiB; 0: none): Dask's "
                   "memory_limit watches the worker process, not the "
                   "builder it runs")
    p.add_argument("--blas-threads", type=int, default=0,
                   help="OPENBLAS_NUM_THREADS of each builder process "
                   "(0: OpenBLAS's default, every core of the worker's "
                   "machine, as a single build run from a shell)")
    p.add_argument("--dir", required=True, help="shared working directory")
    p.add_argument("--shards", type=int, required=True)
    p.add_argument("--out", required=True, help="the model to publish")
    p.add_argument("--items", help="the catalog")
    p.add_argument("--builder", default="recsys-build")
    p.add_argument("--retries", type=int, default=3)
    p.add_argument("--step-delay", type=float, default=0.0,
                   help=argparse.SUPPRESS)
    p.add_argument("logs", nargs="+")
    p.add_argument("--build-args", nargs=argparse.REMAINDER, default=[],
                   help="the rest goes to recsys-build build")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    builder = os.path.abspath(a.builder) if os.sep in a.builder \
        else a.builder
    dir_ = os.path.abspath(a.dir)
    logs = [os.path.abspath(x) for x in a.logs]
    P = str(a.shards)
    limit = parse_bytes(a.task_memory)

    if a.local:
        cluster = LocalCluster(n_workers=a.local, threads_per_worker=1,
                               processes=True, memory_limit=a.memory_limit,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        cluster = None
        client = Client(a.scheduler)

    def step(label, tasks):
        t0 = time.time()
        futures = [client.submit(run_step, builder, args, name, dir_,
                                 a.step_delay, limit, a.blas_threads,
                                 retries=a.retries,
                                 key="recsys-%s-%s" % (name.replace(" ", "-"),
                                                       os.getpid()),
                                 pure=False)
                   for name, args in tasks]
        peak = 0
        for i, f in enumerate(as_completed(futures), 1):
            name, wall, rss, _ = f.result()
            peak = max(peak, rss)
            print("recsys-dask: %-10s %d/%d done  %.2f s  peak %.1f MiB"
                  % (name, i, len(tasks), wall, rss / 1024.0), flush=True)
        print("recsys-dask: step %s: %d tasks, %.2f s, largest peak "
              "%.1f MiB" % (label, len(tasks), time.time() - t0,
                            peak / 1024.0), flush=True)

    t0 = time.time()
    try:
        step("split", [("split", ["shard", "split", "--dir", dir_,
                                  "--shards", P] + logs)])
        step("stats", [("stats %d" % k,
                        ["shard", "stats", "--dir", dir_, "--shards", P,
                         "--shard", str(k)]) for k in range(a.shards)])
        step("merge", [("merge", ["shard", "merge", "--dir", dir_,
                                  "--shards", P])])
        catalog = ["--items", os.path.abspath(a.items)] if a.items else []
        items = os.path.join(dir_, "items", "items-of-%s.mdb" % P)
        os.makedirs(os.path.join(dir_, "items"), exist_ok=True)
        os.makedirs(os.path.join(dir_, "parts"), exist_ok=True)
        step("items", [("items",
                        ["build", "--interactions",
                         os.path.join(dir_, "merged", "interactions.csv"),
                         "--quiet", "--items-part", "--out", items]
                        + catalog + a.build_args)])
        step("users", [("users %d" % k,
                        ["build", "--interactions",
                         os.path.join(dir_, "split",
                                      "shard-%d-of-%s.csv" % (k, P)),
                         "--quiet", "--from-items", items, "--shard-ids",
                         os.path.join(dir_, "merged", "stats.json"),
                         "--user-shards", P, "--user-shard", str(k),
                         "--out", os.path.join(dir_, "parts",
                                               "part-%d-of-%s.mdb" % (k, P))]
                        + catalog + a.build_args)
                       for k in range(a.shards)])
        step("assemble", [("assemble", ["shard", "assemble", "--dir", dir_,
                                        "--shards", P, "--out",
                                        os.path.abspath(a.out)])])
    except Exception as e:
        print("recsys-dask: %s" % e, file=sys.stderr)
        return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    print("recsys-dask: published %s in %.2f s" % (a.out, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
