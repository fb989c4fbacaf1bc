"""Officials' pages for the paper backlog: upload a file, watch it import, download the refused rows."""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from sotiem.accounts.scoping import has_national
from sotiem.audit.actors import Actor, Agent
from sotiem.immunizations.imports import (
    HEARTBEAT,
    ImportSource,
    import_run_heartbeat,
    import_run_is_stale,
    import_run_process,
    import_run_report,
    import_run_start,
    import_run_unlisted,
    import_runs_fail_stale,
    import_sources_for,
)
from sotiem.immunizations.ingest import Sender
from sotiem.immunizations.models import ImportRun, ImportStatus
from sotiem.immunizations.uploads import LimitedUploadHandler, too_large_message, upload_kind
from sotiem.lib.spreadsheets import write_template

UPLOADS = "uploads"
# Imports running at once in one server process; more wait their turn (their heartbeat keeps them alive).
_SLOTS = threading.BoundedSemaphore(2)
WRONG_KIND = gettext_lazy("Choose an .xlsx or .csv file")
NOT_YOURS = gettext_lazy("You may not import as this sender: only as one your grants allow.")


def _runs_for(user: Any) -> Any:
    qs = ImportRun.objects.all()
    return qs if has_national(user, "view") else qs.filter(started_by=user)


def _run_in_background(run_id: int, path: Path, sender: Sender, actor: Actor) -> None:
    """Count and import off the request, beating the run's heartbeat until done; the run records any failure.

    The run's report (refusal reasons, errors) is written in the uploader's language: the request's language is
    carried into the thread, which does not inherit it.
    """
    language = translation.get_language()

    def work() -> None:
        done = threading.Event()

        def beat() -> None:
            while not done.wait(HEARTBEAT.total_seconds()):
                try:
                    import_run_heartbeat(ImportRun(pk=run_id))
                finally:
                    close_old_connections()

        beater = threading.Thread(target=beat, name=f"import-{run_id}-heartbeat", daemon=True)
        beater.start()
        try:
            with _SLOTS, translation.override(language):
                import_run_process(
                    run=ImportRun.objects.get(pk=run_id), path=path, sender=sender, actor=actor
                )
        finally:
            done.set()
            close_old_connections()

    threading.Thread(target=work, name=f"import-{run_id}", daemon=True).start()


def _chosen_source(sources: list[ImportSource], code: str) -> ImportSource | None:
    """The source named in the form if the official's grants allow it; the only one when none is named."""
    if not code and len(sources) == 1:
        return sources[0]
    return next((s for s in sources if s.code == code), None)


@csrf_exempt  # the upload handler must be set before the CSRF check reads the body; csrf_protect runs below
@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the official's runs; POST: save an uploaded file and start its run."""
    request.upload_handlers = [LimitedUploadHandler(request, settings.SOTIEM_IMPORT_MAX_BYTES)]
    return _import_list(request)


@csrf_protect
def _import_list(request: HttpRequest) -> HttpResponse:
    sources = import_sources_for(user=request.user)
    if not sources:
        raise PermissionDenied(_("You may not import records"))
    import_runs_fail_stale()
    error, status = "", 200
    if request.method == "POST":
        limit = max(settings.SOTIEM_IMPORT_MAX_BYTES.values())
        if (
            int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024
        ):  # refused before reading the body
            error, status = too_large_message(limit), 413
        else:
            error, status, response = _start_upload(request, sources)
            if response is not None:
                return response
    runs = _runs_for(request.user)[:50]
    return render(
        request,
        "immunizations/imports.html",
        {"runs": runs, "error": error, "sources": sources},
        status=status,
    )


def _start_upload(request: HttpRequest, sources: list[ImportSource]) -> tuple[str, int, HttpResponse | None]:
    handler = request.upload_handlers[0]
    upload = request.FILES.get("file")
    refused = getattr(handler, "refused", "")
    if refused:
        return refused, 413, None
    if upload is None or upload_kind(upload.name or "") is None:
        return str(WRONG_KIND), 400, None
    source = _chosen_source(sources, (request.POST.get("source") or "").strip())
    if source is None:
        return str(NOT_YOURS), 403, None
    folder = Path(settings.VAR_DIR) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{Path(upload.name or '').suffix.lower()}"
    shutil.move(upload.temporary_file_path(), path)  # type: ignore[attr-defined]  # LimitedUploadHandler's file
    file_name = Path(upload.name or path.name).name
    run = import_run_start(path=path, source=source.code, user=request.user, file_name=file_name, count=False)
    if getattr(run, "was_running", False):  # the same file is being imported right now: show that run
        path.unlink(missing_ok=True)
        return "", 200, redirect("import_detail", public_id=run.public_id)
    label = f"web:{request.user.get_username()}"
    _run_in_background(run.pk, path, source.sender(label), Agent.sender(label))
    return "", 200, redirect("import_detail", public_id=run.public_id)


@login_required
def import_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A run's progress; with ?partial=1 only the progress fragment (polled by the page)."""
    run = _runs_for(request.user).filter(public_id=public_id).first()
    if run is None:
        raise Http404
    if import_run_is_stale(run):
        import_runs_fail_stale()
        run.refresh_from_db()
    template = (
        "immunizations/partials/import_progress.html"
        if request.GET.get("partial")
        else "immunizations/import_detail.html"
    )
    return render(
        request,
        template,
        {
            "run": run,
            "done": run.status != ImportStatus.RUNNING,
            "percent": round(100 * run.progress()),
            "unlisted": import_run_unlisted(run),
        },
    )


@login_required
def import_report(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    """The refused rows of a run (line, record id, status, reason) as XLSX."""
    run = _runs_for(request.user).filter(public_id=public_id).first()
    if run is None:
        raise Http404
    folder = Path(settings.VAR_DIR) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    path = import_run_report(run=run, path=folder / f"report-{run.public_id}.xlsx")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=_("report-%(name)s.xlsx") % {"name": Path(run.file_name).stem},
    )


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    """The backlog template: Vietnamese headers, the machine names, an example row and a guide sheet."""
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_("dose-import-template.xlsx")}"'
    write_template(response)  # type: ignore[arg-type]  # an HttpResponse is a writable binary file
    return response
