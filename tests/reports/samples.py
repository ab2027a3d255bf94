"""Files of matched learners with known provider effects, for the report's tests."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HEADER = ["learner", "course", "provider", "mdo", "competency", "pre_theta", "pre_se",
          "post_theta", "post_se", "note"]
#: provider: (learners, true value added, mean intake)
PROVIDERS = {
    "Strong Institute": (150, 0.6, 0.0),
    "Weak Academy": (150, -0.6, 0.0),
    "Tiny College": (6, 0.0, 0.0),
    "Able Intake School": (200, 0.0, 0.8),
    "Low Intake School": (200, 0.0, -0.8),
    "Average Centre": (120, 0.0, 0.0),
}
MDOS = ("Ministry of Finance", "Ministry of Health", "Department of Posts")


def matched_learners(seed: int = 1, competency: str = "FIN-01") -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for provider, (size, effect, intake) in PROVIDERS.items():
        true_pre = intake + rng.normal(0, 0.8, size)
        true_post = 0.3 + 0.85 * true_pre + effect + rng.normal(0, 0.35, size)
        se_pre, se_post = rng.uniform(0.25, 0.4, size), rng.uniform(0.25, 0.4, size)
        pre = true_pre + se_pre * rng.standard_normal(size)
        post = true_post + se_post * rng.standard_normal(size)
        for i in range(size):
            rows.append({"learner": f"{provider[:4].upper()}-{i:04d}",
                         "course": f"{provider} course {1 + i % 2}", "provider": provider,
                         "mdo": MDOS[i % 3], "competency": competency,
                         "pre_theta": f"{pre[i]:.4f}", "pre_se": f"{se_pre[i]:.4f}",
                         "post_theta": f"{post[i]:.4f}", "post_se": f"{se_post[i]:.4f}",
                         "note": "ignored"})
    return rows


def write_learners(path: Path, rows: list[dict], header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
