"""The training log: one CSV (a row per iteration, validation rows in between) and a curve PNG.

One file keeps loss and validation scores on the same iteration axis, readable by a spreadsheet
or pandas. On resume the rows after the checkpoint's iteration are dropped (a run that went on
past its last checkpoint before dying must not leave a doubled history). The plot is drawn with
matplotlib's Agg canvas directly, so training never touches the global backend of a process that
may also show a GUI.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fcn_core.atomic_file import write_atomically, write_text_atomically
from fcn_core.training.metrics import SegmentationScores

COLUMNS = (
    "iteration", "epoch", "loss", "lr", "elapsed_s",
    "val_pixel_accuracy", "val_mean_accuracy", "val_mean_iu", "val_fw_iu",
)
SMOOTHING_WINDOW = 20
"""Iterations averaged in the plotted loss curve (Caffe's ``average_loss: 20``)."""


@dataclass(frozen=True)
class LogRow:
    iteration: int
    values: dict[str, float]


class TrainingLog:
    """Appends rows to ``log.csv`` in ``out_dir`` and redraws ``curves.png`` on request.

    Resuming into a folder without a log (a run continued elsewhere) starts a new log there.
    """

    def __init__(self, out_dir: Path, *, resume_iteration: int | None = None) -> None:
        self.csv_path = Path(out_dir) / "log.csv"
        self.plot_path = Path(out_dir) / "curves.png"
        self.rows: list[LogRow] = []
        if resume_iteration is None:
            if self.csv_path.exists():
                raise FileExistsError(
                    f"{self.csv_path} exists: choose another output folder, or continue that run with --resume"
                )
        elif self.csv_path.exists():
            self.rows = [row for row in read_log(self.csv_path) if row.iteration <= resume_iteration]
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        self._write_csv()

    def log_iteration(self, iteration: int, epoch: int, loss: float, lr: float, elapsed_s: float) -> None:
        self._append(LogRow(iteration, {"epoch": epoch, "loss": loss, "lr": lr, "elapsed_s": elapsed_s}))

    def log_validation(self, iteration: int, scores: SegmentationScores) -> None:
        self._append(
            LogRow(
                iteration,
                {
                    "val_pixel_accuracy": scores.pixel_accuracy,
                    "val_mean_accuracy": scores.mean_accuracy,
                    "val_mean_iu": scores.mean_iu,
                    "val_fw_iu": scores.frequency_weighted_iu,
                },
            )
        )

    def _append(self, row: LogRow) -> None:
        self.rows.append(row)
        self._write_csv()

    def _write_csv(self) -> None:
        """Rewrite the whole log atomically: a crash mid-write never leaves a torn last row (the log
        holds one row per logged iteration, a few hundred KB for a paper-length run)."""
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        writer.writerows(_cells(row) for row in self.rows)
        write_text_atomically(self.csv_path, text.getvalue())

    def plot(self) -> Path:
        """Draw loss (raw and smoothed) and validation mean IU against iterations."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        train = [(row.iteration, row.values["loss"]) for row in self.rows if "loss" in row.values]
        val = [(row.iteration, row.values["val_mean_iu"]) for row in self.rows if "val_mean_iu" in row.values]
        figure = Figure(figsize=(8, 4.5), dpi=100)
        FigureCanvasAgg(figure)
        loss_axes = figure.add_subplot(1, 1, 1)
        if train:
            iterations, losses = np.array(train).T
            loss_axes.plot(iterations, losses, color="tab:blue", alpha=0.25, linewidth=0.8, label="loss")
            window = min(SMOOTHING_WINDOW, len(losses))
            smoothed = np.convolve(losses, np.ones(window) / window, mode="valid")
            loss_axes.plot(iterations[window - 1 :], smoothed, color="tab:blue", label=f"loss (mean of {window})")
        loss_axes.set_xlabel("iteration")
        loss_axes.set_ylabel("training loss", color="tab:blue")
        iu_axes = loss_axes.twinx()
        if val:
            val_iterations, ious = np.array(val).T
            iu_axes.plot(val_iterations, ious * 100, "o-", color="tab:red", label="val mean IU")
        iu_axes.set_ylabel("validation mean IU (%)", color="tab:red")
        iu_axes.set_ylim(0, 100)
        figure.tight_layout()
        write_atomically(self.plot_path, lambda file: figure.savefig(file, format="png"))
        return self.plot_path


def _cells(row: LogRow) -> list[str]:
    cells = {"iteration": str(row.iteration)}
    cells.update({key: repr(float(value)) if key != "epoch" else str(int(value)) for key, value in row.values.items()})
    return [cells.get(column, "") for column in COLUMNS]


def read_log(path: Path) -> list[LogRow]:
    """Rows of a ``log.csv`` (empty cells left out of ``values``)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return [
            LogRow(
                int(record["iteration"]),
                {key: float(value) for key, value in record.items() if key != "iteration" and value != ""},
            )
            for record in csv.DictReader(handle)
        ]


def last_validation(rows: list[LogRow]) -> dict[str, float] | None:
    """The latest validation row's values (``None`` before the first validation)."""
    for row in reversed(rows):
        if "val_mean_iu" in row.values:
            return row.values
    return None
