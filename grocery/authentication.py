"""API tokens that expire.

DRF's tokens live until deleted. Here a token older than TOKEN_TTL_HOURS is refused (401) and
deleted, so a lost scanner or a former employee's token stops working on its own; a manager
revokes one sooner by deleting it in the admin (Auth Token › Tokens).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - timedelta(hours=settings.TOKEN_TTL_HOURS):
            token.delete()
            raise AuthenticationFailed("Token has expired: ask a manager for a new one.")
        return user, token
