"""Officials' pages for the paper backlog: upload a file, watch it import, download the refused rows."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import close_old_connections
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render

from sotiem.accounts.scoping import grants_of, has_national
from sotiem.immunizations.imports import import_run_execute, import_run_report, import_run_start
from sotiem.immunizations.ingest import Sender
from sotiem.immunizations.models import ImportRun, ImportStatus
from sotiem.lib.spreadsheets import SheetError, write_template

UPLOADS = "uploads"
ALLOWED = {".csv", ".xlsx", ".txt", ".tsv"}


def _province_of(user: Any) -> str | None:
    """The province an official imports for ('' for national); None when they may not import at all."""
    if has_national(user, "change"):
        return ""
    for grant in grants_of(user):
        if grant.allows("change") and grant.level in ("province", "commune") and grant.province_code:
            return grant.province_code
    return None


def _runs_for(user: Any) -> Any:
    qs = ImportRun.objects.all()
    return qs if has_national(user, "view") else qs.filter(started_by=user)


def _run_in_background(run_id: int, path: Path, sender: Sender, actor: str) -> None:
    def work() -> None:
        try:
            run = ImportRun.objects.get(pk=run_id)
            import_run_execute(run=run, path=path, sender=sender, actor=actor)
        except Exception:  # noqa: BLE001 (the run records its own failure; the page shows it)
            pass
        finally:
            close_old_connections()

    threading.Thread(target=work, name=f"import-{run_id}", daemon=True).start()


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the official's runs; POST: start importing an uploaded file."""
    province = _province_of(request.user)
    if province is None:
        return HttpResponseForbidden("Bạn không có quyền nhập dữ liệu / You may not import records")
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        source = (request.POST.get("source") or "").strip()
        suffix = Path(upload.name or "").suffix.lower() if upload else ""
        if upload is None or suffix not in ALLOWED:
            error = "Hãy chọn tệp .xlsx hoặc .csv / Choose an .xlsx or .csv file"
        elif not source:
            error = "Hãy ghi mã đơn vị gửi (ví dụ HCM-BACKLOG) / Give the sender code (e.g. HCM-BACKLOG)"
        else:
            folder = Path(settings.VAR_DIR) / UPLOADS
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                run = import_run_start(path=path, source=source, user=request.user)
                run.file_name = (upload.name or path.name)[:255]
                run.save(update_fields=["file_name"])
            except SheetError as exc:
                error = str(exc)
            else:
                sender = Sender(source=source, province_code=province, label=f"web:{request.user.get_username()}")
                _run_in_background(run.pk, path, sender, f"web:{request.user.get_username()}")
                return redirect("import_detail", public_id=run.public_id)
    runs = _runs_for(request.user)[:50]
    return render(request, "immunizations/imports.html", {"runs": runs, "error": error, "province": province})


@login_required
def import_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A run's progress; with ?partial=1 only the progress fragment (polled by the page)."""
    run = _runs_for(request.user).filter(public_id=public_id).first()
    if run is None:
        raise Http404
    template = "immunizations/partials/import_progress.html" if request.GET.get("partial") else \
        "immunizations/import_detail.html"
    return render(request, template, {"run": run, "done": run.status != ImportStatus.RUNNING,
                                      "percent": round(100 * run.progress())})


@login_required
def import_report(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    """The refused rows of a run (line, record id, status, reason) as XLSX."""
    run = _runs_for(request.user).filter(public_id=public_id).first()
    if run is None:
        raise Http404
    folder = Path(settings.VAR_DIR) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    path = import_run_report(run=run, path=folder / f"report-{run.public_id}.xlsx")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"bao-cao-{Path(run.file_name).stem}.xlsx")


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    """The backlog template: Vietnamese headers, the machine names, an example row and a guide sheet."""
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="mau-nhap-mui-tiem.xlsx"'
    write_template(response)  # type: ignore[arg-type]  # an HttpResponse is a writable binary file
    return response
