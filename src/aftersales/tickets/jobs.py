"""Background job: the SLA warning/breach sweep over open tickets."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import Settings
from aftersales.core.clock import Clock
from aftersales.core.db import unit_of_work
from aftersales.core.progress import SILENT, Progress
from aftersales.tickets import sla_tracking


def sweep_job(
    session_factory: sessionmaker[Session], clock: Clock, settings: Settings, *, progress: Progress = SILENT
) -> sla_tracking.SweepReport:
    """Run sweep passes, one committed batch at a time, until nothing more is due (each batch's targets
    reported to ``progress``; how many are due is not known in advance)."""
    progress.stage("SLA 扫描 / sweep")
    totals = [0, 0, 0, 0]
    while True:
        with unit_of_work(session_factory) as session:
            report = sla_tracking.sweep(session, clock=clock, limit=settings.sweep_batch_size)
        for index, value in enumerate(
            (report.targets_checked, report.warnings, report.breaches, report.tickets_changed)
        ):
            totals[index] += value
        progress.advance(report.targets_checked)
        if report.targets_checked < settings.sweep_batch_size:
            return sla_tracking.SweepReport(*totals)
