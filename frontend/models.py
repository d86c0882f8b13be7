from django.db import models


class CspViolation(models.Model):
    """One kind of Content-Security-Policy violation that browsers reported, counted.

    A script injected into the payment page shows up here (tamper detection); the same violation
    from a thousand phones is one row with a count, keyed by a hash of what identifies it.
    """

    key = models.CharField(max_length=64, unique=True)  # sha256 of the four fields below
    directive = models.CharField(max_length=100)
    blocked_uri = models.CharField(max_length=500)
    document_path = models.CharField(max_length=500)
    source_file = models.CharField(max_length=500, blank=True)
    sample = models.CharField(max_length=200, blank=True)  # the first characters of the script
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = "CSP violation"

    def __str__(self):
        return f"{self.directive} blocked {self.blocked_uri} on {self.document_path}"
