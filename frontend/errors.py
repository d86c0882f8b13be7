from grocery.errors import DomainError


class InvalidCspReport(DomainError):
    code = "invalid_csp_report"
    message = "Not a CSP violation report."


class UnknownLanguage(DomainError):
    code = "unknown_language"
    message = "The shop does not speak that language."
