"""The E-step over partitions on a Dask cluster gives the single-process fit.

Reference: the single-process fit of the same data (IRTCalibrator on the
whole matrix), which tests/psychometrics/test_calibration.py checks against
R mirt. Only the order in which per-person sums are added differs, so the
estimates must agree far inside the EM tolerance: 1e-8.
"""

import distributed
import numpy as np
import pytest

from piaa.psychometrics import IRTCalibrator, SparseResponses
from piaa.psychometrics.distributed import DistributedResponses
from piaa.psychometrics.irt import prob


@pytest.fixture(scope="module")
def client():
    # Threads in this process: two workers as a real cluster has, without
    # the start-up cost of worker processes.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def _responses(seed, n=3_000, J=12, missing=0.2):
    rng = np.random.default_rng(seed)
    params = np.column_stack([rng.lognormal(0, 0.25, J), rng.normal(0, 1, J), np.zeros(J), np.ones(J)])
    x = (rng.random((n, J)) < prob(rng.normal(size=n), params)).astype(float)
    x[rng.random((n, J)) < missing] = np.nan
    return x


def _split(x, bounds):
    return [x[a:b] for a, b in zip((0, *bounds), (*bounds, x.shape[0]))]


@pytest.mark.parametrize("model, options, anchors", [
    ("2pl", {"se_method": "xpd"}, None),
    ("2pl", {"se_method": "hessian"}, {0: [1.1, -0.2, 0.0, 1.0]}),
    ("1pl", {"se_method": "xpd", "slope_prior": (0.0, 0.5)}, None),
])
def test_partitioned_fit_equals_the_single_process_fit(client, model, options, anchors):
    x = _responses(11)
    single = IRTCalibrator(model=model, precision="double", **options).fit(x, anchors=anchors)
    parts = _split(x, (700, 1_900, 2_400))  # unequal partitions
    many = IRTCalibrator(model=model, precision="double", **options).fit(
        DistributedResponses(client, parts), anchors=anchors)
    # The same EM path, step for step: not merely the same optimum.
    assert many.converged_ and many.n_iter_ == single.n_iter_
    np.testing.assert_allclose(many.params_, single.params_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(many.se_, single.se_, rtol=1e-8, atol=0)
    assert many.loglik_ == pytest.approx(single.loglik_, rel=1e-12)
    assert many.result_.n_persons == x.shape[0]
    np.testing.assert_allclose(many.result_.theta_weights, single.result_.theta_weights, atol=1e-12)


def test_single_precision_early_steps_end_within_tol_of_the_single_process_fit(client):
    # Float32 sums depend on how persons are grouped, so the early E-steps take
    # a slightly different path; the float64 steps that decide convergence end
    # both within a few tol of the one optimum.
    x = _responses(14)
    single = IRTCalibrator(precision="single", se_method=None).fit(x)
    many = IRTCalibrator(precision="single", se_method=None).fit(
        DistributedResponses(client, _split(x, (1_500,))))
    assert many.converged_
    np.testing.assert_allclose(many.params_, single.params_, rtol=0, atol=2e-5)


def test_partitions_made_on_the_workers_and_sparse(client):
    x = _responses(12, n=2_000, missing=0.6)
    seen = ~np.isnan(x)

    def sparse_part(lo, hi):
        import scipy.sparse as sp

        return lambda: SparseResponses(sp.csr_matrix(seen[lo:hi].astype(float)),
                                       sp.csr_matrix(np.nan_to_num(x[lo:hi])))

    single = IRTCalibrator(se_method=None).fit(x)
    many = IRTCalibrator(se_method=None).fit(
        DistributedResponses(client, [sparse_part(0, 1_000), sparse_part(1_000, 2_000)]))
    np.testing.assert_allclose(many.params_, single.params_, rtol=0, atol=1e-8)


def test_bad_partitions_are_named(client):
    x = _responses(13, n=600)
    with pytest.raises(ValueError, match="partition 1 has 11 item columns but partition 0 has 12"):
        IRTCalibrator().fit(DistributedResponses(client, [x[:300], x[300:, :11]]))
    bad = x.copy()
    bad[450, 3] = 2.0
    with pytest.raises(ValueError, match=r"partition 1: responses must be 0, 1 or NaN; row 150, item column 3 holds 2"):
        IRTCalibrator().fit(DistributedResponses(client, [bad[:300], bad[300:]]))
    with pytest.raises(ValueError, match="dichotomous models and engine 'piaa'"):
        IRTCalibrator(model="grm").fit(DistributedResponses(client, [x]))
    with pytest.raises(ValueError, match="no partitions"):
        DistributedResponses(client, [])


# ------------------------------------------------------------------ piaa calibrate --scheduler
@pytest.fixture(scope="module")
def scheduler_address():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _calibrate(*args):
    from click.testing import CliRunner

    from piaa.psychometrics_cli import calibrate

    return CliRunner().invoke(calibrate, [str(a) for a in args], catch_exceptions=False)


def test_calibrate_on_a_cluster_writes_the_single_process_parameters(scheduler_address, tmp_path):
    from tests.psychometrics.data import public_data_path

    lsat7 = public_data_path("LSAT7.csv")
    here = _calibrate(lsat7, "--model", "2pl", "--out", tmp_path / "here.csv")
    there = _calibrate(lsat7, "--model", "2pl", "--out", tmp_path / "there.csv",
                       "--scheduler", scheduler_address, "--partitions", 3)
    assert here.exit_code == 0 and there.exit_code == 0, there.output
    assert (tmp_path / "there.csv").read_text() == (tmp_path / "here.csv").read_text()
    assert there.output.splitlines()[:3] == here.output.splitlines()[:3]


def test_calibrate_with_an_unreachable_scheduler_says_so_and_writes_nothing(tmp_path, monkeypatch):
    from piaa import psychometrics_cli
    from tests.psychometrics.data import public_data_path

    monkeypatch.setattr(psychometrics_cli, "SCHEDULER_TIMEOUT_S", 1)
    out = _calibrate(public_data_path("LSAT7.csv"), "--model", "2pl", "--out", tmp_path / "p.csv",
                     "--scheduler", "tcp://127.0.0.1:9")
    assert out.exit_code == 1
    assert "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 1 s" in out.output
    assert not (tmp_path / "p.csv").exists()
    out = _calibrate(public_data_path("Science.csv"), "--model", "grm", "--out", tmp_path / "p.csv",
                     "--scheduler", "tcp://127.0.0.1:9")
    assert out.exit_code == 2 and "--scheduler takes the dichotomous models" in out.output
