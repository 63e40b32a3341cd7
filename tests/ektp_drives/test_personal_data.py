"""No NIK / No KK (16 digits) in logs or Django error reports."""

from __future__ import annotations

import datetime
import io
import logging
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from ektp_drives.personal_data import (
    MASK,
    MaskPersonalNumbersFilter,
    PersonalDataExceptionReporter,
    mask_personal_numbers,
)
from tests.factories import make_kk, make_nik

NIK = make_nik(birth_date=datetime.date(2008, 3, 14), gender="P", serial=1234)  # 1504035403081234
KK = make_kk(987654)


def test_synthetic_numbers_have_sixteen_digits():
    assert len(NIK) == 16 and NIK.isdigit()
    assert len(KK) == 16 and KK.isdigit()


@pytest.mark.parametrize(
    "text",
    [
        f"NIK {NIK} sudah terdaftar",
        f"nik={NIK}&kk={KK}",
        f"Key (nik)=({NIK}) already exists.",
        f"'{NIK}'",
        "1504 0354 0308 1234",
        "1504.0354.0308.1234",
        "1504-0354-0308-1234",
        f"x{NIK}y",
    ],
)
def test_masks_sixteen_digit_numbers(text):
    masked = mask_personal_numbers(text)
    assert MASK in masked
    assert NIK not in masked and KK not in masked
    assert "0308" not in masked.replace(MASK, "")


@pytest.mark.parametrize(
    "text",
    [
        "NPSN 10505123, NISN 0081234567",  # school and student numbers stay readable
        "2.100 siswa, 79,38 %",
        "2025-08-14 09:30:00",
        "081234567890",  # phone number
        "12345678901234567",  # 17 digits: not a NIK
    ],
)
def test_leaves_other_numbers_alone(text):
    assert mask_personal_numbers(text) == text


@pytest.fixture
def console_output():
    """Capture what the configured console handlers write (the handlers settings.LOGGING made)."""
    handlers = [
        handler
        for logger in (logging.getLogger(), logging.getLogger("django"))
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler)
        and any(isinstance(f, MaskPersonalNumbersFilter) for f in handler.filters)
    ]
    assert handlers, "settings.LOGGING must put the masking filter on the console handlers"
    stream = io.StringIO()
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_every_configured_handler_masks():
    for name, config in settings.LOGGING["handlers"].items():
        assert "mask_personal_numbers" in config.get("filters", []), name
    for name in ("django", "django.server"):
        assert settings.LOGGING["loggers"][name]["handlers"], name


def test_app_log_messages_are_masked(console_output):
    logging.getLogger("schools.importing").warning("Baris 12: NIK %s dan KK %s ganda", NIK, KK)
    logging.getLogger("django.request").error(f"Bad request with nik={NIK}")
    output = console_output.getvalue()
    assert "Baris 12: NIK **************** dan KK **************** ganda" in output
    assert "Bad request with nik=****************" in output
    assert NIK not in output and KK not in output


def test_tracebacks_are_masked(console_output):
    try:
        raise ValueError(f'duplicate key value violates unique constraint "nik": Key (nik)=({NIK})')
    except ValueError:
        logging.getLogger("recordings.services").exception("Simpan gagal")
    output = console_output.getvalue()
    assert "Traceback" in output and "ValueError" in output
    assert NIK not in output


def _failing_request():
    request = RequestFactory().post(f"/siswa/cari/?q={NIK}", {"nik": NIK, "no_kk": KK, "nama": "Siti"})
    nik_local = NIK  # noqa: F841  (a local variable in the failing frame)
    try:
        raise ValueError(f"Key (nik)=({NIK}) already exists.")
    except ValueError:
        return request, sys.exc_info()


def test_error_report_hides_personal_numbers():
    request, exc_info = _failing_request()
    reporter = PersonalDataExceptionReporter(request, *exc_info)
    text = reporter.get_traceback_text()
    html = reporter.get_traceback_html()
    for report in (text, html):
        assert NIK not in report
        assert KK not in report
    assert "Siti" in html  # other POST values stay visible for debugging
    assert "ValueError" in text


def test_plain_django_reporter_would_leak():
    """Guard for the test above: without our reporter the number is in the report."""
    request, exc_info = _failing_request()
    assert NIK in ExceptionReporter(request, *exc_info).get_traceback_text()


def test_settings_select_our_reporter_and_filter():
    assert settings.DEFAULT_EXCEPTION_REPORTER == "ektp_drives.personal_data.PersonalDataExceptionReporter"
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "ektp_drives.personal_data.PersonalDataReporterFilter"


def test_error_email_to_admins_is_masked(settings):
    settings.ADMINS = [("Pengelola", "it@example.go.id")]
    settings.DEBUG = False
    request, exc_info = _failing_request()
    logging.getLogger("django.request").error(
        "Internal Server Error: %s",
        request.get_full_path(),
        exc_info=exc_info,
        extra={"status_code": 500, "request": request},
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    everything = message.subject + message.body + "".join(str(a[0]) for a in getattr(message, "alternatives", []))
    assert "Internal Server Error" in message.subject
    assert NIK not in everything and KK not in everything
