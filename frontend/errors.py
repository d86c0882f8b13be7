from grocery.errors import DomainError


class InvalidCspReport(DomainError):
    code = "invalid_csp_report"
    message = "Not a CSP violation report."
