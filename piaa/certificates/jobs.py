"""Background jobs of the certificates domain (run by piaa.jobs, in a thread or an RQ worker)."""

from __future__ import annotations

from piaa.extensions import db
from piaa.jobs import report_progress

from . import services

COMMIT_EVERY = 25


def render_batch(certificate_ids: list[int]) -> dict:
    """Render and sign the PDFs of ``certificate_ids``; commits in small groups so a long batch
    neither holds one huge transaction nor keeps every PDF in memory."""
    total = len(certificate_ids)
    for start in range(0, total, COMMIT_EVERY):
        chunk = certificate_ids[start:start + COMMIT_EVERY]
        services.render_certificates(db.session, chunk)
        db.session.commit()
        db.session.expunge_all()
        report_progress(min(start + COMMIT_EVERY, total), total)
    return {"rendered": total}


def render_unrendered(certificate_ids: list[int]) -> dict:
    """Render the PDFs of those of ``certificate_ids`` that have none yet: queued when scoring
    issues certificates. Running it twice, or after a batch run rendered them, renders
    nothing again; an id whose certificate was rolled back is skipped."""
    pending = services.pending_certificate_ids(db.session, among=sorted(set(certificate_ids)))
    return render_batch(pending) if pending else {"rendered": 0}
