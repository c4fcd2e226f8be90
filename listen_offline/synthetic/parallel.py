"""Runs the synthesis jobs of a synthetic corpus in parallel.

Threads are enough: the work of a job happens in child processes
(espeak-ng, sox), and threads avoid starting Python worker processes that
would re-import this package (and torch).

Authors
 * speechbrain-listen contributors 2026
"""

import concurrent.futures

from tqdm import tqdm


def run_parallel(jobs, num_workers, progress=True, desc=None, unit="it"):
    """Calls every job on a pool of threads, with a progress bar.

    The first failure (in order of completion) is raised once it is seen;
    the jobs not started yet are cancelled then, so that no more work goes
    into a corpus that will be thrown away (jobs already running finish
    first).

    Arguments
    ---------
    jobs : list of callable
        Zero-argument callables (``functools.partial(function, *args)``).
    num_workers : int
        Jobs run at the same time.
    progress : bool
        Show a tqdm progress bar.
    desc : str, optional
        The progress bar's label.
    unit : str
        What the progress bar counts.

    Returns
    -------
    list
        The jobs' return values, in the order of ``jobs``.

    Example
    -------
    >>> import functools
    >>> jobs = [functools.partial(pow, 2, n) for n in range(4)]
    >>> run_parallel(jobs, num_workers=2, progress=False)
    [1, 2, 4, 8]
    """
    with concurrent.futures.ThreadPoolExecutor(num_workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            with tqdm(
                total=len(futures),
                desc=desc,
                unit=unit,
                disable=not progress,
            ) as bar:
                for future in concurrent.futures.as_completed(futures):
                    future.result()
                    bar.update(1)
        except BaseException:
            # Also on Ctrl-C: start no job that is still waiting.
            for future in futures:
                future.cancel()
            raise
    return [future.result() for future in futures]
