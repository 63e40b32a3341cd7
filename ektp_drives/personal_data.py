"""Keep NIK and No KK (16-digit numbers) out of logs and error reports.

Wired in settings: ``LOGGING`` puts ``MaskPersonalNumbersFilter`` on every handler,
``DEFAULT_EXCEPTION_REPORTER_FILTER`` hides request values and local variables that hold one, and
``DEFAULT_EXCEPTION_REPORTER`` masks whatever is left in the finished report (exception messages such
as ``Key (nik)=(...) already exists``, URLs, headers).
"""

from __future__ import annotations

import logging
import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# Sixteen digits, possibly grouped with single spaces, dots or dashes ("1504 0312 3456 7890"),
# not part of a longer run of digits.
PERSONAL_NUMBER_RE = re.compile(r"(?<![0-9])(?:[0-9][ .\-]?){15}[0-9](?![0-9])")
MASK = "****************"


def contains_personal_number(text: str) -> bool:
    return bool(PERSONAL_NUMBER_RE.search(text))


def mask_personal_numbers(text: str) -> str:
    """Replace every 16-digit number (NIK, No KK) in ``text`` with asterisks."""
    return PERSONAL_NUMBER_RE.sub(MASK, text)


class MaskPersonalNumbersFilter(logging.Filter):
    """A logging filter (put it on handlers) that masks 16-digit numbers in the message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        if contains_personal_number(message):
            record.msg = mask_personal_numbers(message)
            record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_numbers(record.stack_info)
        return True


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Django's safe filter, plus: hide GET/POST values and local variables holding a 16-digit number."""

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        return _masked_querydict(parameters, self.cleansed_substitute)

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        return {key: mask_personal_numbers(value) if isinstance(value, str) else value for key, value in meta.items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        cleansed = []
        for name, value in variables:
            try:
                text = repr(value)
            except Exception:
                text = ""
            cleansed.append((name, self.cleansed_substitute if contains_personal_number(text) else value))
        return cleansed


def _masked_querydict(parameters, substitute):
    if not hasattr(parameters, "lists"):
        return parameters
    if not any(contains_personal_number(str(v)) for _, values in parameters.lists() for v in values):
        return parameters
    masked = parameters.copy()
    for key, values in parameters.lists():
        masked.setlist(key, [substitute if contains_personal_number(str(v)) else v for v in values])
    return masked


class PersonalDataExceptionReporter(ExceptionReporter):
    """Error reports (the 500 e-mail, the DEBUG page) with every 16-digit number masked.

    The filter above handles request data and variables; the exception message, URL (query string)
    and any other text can still hold a number, so the finished report is masked as a whole.
    """

    def get_traceback_data(self):
        data = super().get_traceback_data()
        request = data.get("request")
        if request is not None:
            data["request_GET_items"] = [
                (key, self.filter.cleansed_substitute if contains_personal_number(str(value)) else value)
                for key, value in data.get("request_GET_items", [])
            ]
        return data

    def get_traceback_html(self):
        return mask_personal_numbers(str(super().get_traceback_html()))

    def get_traceback_text(self):
        return mask_personal_numbers(str(super().get_traceback_text()))
