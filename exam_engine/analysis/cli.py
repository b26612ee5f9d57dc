"""``bank`` command group: long jobs on the item bank, run outside the request.

``exam-engine bank calibrate`` estimates IRT parameters from live exam data
(``exam_engine.analysis.live_calibration``), prints its progress and a summary in Vietnamese, and commits
once at the end — or not at all with ``--dry-run``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from exam_engine.analysis.live_calibration import CalibrationReport

__all__ = ["bank"]


@click.group(name="bank")
def bank() -> None:
    """Ngân hàng câu hỏi: hiệu chỉnh tham số từ dữ liệu thi thật."""


class _Progress:
    """One live line on stderr fed by the EM's progress(iteration, loglik, max_change)."""

    def __init__(self) -> None:
        self.started = False

    def __call__(self, iteration: int, loglik: float, max_change: float) -> None:
        self.started = True
        click.echo(f"\r  Vòng EM {iteration:>4}: log-likelihood {loglik:.3f}, "
                   f"thay đổi lớn nhất {max_change:.1e}   ", nl=False, err=True)

    def close(self) -> None:
        if self.started:
            click.echo("", err=True)


@bank.command("calibrate")
@click.option("--model", type=click.Choice(("1pl", "2pl", "3pl"), case_sensitive=False),
              default="2pl", show_default=True, help="Mô hình IRT.")
@click.option("--min-responses", type=click.IntRange(min=1), default=200, show_default=True,
              help="Bỏ qua phiên bản có ít câu trả lời hơn.")
@click.option("--no-anchors", is_flag=True,
              help="Ước lượng lại cả các câu đã có tham số thật (không giữ cố định).")
@click.option("--dry-run", is_flag=True, help="Chỉ tính và in kết quả, không ghi gì.")
@click.option("--verbose", "-v", is_flag=True, help="In tham số của từng phiên bản.")
@with_appcontext
def calibrate_command(model: str, min_responses: int, no_anchors: bool, dry_run: bool,
                      verbose: bool) -> None:
    """Hiệu chỉnh tham số IRT của ngân hàng từ các bài thi đã nộp (MML, EM)."""
    from exam_engine.analysis.live_calibration import calibrate_from_live_data

    db = current_app.extensions["db_sessions"]()
    progress = _Progress()
    try:
        click.echo(f"Đang đọc câu trả lời của các bài thi đã nộp và hiệu chỉnh ({model.upper()})…")
        try:
            report = calibrate_from_live_data(db, model=model, min_responses=min_responses,
                                              anchor_non_demo=not no_anchors, progress=progress)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        finally:
            progress.close()
        _print_summary(report, min_responses, verbose)
        if dry_run:
            db.rollback()
            click.echo("Chạy thử (--dry-run): không ghi gì vào cơ sở dữ liệu.")
        else:
            db.commit()
            click.echo(f"Đã lưu tham số của {report.n_changed} phiên bản câu hỏi.")
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()


def _print_summary(report: CalibrationReport, min_responses: int, verbose: bool) -> None:
    click.echo(f"Mô hình {report.model.upper()}: {report.n_persons} bài thi, "
               f"{report.n_responses} câu trả lời.")
    click.echo(f"Hiệu chỉnh: {len(report.calibrated)} phiên bản "
               f"({report.n_changed} có tham số mới); giữ cố định (neo): {len(report.anchored)}; "
               f"bỏ qua (dưới {min_responses} câu trả lời): {len(report.skipped)}.")
    if not report.calibrated:
        click.echo("Không có phiên bản nào đủ dữ liệu để hiệu chỉnh.")
        return
    click.echo(f"Log-likelihood {report.loglik:.3f}; {report.n_iter} vòng EM; "
               f"hội tụ: {'có' if report.converged else 'KHÔNG'}.")
    if verbose:
        for v in report.calibrated:
            click.echo(f"  phiên bản #{v.version_id}: a = {v.a:.3f}, b = {v.b:.3f}, "
                       f"c = {v.c:.3f} (N = {v.n_responses})")
