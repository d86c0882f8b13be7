"""Gates and turnstiles at the exit authenticate with a device token: `Authorization: Device
<token>`. Only the token's SHA-256 is stored (a database leak hands out no working token); a
manager creates a device in the admin, sees its token once, and revokes it there."""

import hashlib
import secrets

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from checkout.models import GateDevice

KEYWORD = b"device"


def hash_device_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_device_token() -> tuple[str, str]:
    """(token to show once, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_device_token(token)


class GateDeviceAuthentication(BaseAuthentication):
    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD:
            return None
        if len(words) != 2:
            raise AuthenticationFailed("Device token header: 'Device <token>'.")
        device = GateDevice.objects.filter(
            token_hash=hash_device_token(words[1].decode("latin-1")), revoked_at__isnull=True
        ).first()
        if device is None:
            raise AuthenticationFailed("Unknown or revoked device token.")
        return device, device

    def authenticate_header(self, request):
        return "Device"


class IsStaffOrGate(BasePermission):
    """A signed-in staff member (session or API token) or a gate with a live device token."""

    def has_permission(self, request, view):
        if isinstance(request.auth, GateDevice):
            return True
        return bool(request.user and request.user.is_staff)
