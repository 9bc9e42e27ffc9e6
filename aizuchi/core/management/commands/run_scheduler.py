"""`manage.py run_scheduler`: enqueue periodic jobs when their slot comes (core.schedule).

    manage.py run_scheduler            # loop until Ctrl-C or SIGTERM
    manage.py run_scheduler --once     # run the jobs that are due now, then exit

Running two schedulers is safe: each slot is claimed once in the database.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from aizuchi.core import schedule


class Command(BaseCommand):
    help = "Enqueue periodic jobs (AIZUCHI_SCHEDULE) once per slot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run due jobs once and exit")
        parser.add_argument(
            "--max-sleep",
            type=float,
            default=60.0,
            help="longest wait between checks, in seconds (default 60)",
        )

    def handle(self, *args, once: bool, max_sleep: float, **options) -> None:
        if once:
            self._tick()
            return
        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        names = ", ".join(f"{job.name} every {job.interval}" for job in schedule.jobs())
        self.stdout.write(f"scheduler: {names or 'no jobs'}")
        while not stop.is_set():
            close_old_connections()  # a long-lived loop: drop connections the server closed
            self._tick()
            wait = min(max_sleep, schedule.seconds_until_next_slot() + 0.5)
            stop.wait(wait)
        self.stdout.write("scheduler: stopped")

    def _tick(self) -> None:
        try:
            runs = schedule.run_due()
        except DatabaseError as exc:
            # The database may be restarting: say so and try again on the next tick.
            self.stderr.write(f"scheduler: database error, will retry: {exc}")
            return
        for run in runs:
            slot = f"{run.slot_start:%Y-%m-%d %H:%M} UTC"
            self.stdout.write(f"scheduler: {run.job} for {slot}: {run.status or 'claimed'}")
