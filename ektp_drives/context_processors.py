from django.conf import settings


def office(request):
    """The office's names from settings, for letterheads and the login page (no queries)."""
    return {
        "office": {
            "name": settings.OFFICE_NAME,
            "regency": settings.OFFICE_REGENCY,
            "address": settings.OFFICE_ADDRESS,
            "contact": settings.OFFICE_CONTACT,
            "place": settings.OFFICE_PLACE,
            "signer_title": settings.REPORT_SIGNER_TITLE,
            "signer_name": settings.REPORT_SIGNER_NAME,
            "signer_nip": settings.REPORT_SIGNER_NIP,
        }
    }
