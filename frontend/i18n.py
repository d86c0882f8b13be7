"""The customer's language: which one a request gets, the PWA's message catalogue, and the switch.

Django picks the language (LocaleMiddleware: the switch's cookie, else the browser's
Accept-Language, else LANGUAGE_CODE); the PWA's words come from the `djangojs` catalogue of that
language, sent in the page's config so no screen waits for a second request.
"""

from django.conf import settings
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation.trans_real import DjangoTranslation
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from frontend.errors import UnknownLanguage
from grocery.schema import ErrorSerializer

# What Intl (money, weights, dates) calls each of our languages.
INTL_LOCALES = {"en-gb": "en-GB", "de": "de-DE"}
# The codes the API documents: each language and its generic form ("en" for "en-gb"); regional
# forms such as "de-AT" are accepted too and answered with the language they fall back to.
DOCUMENTED_CODES = sorted(
    {c for c, _ in settings.LANGUAGES} | {c[:2] for c, _ in settings.LANGUAGES}
)


def supported_language(code: str) -> str:
    """One of settings.LANGUAGES for a code such as "de", "de-AT" or "en"; UnknownLanguage else."""
    try:
        return get_supported_language_variant((code or "").strip().lower())
    except LookupError:
        names = ", ".join(code for code, _ in settings.LANGUAGES)
        raise UnknownLanguage(
            f"No language '{code}' here; the shop speaks {names}.", language=code
        ) from None


def js_messages(language: str) -> dict[str, str]:
    """The PWA's messages in `language`: English source text to translation (none for English)."""
    # Only our own catalogues (LOCALE_PATHS), not the admin's scripts' messages.
    found = DjangoTranslation(language, domain="djangojs", localedirs=settings.LOCALE_PATHS)
    catalog = found._catalog or {}
    return {key: value for key, value in catalog.items() if isinstance(key, str) and key and value}


def client_language() -> dict:
    """The language part of the PWA's config, for the language of the current request."""
    language = get_language()
    return {
        "language": language,
        "locale": INTL_LOCALES.get(language, "en-GB"),
        "languages": [{"code": code, "name": name} for code, name in settings.LANGUAGES],
        "messages": js_messages(language),
    }


CATALOGUE = inline_serializer(
    "MessageCatalogue",
    {
        "language": serializers.CharField(),
        "locale": serializers.CharField(),
        "messages": serializers.DictField(child=serializers.CharField()),
    },
)


class MessageCatalogueApi(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        summary="The PWA's message catalogue in one language (English source text to translation)",
        parameters=[
            OpenApiParameter("language", str, OpenApiParameter.PATH, enum=DOCUMENTED_CODES)
        ],
        responses={200: CATALOGUE, 400: ErrorSerializer},
    )
    def get(self, request, language: str):
        found = supported_language(language)
        return Response(
            {
                "language": found,
                "locale": INTL_LOCALES.get(found, "en-GB"),
                "messages": js_messages(found),
            }
        )


class LanguageSwitchApi(APIView):
    """The switch in the PWA's top bar: remembers the choice in the language cookie, which
    LocaleMiddleware prefers over the browser's language from then on (the admin's too)."""

    authentication_classes = []
    permission_classes = []

    class InputSerializer(serializers.Serializer):
        language = serializers.CharField(max_length=16)

    @extend_schema(
        summary="Choose the language of the app (a cookie); an unknown one is a 400",
        # Documented as the choice it is; parsed as text so that an unknown one is answered
        # with the languages the shop speaks (unknown_language), not a bare "invalid choice".
        request=inline_serializer(
            "LanguageChoice", {"language": serializers.ChoiceField(choices=DOCUMENTED_CODES)}
        ),
        responses={
            200: inline_serializer("LanguageChosen", {"language": serializers.CharField()}),
            400: ErrorSerializer,
        },
    )
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        language = supported_language(given.validated_data["language"])
        response = Response({"language": language})
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
        return response
