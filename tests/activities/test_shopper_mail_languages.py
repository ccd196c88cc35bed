"""Every shopper email of the outbox in every language, read back from the SMTP sink: its subject, its body in
that language, the portal link, the amounts as the language writes them, the shop's branding and Reply-To."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activities.shopper_mail import message_id
from domain.notifications import MailKind
from domain.shopper_locale import moment
from tests.activities.shopper_mail_setup import T0, WINDOW, branded_return, emails, keep, link, mailer
from tests.activities.test_email import _setup

EVERY_KIND = [k for k in MailKind if k != MailKind.LABEL_READY]
LANGUAGES = ("en", "nl", "de", "fr")
# kind: (en, nl, de, fr) words of its subject, then of its body, in that language.
SUBJECTS = {
    MailKind.HAND_IN_READY: ("how to hand it in", "zo lever je het in", "so geben Sie sie ab", "comment le déposer"),
    MailKind.HELD_FOR_REVIEW: ("is being reviewed", "wordt beoordeeld", "wird geprüft", "en cours d'examen"),
    MailKind.REVIEW_APPROVED: ("is approved", "is goedgekeurd", "ist genehmigt", "est accepté"),
    MailKind.REJECTED: ("was not accepted", "is niet geaccepteerd", "wurde nicht angenommen", "n'a pas été accepté"),
    MailKind.LABEL_REMINDER: ("expires soon", "verloopt binnenkort", "läuft bald ab", "expire bientôt"),
    MailKind.PICKUP_BOOKED: ("pickup", "ophaalafspraak", "Abholung", "enlèvement"),
    MailKind.PICKUP_REMINDER: ("Tomorrow", "Morgen", "Morgen", "Demain"),
    MailKind.PICKUP_MISSED: ("was missed", "niet opgehaald", "nicht abgeholt", "n'a pas été enlevé"),
    MailKind.IN_TRANSIT: ("on its way", "is onderweg", "ist unterwegs", "est en route"),
    MailKind.RECEIVED: ("We received", "ontvangen", "erhalten", "Nous avons reçu"),
    MailKind.REFUND_SENT: ("refund", "terugbetaling", "Erstattung", "remboursement"),
    MailKind.STORE_CREDIT_ISSUED: ("store credit", "tegoed", "Guthaben", "avoir"),
    MailKind.EXCHANGE_SHIPPED: ("exchange", "ruilartikel", "Umtausch", "échange"),
    MailKind.MONEY_OWED: ("Payment needed", "Betaling nodig", "Zahlung", "Paiement requis"),
    MailKind.CANCELLED: ("is cancelled", "is geannuleerd", "ist storniert", "est annulé"),
    MailKind.EXPIRED: ("has expired", "is verlopen", "ist abgelaufen", "a expiré"),
}
BODIES = {
    MailKind.HAND_IN_READY: (
        "Where, with the opening hours:",
        "Waar, met de openingstijden:",
        "Wo, mit den Öffnungszeiten:",
        "Où, avec les horaires d'ouverture :",
    ),
    MailKind.HELD_FOR_REVIEW: (
        "within two business days",
        "binnen twee werkdagen",
        "innerhalb von zwei Werktagen",
        "sous deux jours ouvrés",
    ),
    MailKind.REVIEW_APPROVED: (
        "approved after review",
        "na beoordeling goedgekeurd",
        "nach Prüfung genehmigt",
        "accepté après examen",
    ),
    MailKind.REJECTED: (
        "could not be accepted",
        "kon niet worden geaccepteerd",
        "konnte nicht angenommen werden",
        "n'a pas pu être accepté",
    ),
    MailKind.LABEL_REMINDER: (
        "has not been used yet",
        "is nog niet gebruikt",
        "wurde noch nicht verwendet",
        "n'a pas encore été utilisée",
    ),
    MailKind.PICKUP_BOOKED: (
        "PostNL collects the parcel at your address",
        "PostNL haalt het pakket op je adres op",
        "PostNL holt das Paket zwischen",
        "PostNL vient chercher le colis",
    ),
    MailKind.PICKUP_REMINDER: ("Tomorrow PostNL", "Morgen haalt PostNL", "Morgen holt PostNL", "Demain, PostNL"),
    MailKind.PICKUP_MISSED: (
        "drop-off point",
        "afgiftepunt van PostNL",
        "Annahmestelle von PostNL",
        "point relais PostNL",
    ),
    MailKind.IN_TRANSIT: (
        "on its way to us with PostNL",
        "met PostNL onderweg naar ons",
        "mit PostNL auf dem Weg zu uns",
        "en route vers nous avec PostNL",
    ),
    MailKind.RECEIVED: (
        "We now check the items",
        "We controleren nu de artikelen",
        "Wir prüfen jetzt die Artikel",
        "Nous vérifions maintenant les articles",
    ),
    MailKind.REFUND_SENT: (
        "to the original payment method",
        "naar de oorspronkelijke betaalmethode",
        "an die ursprüngliche Zahlungsmethode",
        "sur le moyen de paiement d'origine",
    ),
    MailKind.STORE_CREDIT_ISSUED: (
        "Your store credit balance is now",
        "Je tegoed is nu",
        "Ihr Guthaben beträgt jetzt",
        "Le solde de votre avoir",
    ),
    MailKind.EXCHANGE_SHIPPED: (
        "Your replacement is on its way.",
        "Je vervangende artikel is onderweg.",
        "Ihr Ersatzartikel ist unterwegs.",
        "Votre article de remplacement est en route.",
    ),
    MailKind.MONEY_OWED: ("price difference", "prijsverschil", "Preisdifferenz", "différence de prix"),
    MailKind.CANCELLED: ("is cancelled", "is geannuleerd", "ist storniert", "est annulé"),
    MailKind.EXPIRED: ("has expired", "is verlopen", "ist abgelaufen", "a expiré"),
}
GREETING = {
    "en": "Hello Sam Shopper,",
    "nl": "Hallo Sam Shopper,",
    "de": "Hallo Sam Shopper,",
    "fr": "Bonjour Sam Shopper,",
}
EURO = {"en": "€{}.00", "nl": "€\xa0{},00", "de": "{},00\xa0€", "fr": "{},00\xa0€"}  # as each language writes €
AMOUNTS = {  # the refund 84, the store credit balance 94 (an earlier 10 and these 84), the exchange's 15 owed
    MailKind.REFUND_SENT: ("84",),
    MailKind.STORE_CREDIT_ISSUED: ("84", "94"),
    MailKind.MONEY_OWED: ("15",),
}
MORE = {  # what else each must carry, whatever the language
    MailKind.HAND_IN_READY: ("Kalverstraat 92, 1012 PH Amsterdam", "10:00–18:00", "RMA-RET_"),
    MailKind.REJECTED: ("outside the return window",),
    MailKind.LABEL_REMINDER: ("https://labels.example/3SRETURN0001.png",),
    MailKind.PICKUP_MISSED: ("https://labels.example/3SRETURN0001.png",),
    MailKind.IN_TRANSIT: ("3SRETURN0001",),
    MailKind.EXCHANGE_SHIPPED: ("3SNEW42", "https://jouw.postnl.nl/track-and-trace/3SNEW42", "Runner 42"),
}


@pytest.fixture
def s(sqlite_url, sandboxes):
    yield from _setup(sqlite_url, sandboxes)


def header(msg: dict, name: str) -> str:
    [value] = [v for k, v in msg["headers"] if k.lower() == name.lower()]
    return value


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_reads_in_the_shoppers_language_with_the_shops_branding(s, language):
    shop = branded_return(s, language=language)
    keep(s, shop, *EVERY_KIND)
    assert mailer(s).send_due(T0) == len(EVERY_KIND)

    inbox = s.inbox(shop.email)
    assert len(inbox) == len(EVERY_KIND)
    i = LANGUAGES.index(language)
    for kind, msg in zip(EVERY_KIND, inbox, strict=True):  # in the order the return lived them
        subject = " ".join(msg["subject"].split())  # a long encoded subject comes back folded
        assert SUBJECTS[kind][i] in subject and shop.order_id in subject, (kind, subject)
        assert msg["from"] == "Mode & Zo <returns@returnflow.example>"
        assert header(msg, "Reply-To") == "Mode & Zo <klantenservice@modezo.example>"
        assert header(msg, "Content-Language") == language
        assert msg["message_id"] == message_id(shop.return_id, f"mail:{kind.value}")
        assert 'lang="' + language + '"' in msg["html"] and "#c0ffee" in msg["html"]
        assert 'src="https://cdn.modezo.example/logo.png"' in msg["html"]
        for body in (msg["text"], msg["html"].replace("&#39;", "'")):
            assert GREETING[language] in body, kind
            assert BODIES[kind][i] in body, (kind, body)
            assert link(shop, language).replace("&", "&amp;" if body is not msg["text"] else "&") in body
            assert "klantenservice@modezo.example" in body
            for amount in AMOUNTS.get(kind, ()):
                assert EURO[language].format(amount) in body, (kind, amount)
            for fact in MORE.get(kind, ()):
                assert fact in body, (kind, fact)
        if language != "en":
            assert "Hello" not in msg["text"] and "Follow your return" not in msg["text"]
    statuses = {k: r.status for k, r in emails(s, shop).items()}
    assert statuses == {k.value: "sent" for k in EVERY_KIND}


def test_times_are_told_in_the_shops_time_zone(s):
    shop = branded_return(s, language="de")
    keep(s, shop, MailKind.PICKUP_BOOKED, MailKind.LABEL_REMINDER)
    mailer(s).send_due(T0)
    pickup, reminder = s.inbox(shop.email)
    start, end = (moment(t, "de", "Europe/Amsterdam", "short") for t in WINDOW)
    assert start.endswith("09:00") and end.endswith("13:00")  # Amsterdam is UTC+1 in December
    assert f"PostNL holt das Paket zwischen {start} und {end} an Ihrer Adresse ab." in pickup["text"]
    expires = moment(T0 + timedelta(days=30), "de", "Europe/Amsterdam", "short")  # the label's day + 30 days
    assert f"Es läuft am {expires} ab" in reminder["text"]
