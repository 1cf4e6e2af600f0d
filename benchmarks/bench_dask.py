"""Segmenting images larger than memory: sksegment on dask against dask-image.

    python benchmarks/bench_dask.py [--size 8192] [--chunk 2048] [--repeat 5]
        [--skip-dask-image] [--table-chunks 2048,1024,512,256] [--table-repeat 3]
        [--out-of-core [--ooc-size 32768] [--ooc-reference]] [--huge]
        [--kind blobs|dense] [--skip-comparison]

The recipe: a global Otsu threshold, a binary closing (5x5 square), labeling
(full connectivity) and counting, on one synthetic uint8 image of
``size x size`` pixels in ``chunk x chunk`` chunks.  Implementations, each
run in its own process so that its peak resident memory is its own:

* ``numpy``: sksegment on the image in memory (the reference counts);
* ``sksegment-dask``: the same steps on the dask array (Otsu from a
  histogram pooled over chunks, closing by ``map_overlap``, labels joined
  across chunk faces), labels and counts computed together; the fit is
  inside the timing;
* ``dask-image``: the threshold found by sksegment, then
  ``dask_image.ndmorph.binary_closing`` (persisted: labeling a lazy closing
  recomputes it many times) and ``dask_image.ndmeasure.label`` on the same
  chunks (its threshold is found outside the timing).

Each implementation runs in its own process: a first run, reported apart
(it pays imports and the first touch of memory pages), then ``--repeat``
runs whose median is the time compared (the out-of-core run once).  The
closing uses ``mode="constant"`` (outside is background), which is what
``scipy.ndimage.binary_closing`` does, so that all counts must be identical.

Then the chunk-size table (``--table-chunks``, empty to skip): the issue's
recipe (Otsu, closing, border clearing, labeling, area filter ``> 100``
pixels) on the same image in chunks of each size, timed in three phases
(the fit, which computes the pooled histogram; building the lazy graph of
the transforms; computing the labels into memory), against dask's own
blockwise floor on the same chunks: the threshold, ``da.map_overlap`` of
the same closing, and ``map_blocks`` of the same labeling of each chunk
with no merge across chunks (its threshold given, its graph built inside
the timing).  Medians of ``--table-repeat`` runs after a first one, each
chunk size and implementation in its own process.  The table also gives
the tasks per chunk of each graph as computed (after ``dask.optimize``):
at small chunks, each task costs the scheduler about as much as the work
on a chunk.

``--out-of-core`` also writes a 32768x32768 uint8 image (1 GiB) to a zarr
store and segments it from there with sksegment, the labels written to zarr,
reporting the peak resident memory; ``--huge`` does so in 2048x2048 chunks
and in 512x512 chunks (4096 chunks), one after the other.  The machine is
shared: compare ratios.

At the end, the issue's goals measured in the same run, each with pass or
fail: building the graph at 1024 chunks (at most 1 ms per chunk, needs the
table's chunk giving 1024 chunks), the recipe at 1024 chunks against 64
chunks and against dask's blockwise floor (at most 3x each), and with
``--huge`` the peak memory of the 512² run (under 2.5 GiB) next to the
times of both.  ``--kind dense`` draws many small noisy objects instead of
sparse blobs (more objects across chunk faces, larger tables).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

# kinds of synthetic images: (pixels per cell of the random field, the level
# of the field above which a pixel is an object, object and background
# values, noise amplitude).  "blobs":
# sparse blobs about 16 pixels across; "dense": many small objects (about 6
# pixels across, a third of the image) with stronger noise, so that many
# objects cross chunk faces and the per-chunk tables are larger.
KINDS = {"blobs": (16, 0.6, 190, 30, 40), "dense": (6, 0.5, 170, 40, 70)}
KIND = os.environ.get("BENCH_KIND", "blobs")


def _field(size, seed=0, scale=16):
    """The low-resolution random field the image is drawn from."""
    from scipy import ndimage as ndi

    rng = np.random.default_rng(seed)
    low = ndi.gaussian_filter(rng.random((-(-size // scale),) * 2), 1.5)
    return ((low - low.min()) / (low.max() - low.min())).astype(np.float32)


def _chunk_of(field, y0, y1, x0, x1, seed, kind="blobs"):
    """Pixels [y0:y1, x0:x1] of the image: the field upsampled, plus noise."""
    scale, level, bright, dark, amplitude = KINDS[kind]
    part = field[y0 // scale : -(-y1 // scale), x0 // scale : -(-x1 // scale)]
    up = np.repeat(np.repeat(part, scale, 0), scale, 1)
    up = up[y0 % scale : y0 % scale + y1 - y0, x0 % scale : x0 % scale + x1 - x0]
    rng = np.random.default_rng([seed, y0, x0])
    noise = rng.integers(0, amplitude, up.shape, dtype=np.uint8)
    return (np.where(up > level, bright, dark) + noise).astype(np.uint8)


def dask_image_of(size, chunk, kind=None):
    import dask.array as da

    kind = kind or KIND
    field = _field(size, scale=KINDS[kind][0])

    def block(block_info=None):
        (y0, y1), (x0, x1) = block_info[None]["array-location"][1:]
        return _chunk_of(field, y0, y1, x0, x1, 1, kind)[None]

    return da.map_blocks(
        block, dtype=np.uint8, chunks=((1,), *[(chunk,) * (size // chunk)] * 2)
    )


def _timed(run, repeat):
    """Times of ``run``: the first (cold) call, then the median of ``repeat``.

    The first call in a fresh process pays one-time costs (imports, the first
    touch of memory pages, thread pools) and is reported apart.
    """
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return {"seconds": float(np.median(times)), "first": first}, result


def _peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_numpy(size, chunk, repeat):
    import sksegment as sks

    image = dask_image_of(size, chunk).compute()

    def run():
        mask = sks.OtsuThresholder().fit_transform(image)
        closed = sks.MorphCloser(5, mode="constant").transform(mask)
        return sks.ComponentLabeler().transform(closed)

    times, labels = _timed(run, repeat)
    return {**times, "count": int(labels.max())}


def run_sksegment(size, chunk, repeat):
    import dask

    import sksegment as sks

    X = dask_image_of(size, chunk).persist()  # the data, as if read from disk

    def run():
        thresholder = sks.OtsuThresholder().fit(X)
        closed = sks.MorphCloser(5, mode="constant").transform(thresholder.transform(X))
        labels = sks.ComponentLabeler().transform(closed)
        counts = sks.ObjectCounter().predict(closed)
        return dask.compute(labels, counts)

    times, (labels, counts) = _timed(run, repeat)
    assert labels.max() == counts[0]
    return {**times, "count": int(counts[0])}


def run_dask_image(size, chunk, repeat):
    import dask
    from dask_image import ndmeasure, ndmorph

    import sksegment as sks

    X = dask_image_of(size, chunk).persist()
    threshold = sks.OtsuThresholder().fit(X).threshold_

    def run():
        mask = X[0] > threshold
        closed = ndmorph.binary_closing(mask, structure=np.ones((5, 5), bool))
        # persisted first: labeling a lazy closing recomputes it many times
        closed = closed.persist()
        labels, n = ndmeasure.label(closed, structure=np.ones((3, 3), bool))
        return dask.compute(labels, n)

    times, (labels, n) = _timed(run, repeat)
    return {**times, "count": int(n)}


def run_out_of_core(size, chunk, repeat):
    import dask
    import dask.array as da

    import sksegment as sks

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        start = time.perf_counter()
        dask_image_of(size, chunk).to_zarr(f"{tmp}/image.zarr")
        written = time.perf_counter() - start
        X = da.from_zarr(f"{tmp}/image.zarr")
        start = time.perf_counter()
        thresholder = sks.OtsuThresholder().fit(X)
        closed = sks.MorphCloser(5, mode="constant").transform(thresholder.transform(X))
        labels = sks.ComponentLabeler().transform(closed)
        counts = sks.ObjectCounter().predict(closed)
        store = da.to_zarr(labels, f"{tmp}/labels.zarr", compute=False)
        _, counts = dask.compute(store, counts)
        return {
            "seconds": time.perf_counter() - start,
            "write_seconds": written,
            "count": int(counts[0]),
        }


def _recipe(X, thresholder):
    """The issue's recipe after the fit: closing, clearing, labeling, area filter."""
    import sksegment as sks

    closed = sks.MorphCloser(5, mode="constant").transform(thresholder.transform(X))
    cleared = sks.BorderClearer().transform(closed)
    labels = sks.ComponentLabeler().transform(cleared)
    return sks.AreaFilter(min_area=101).transform(labels)


def _phases(run, repeat):
    """Median of each phase of ``run`` (a dict of seconds) over ``repeat`` runs.

    A first run, reported apart as ``first`` (its total), pays the one-time
    costs.
    """
    first, result = run()
    runs = []
    for _ in range(repeat):
        times, result = run()
        runs.append(times)
    medians = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    medians["total"] = float(np.median([sum(r.values()) for r in runs]))
    medians["first"] = sum(first.values())
    return medians, result


def run_recipe_numpy(size, chunk, repeat):
    import sksegment as sks

    image = dask_image_of(size, chunk).compute()

    def run():
        start = time.perf_counter()
        thresholder = sks.OtsuThresholder().fit(image)
        labels = _recipe(image, thresholder)
        return {"compute": time.perf_counter() - start}, labels

    times, labels = _phases(run, repeat)
    return {**times, "count": int(labels.max())}


def run_recipe_dask(size, chunk, repeat):
    import sksegment as sks

    X = dask_image_of(size, chunk).persist()

    def run():
        times = {}
        start = time.perf_counter()
        thresholder = sks.OtsuThresholder().fit(X)
        times["fit"] = time.perf_counter() - start
        start = time.perf_counter()
        lazy = _recipe(X, thresholder)
        times["build"] = time.perf_counter() - start
        start = time.perf_counter()
        labels = lazy.compute()
        times["compute"] = time.perf_counter() - start
        return times, labels

    times, labels = _phases(run, repeat)
    tasks = _tasks(_recipe(X, sks.OtsuThresholder().fit(X)))
    return {
        **times,
        "count": int(labels.max()),
        "chunks": X.npartitions,
        "tasks": tasks,
    }


def _tasks(lazy):
    """The number of tasks of ``lazy`` as computed (after ``dask.optimize``)."""
    import dask

    (optimized,) = dask.optimize(lazy)
    return len(optimized.__dask_graph__())


def _close_chunk(block):
    import sksegment as sks

    return sks.MorphCloser(5, mode="constant").transform(block)


def _label_chunk(block):
    import sksegment as sks

    return sks.ComponentLabeler().transform(block)


def run_floor(size, chunk, repeat):
    """dask's blockwise floor: threshold, overlap closing, labels per chunk."""
    import dask.array as da

    import sksegment as sks

    X = dask_image_of(size, chunk).persist()
    threshold = sks.OtsuThresholder().fit(X).threshold_

    def run():
        times = {}
        start = time.perf_counter()
        closed = da.map_overlap(
            _close_chunk,
            X > threshold,
            depth={0: 0, 1: 4, 2: 4},
            boundary="none",
            dtype=bool,
        )
        lazy = closed.map_blocks(_label_chunk, dtype=np.int32)
        times["build"] = time.perf_counter() - start
        start = time.perf_counter()
        labels = lazy.compute()
        times["compute"] = time.perf_counter() - start
        return times, (labels, lazy)

    times, (labels, lazy) = _phases(run, repeat)
    return {**times, "chunks": X.npartitions, "tasks": _tasks(lazy)}


RUNS = {
    "numpy": run_numpy,
    "sksegment-dask": run_sksegment,
    "dask-image": run_dask_image,
    "out-of-core": run_out_of_core,
    "recipe-numpy": run_recipe_numpy,
    "recipe-dask": run_recipe_dask,
    "floor": run_floor,
}


def _child(name, size, chunk, repeat=1):
    out = subprocess.run(
        [sys.executable, __file__, "--run", name, "--size", str(size)]
        + ["--chunk", str(chunk), "--repeat", str(repeat), "--kind", KIND],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def chunk_table(size, chunks, repeat):
    """The recipe and dask's floor at each chunk size: rows of a table."""
    reference = _child("recipe-numpy", size, chunks[0], repeat)
    print(
        f"\nChunk sizes: the recipe (Otsu, closing, border clearing, labeling, "
        f"area filter) on {size}x{size} uint8, median of {repeat} runs; in memory "
        f"{reference['total']:.2f} s, {reference['count']} objects"
    )
    print(
        "| chunks | number | build (ms/chunk) | fit (s) | compute (s) | total (s) "
        "| floor build (ms/chunk) | floor total (s) | total / floor "
        "| tasks per chunk (floor) | count |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for chunk in chunks:
        r = _child("recipe-dask", size, chunk, repeat)
        f = _child("floor", size, chunk, repeat)
        n = r["chunks"]
        rows[chunk] = r, f
        same = "equal" if r["count"] == reference["count"] else "DIFFERENT"
        print(
            f"| {chunk}² | {n} | {1e3 * r['build'] / n:.2f} | {r['fit']:.2f} "
            f"| {r['compute']:.2f} | {r['total']:.2f} "
            f"| {1e3 * f['build'] / n:.2f} | {f['total']:.2f} "
            f"| {r['total'] / f['total']:.1f} "
            f"| {r['tasks'] / n:.1f} ({f['tasks'] / n:.1f}) | {r['count']} ({same}) |",
            flush=True,
        )
    most = min(chunks)
    build = max(1e3 * r["build"] / r["chunks"] for r, _ in rows.values())
    r, f = rows[most]
    print(
        f"  build at most {build:.2f} ms per chunk; at {r['chunks']} chunks the "
        "recipe takes "
        f"{r['total'] / f['total']:.1f}x dask's blockwise floor"
    )
    if 1024 in rows and most != 1024:
        base = rows[1024][0]
        print(
            f"  the recipe at {r['chunks']} chunks takes "
            f"{r['total'] / base['total']:.1f}x its time at {base['chunks']} chunks "
            f"(the floor {f['total'] / rows[1024][1]['total']:.1f}x)"
        )
    return rows


def _out_of_core(size, chunk):
    r = _child("out-of-core", size, chunk)
    print(
        f"{size}x{size} uint8 from zarr to zarr in {chunk}x{chunk} chunks "
        f"({(size // chunk) ** 2} chunks): {r['seconds']:.1f} s (writing the input "
        f"{r['write_seconds']:.1f} s), count {r['count']}, peak "
        f"{r['peak_mib']:.0f} MiB",
        flush=True,
    )
    return r


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--chunk", type=int, default=2048)
    parser.add_argument("--out-of-core", action="store_true")
    parser.add_argument("--ooc-size", type=int, default=32768)
    parser.add_argument(
        "--ooc-reference",
        action="store_true",
        help="also segment the out-of-core image in memory (about 10 GiB)",
    )
    parser.add_argument(
        "--huge",
        action="store_true",
        help="the out-of-core run in 2048x2048 and in 512x512 chunks",
    )
    parser.add_argument("--skip-dask-image", action="store_true")
    parser.add_argument(
        "--skip-comparison",
        action="store_true",
        help="no numpy / sksegment-dask / dask-image comparison (the table only)",
    )
    parser.add_argument(
        "--kind",
        choices=sorted(KINDS),
        default="blobs",
        help="the synthetic image: sparse blobs, or dense small noisy objects",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per implementation (median)"
    )
    parser.add_argument(
        "--table-chunks",
        default="2048,1024,512,256",
        help="chunk sizes of the chunk-size table (empty: no table)",
    )
    parser.add_argument(
        "--table-repeat", type=int, default=3, help="runs per cell of the table"
    )
    parser.add_argument("--run", choices=sorted(RUNS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    global KIND
    KIND = args.kind
    if args.run:
        result = RUNS[args.run](args.size, args.chunk, args.repeat)
        result["peak_mib"] = _peak_mib()
        print(json.dumps(result))
        return
    print(
        f"{args.size}x{args.size} uint8 in {args.chunk}x{args.chunk} chunks, "
        f"median of {args.repeat} runs"
    )
    names = [] if args.skip_comparison else ["numpy", "sksegment-dask"]
    if not (args.skip_dask_image or args.skip_comparison):
        names.append("dask-image")
    results = {}
    for name in names:
        r = results[name] = _child(name, args.size, args.chunk, args.repeat)
        print(
            f"  {name:15s} {r['seconds']:7.2f} s (first run {r['first']:5.2f} s)  "
            f"count {r['count']:7d}  peak {r['peak_mib']:7.0f} MiB",
            flush=True,
        )
    counts = {r["count"] for r in results.values()}
    if results:
        print(f"  counts identical: {len(counts) == 1}")
    if "dask-image" in results:
        ratio = results["dask-image"]["seconds"] / results["sksegment-dask"]["seconds"]
        print(f"  sksegment-dask is {ratio:.1f}x faster than dask-image")
    rows, huge = {}, {}
    if args.table_chunks:
        chunks = [int(c) for c in args.table_chunks.split(",")]
        rows = chunk_table(args.size, chunks, args.table_repeat)
    if args.out_of_core or args.huge:
        print()
        ooc_chunks = [2048, 512] if args.huge else [args.chunk]
        for chunk in ooc_chunks:
            r = huge[chunk] = _out_of_core(args.ooc_size, chunk)
        if args.ooc_reference:  # needs about 10 GiB
            ref = _child("numpy", args.ooc_size, args.chunk)
            print(
                f"  in memory: {ref['seconds']:.1f} s, count {ref['count']}, "
                f"peak {ref['peak_mib']:.0f} MiB; counts identical: "
                f"{ref['count'] == r['count']}"
            )
    goals(rows, huge, args.ooc_size)


def goals(rows, huge, ooc_size):
    """The issue's four goals, measured in this run, with pass or fail."""
    by_number = {r["chunks"]: (r, f) for r, f in rows.values()}
    lines = []

    def line(text, value, limit):
        verdict = "pass" if value <= limit else "FAIL"
        lines.append(f"  {text}: {value:.2f} (goal at most {limit}) {verdict}")

    if 1024 in by_number:
        r, f = by_number[1024]
        line(
            "building the graph at 1024 chunks, ms per chunk",
            1e3 * r["build"] / 1024,
            1,
        )
        if 64 in by_number:
            line(
                "the recipe at 1024 chunks / at 64 chunks",
                r["total"] / by_number[64][0]["total"],
                3,
            )
        line(
            "the recipe at 1024 chunks / dask's blockwise floor",
            r["total"] / f["total"],
            3,
        )
    if 512 in huge:
        r = huge[512]
        line(
            f"{ooc_size}² zarr to zarr in 512² chunks, peak GiB",
            r["peak_mib"] / 1024,
            2.5,
        )
        other = huge.get(2048)
        lines.append(
            f"    its time {r['seconds']:.1f} s"
            + (f", in 2048² chunks {other['seconds']:.1f} s" if other else "")
        )
    if lines:
        print(f"\nGoals ({KIND} images):")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
