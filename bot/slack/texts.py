"""The few texts the Slack adapter shows on its own: labels of its buttons,
inputs and modals. Everything else a person reads comes from the core,
already in their language.

Kept here in both languages, under a short key, so the adapter needs no
catalogue of its own to be compiled; :func:`text` picks the person's language.
"""

from __future__ import annotations

from conversations.bank import language_of

TEXTS: dict[str, dict[str, str]] = {
    "yes": {"en": "Yes", "fr": "Oui"},
    "no": {"en": "No", "fr": "Non"},
    "submit": {"en": "Submit", "fr": "Valider"},
    "edit": {"en": "Edit", "fr": "Modifier"},
    "modal_title": {"en": "Edit an answer", "fr": "Modifier une réponse"},
    "save": {"en": "Save", "fr": "Enregistrer"},
    "cancel": {"en": "Cancel", "fr": "Annuler"},
    "close": {"en": "Close", "fr": "Fermer"},
    "loading": {"en": "Loading…", "fr": "Chargement…"},
    "saving": {"en": "Saving your answer…", "fr": "Enregistrement de votre réponse…"},
    "saved": {"en": "Saved.", "fr": "Enregistré."},
    "your_answer": {"en": "Your answer", "fr": "Votre réponse"},
    "pick_person": {"en": "Pick a person", "fr": "Choisissez une personne"},
    "or_type_name": {
        "en": "Or type a name, or nobody",
        "fr": "Ou tapez un nom, ou personne",
    },
    "pick_date": {"en": "Pick a date", "fr": "Choisissez une date"},
    "pick_one": {"en": "Pick one", "fr": "Choisissez"},
    "reply_here": {
        "en": "Reply in this conversation.",
        "fr": "Répondez dans cette conversation.",
    },
    "steering": {
        "en": "Type skip, back, pause or help.",
        "fr": "Tapez passer, retour, pause ou aide.",
    },
    "current": {"en": "Current answer: {answer}", "fr": "Réponse actuelle : {answer}"},
    "reference": {"en": "Rests on {reference}", "fr": "S'appuie sur {reference}"},
    "moved_on": {
        "en": "This question moved on; see the latest message below.",
        "fr": "Cette question a avancé ; voyez le dernier message plus bas.",
    },
    "truncated": {
        "en": "… shortened to fit in Slack.",
        "fr": "… raccourci pour tenir dans Slack.",
    },
    "file_attached": {"en": "file attached: {name}", "fr": "fichier joint : {name}"},
    "edited_last_answer": {
        "en": "You edited the message you answered with. Editing a message does not change "
        "the answer postpoc stored ({answer}). To change it, press Edit.",
        "fr": "Vous avez modifié le message de votre réponse. Modifier un message ne change "
        "pas la réponse enregistrée par postpoc ({answer}). Pour la changer, appuyez sur Modifier.",
    },
    "edited_old_message": {
        "en": "Editing an earlier message does not change its answer. To change an answer, "
        "type `/poc edit <poc>`: it lists the questions, and `/poc edit <poc> <question>` "
        "opens one.",
        "fr": "Modifier un message plus ancien ne change pas sa réponse. Pour changer une "
        "réponse, tapez `/poc edit <poc>` : la liste des questions s'affiche, et "
        "`/poc edit <poc> <question>` en ouvre une.",
    },
    "not_installed": {
        "en": "postpoc is not installed in this workspace any more.",
        "fr": "postpoc n'est plus installé dans cet espace de travail.",
    },
}


def text(key: str, language: str, **params: str) -> str:
    """The text ``key`` in ``language`` (a locale such as ``fr-FR`` works too)."""
    template = TEXTS[key].get(language_of(language), TEXTS[key]["en"])
    return template.format(**params) if params else template
