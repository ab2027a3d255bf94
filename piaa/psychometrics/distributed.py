"""Calibration past one machine: the E-step over partitions of the persons on Dask.

Everything a dichotomous calibration takes from the persons adds over
persons: the expected counts per item and quadrature node, the log-likelihood,
the score sums of the start values and the cross-products of person scores
behind the standard errors. So the responses are split by persons into
partitions that stay in the memory of ``dask.distributed`` workers; every
E-step sends the current item parameters to them, each worker returns the
(J, Q) counts of its partition, and the client adds them in partition order
and takes the M-step, which sees only the counts. The fit is the
single-process fit: the same EM path, to floating-point summation order.

Usage::

    from dask.distributed import Client
    from piaa.psychometrics import IRTCalibrator
    from piaa.psychometrics.distributed import DistributedResponses

    client = Client("tcp://scheduler:8786")
    responses = DistributedResponses(client, [part_1, part_2, ...])
    fit = IRTCalibrator(model="2pl").fit(responses)

A partition is an (n_k, J) array (0/1, NaN = not administered), a
:class:`SparseResponses`, a function of no arguments returning one of these,
called on a worker, or a Dask future of one already on the cluster (so a
partition can be read or made where it is used instead of travelling from
the client).

With ``precision="double"`` the fit equals the single-process fit to
summation order (1e-8 is checked; 1e-12 is typical). Float32 early E-steps
("auto" above 2 million cells, or "single") round differently when persons
are grouped differently, so there the two fits end within about ``tol`` of
the same optimum, as two single-process fits from different starts would.

Dask is imported only when a :class:`DistributedResponses` is made, so the
package stays importable, and pure, without it. Models: Rasch, 1PL, 2PL,
3PL, 4PL, and their per-item mixtures; the polytomous models and the girth
engine run in one process only.
"""

from __future__ import annotations

import functools
import operator
from typing import Callable, Sequence

import numpy as np

from . import _em
from ._blas import one_blas_thread

__all__ = ["DistributedResponses", "PartitionedDesign"]


def _on_worker(func: Callable, design, *args):
    # Workers hold one partition per task; one BLAS thread each, as in a fit.
    with one_blas_thread():
        return func(design, *args)


def _prepare_partition(index: int, partition, chunk_size: int) -> _em.ResponseDesign:
    from .calibration import _prepare

    data = partition() if callable(partition) else partition
    try:
        return _prepare(data, chunk_size, np.float64)
    except ValueError as exc:
        raise ValueError(f"partition {index}: {exc}") from None


def _summary(design: _em.ResponseDesign):
    return design.n_persons, design.n_items, design.kind, design.n_administered, design.n_correct


class DistributedResponses:
    """Responses split by persons into partitions held by a Dask cluster.

    Parameters
    ----------
    client : dask.distributed.Client of the cluster to use.
    partitions : sequence of partitions (see the module docstring); every
        partition has the same J item columns, in the same order.

    The partitions are sent to (or made on) the workers when the calibrator
    prepares them, once per fit.
    """

    def __init__(self, client, partitions: Sequence):
        import distributed  # noqa: F401  (fails here, clearly, without dask.distributed)

        if len(partitions) == 0:
            raise ValueError("no partitions: give at least one block of persons")
        self.client = client
        self.partitions = list(partitions)

    def prepare(self, chunk_size: int) -> "PartitionedDesign":
        """Prepare every partition on the cluster, where it then stays."""
        from distributed import Future

        futures = []
        for i, part in enumerate(self.partitions):
            if not (callable(part) or isinstance(part, Future)):
                part = self.client.scatter(part)
            futures.append(self.client.submit(_prepare_partition, i, part, chunk_size, pure=False))
        return PartitionedDesign.from_futures(self.client, futures)


class PartitionedDesign:
    """A ResponseDesign whose persons live in partitions on Dask workers.

    It answers what the calibration asks of a design: the sizes, the item
    totals, ``map_sum`` (a statistic summed over persons, computed where
    the persons are) and ``single_precision`` (float32 twins, made on the
    workers). The workers keep the partitions until the design is dropped
    (Dask releases data no future refers to).
    """

    def __init__(self, client, futures, n_persons, n_items, kind, dtype, n_administered, n_correct):
        self.client = client
        self.futures = futures
        self.n_persons = n_persons
        self.n_items = n_items
        self.kind = kind
        self.dtype = dtype
        self.n_administered = n_administered
        self.n_correct = n_correct

    @classmethod
    def from_futures(cls, client, futures) -> "PartitionedDesign":
        summaries = client.gather([client.submit(_summary, f, pure=False) for f in futures])
        items = {s[1] for s in summaries}
        if len(items) != 1:
            sizes = [s[1] for s in summaries]
            bad = next(i for i, j in enumerate(sizes) if j != sizes[0])
            raise ValueError(
                f"partition {bad} has {sizes[bad]} item columns but partition 0 has {sizes[0]}")
        kinds = {s[2] for s in summaries}
        return cls(
            client, futures,
            n_persons=sum(s[0] for s in summaries),
            n_items=items.pop(),
            kind=kinds.pop() if len(kinds) == 1 else "indicator",
            dtype=np.float64,
            n_administered=functools.reduce(operator.add, (s[3] for s in summaries)),
            n_correct=functools.reduce(operator.add, (s[4] for s in summaries)),
        )

    def map_sum(self, func: Callable, *args):
        """Σ over partitions of ``func(partition design, *args)``, added in partition order."""
        parts = [self.client.submit(_on_worker, func, f, *args, pure=False) for f in self.futures]
        return functools.reduce(operator.add, self.client.gather(parts))

    def single_precision(self) -> "PartitionedDesign":
        twins = [self.client.submit(_em.in_single_precision, f, pure=False) for f in self.futures]
        return PartitionedDesign(self.client, twins, self.n_persons, self.n_items, self.kind,
                                 np.float32, self.n_administered, self.n_correct)
