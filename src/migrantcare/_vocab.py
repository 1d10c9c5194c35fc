"""Vocabularies: the categories, channels, complainant types and priorities of cases.

Each is a small immutable set of codes with Indonesian and English labels. The standard
ones come from the ministry's complaint statistics and service channels (see
``shared/reference/complaint-handling.md``); integrators extend them with
:meth:`Vocabulary.extended` without touching ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import attrs

from migrantcare._locales import in_language
from migrantcare._validate import check_text, quote
from migrantcare.exceptions import InvalidArgumentError, UnknownTermError, WrongTypeError

#: A snake_case id: stored on cases and in events (use ``fullmatch``).
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_code(value: object, what: str) -> str:
    """Return ``value`` if it is a valid snake_case identifier, else raise a clear error."""
    if not isinstance(value, str):
        raise WrongTypeError(f"{what} must be a str, got {type(value).__name__} {quote(value)}")
    if not CODE_PATTERN.fullmatch(value):
        raise InvalidArgumentError(
            f"{what} {quote(value)} is not a valid id; use lower-case snake_case "
            "(a-z, 0-9, _; starting with a letter; at most 64 characters)"
        )
    return value


def _check_label(value: object, what: str) -> None:
    check_text(value, f"a term's {what}", empty=True, limit=1_000)


@attrs.frozen
class Term:
    """One entry of a vocabulary.

    Attributes:
        code: A stable snake_case id stored on cases, e.g. ``"unpaid_wages"``.
        label_id: The Indonesian label, e.g. ``"Gaji tidak dibayar"``.
        label_en: The English label, e.g. ``"Unpaid wages"``.
    """

    code: str = attrs.field(validator=lambda _i, _a, v: check_code(v, "term code"))
    label_id: str = attrs.field(validator=lambda _i, _a, v: _check_label(v, "label_id"))
    label_en: str = attrs.field(validator=lambda _i, _a, v: _check_label(v, "label_en"))

    def label(self, lang: str) -> str:
        """Return the label in ``lang``: ``"id"`` or ``"en"`` (``"id-ID"``, ``"en_GB"`` work too).

        Raises:
            MissingMessageError: ``lang`` is neither Indonesian nor English (e.g. ``"fr"``):
                no silent English.
        """
        return in_language(lang, self.label_id, self.label_en)


def _terms(value: Iterable[Term]) -> tuple[Term, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WrongTypeError(f"a vocabulary needs Term values, got {type(value).__name__}")
    return tuple(value)


def _unique(instance: Vocabulary, attribute: object, terms: tuple[Term, ...]) -> None:
    seen: set[str] = set()
    for term in terms:
        if not isinstance(term, Term):
            raise WrongTypeError(f"a vocabulary holds Term values, got {type(term).__name__}")
        if term.code in seen:
            raise InvalidArgumentError(
                f"vocabulary {instance.name!r} lists code {term.code!r} twice"
            )
        seen.add(term.code)


@attrs.frozen
class Vocabulary:
    """An ordered, immutable set of :class:`Term` values.

    Examples:
        >>> CHANNELS.label("whatsapp", "id")
        'WhatsApp'
        >>> extra = {"fishing_crew": ("Awak kapal perikanan", "Fishing-vessel crew")}
        >>> local = CATEGORIES.extended(extra)
        >>> "fishing_crew" in local, "fishing_crew" in CATEGORIES
        (True, False)
    """

    name: str = attrs.field(
        validator=lambda _i, _a, v: check_text(v, "vocabulary name", empty=True, limit=200)
    )
    terms: tuple[Term, ...] = attrs.field(converter=_terms, validator=_unique)
    _by_code: dict[str, Term] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # A lookup index; the class is frozen, so it is set once here.
        object.__setattr__(self, "_by_code", {t.code: t for t in self.terms})

    def __contains__(self, code: object) -> bool:
        return type(code) is str and code in self._by_code

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes, in order."""
        return tuple(t.code for t in self.terms)

    def term(self, code: str) -> Term:
        """Return the term with ``code``.

        Raises:
            UnknownTermError: no term has that code.
        """
        term = self._by_code.get(code) if type(code) is str else None
        if term is not None:
            return term
        if not isinstance(code, str):
            raise WrongTypeError(
                f"a {self.name} must be a code (str), got {type(code).__name__} {quote(code)}"
            )
        raise UnknownTermError(
            f"unknown {self.name} {quote(code)}; allowed: {', '.join(self.codes)} "
            "(extend the vocabulary to add one)"
        )

    def label(self, code: str, lang: str) -> str:
        """Return the label of ``code`` in ``lang``."""
        return self.term(code).label(lang)

    def extended(self, terms: Mapping[str, tuple[str, str]]) -> Vocabulary:
        """Return a new vocabulary with ``terms`` (``{code: (label_id, label_en)}``) appended.

        Raises:
            InvalidArgumentError: a code is already present or not snake_case.
        """
        if not isinstance(terms, Mapping):
            raise WrongTypeError(
                f"terms must be a mapping {{code: (label_id, label_en)}}, got "
                f"{type(terms).__name__}"
            )
        added = []
        for code, names in terms.items():
            if type(names) not in (tuple, list) or len(names) != 2:
                raise WrongTypeError(
                    f"the labels of {quote(code)} must be a pair (label_id, label_en), got "
                    f"{type(names).__name__}"
                )
            added.append(Term(code, names[0], names[1]))
        return attrs.evolve(self, terms=self.terms + tuple(added))


def _vocab(name: str, rows: list[tuple[str, str, str]]) -> Vocabulary:
    return Vocabulary(name, tuple(Term(*row) for row in rows))


CATEGORIES = _vocab(
    "category",
    [
        ("repatriation_request", "Minta dipulangkan", "Wants repatriation"),
        ("unpaid_wages", "Gaji tidak dibayar", "Unpaid wages"),
        ("deportation", "Deportasi", "Deportation"),
        ("failed_departure", "Gagal berangkat", "Failed departure"),
        ("death_abroad", "Meninggal dunia di negara tujuan", "Death abroad"),
        ("job_fraud", "Penipuan peluang kerja", "Job fraud"),
        ("illness", "Sakit", "Illness"),
        ("trafficking", "Tindak pidana perdagangan orang (TPPO)", "Human trafficking"),
        ("social_security_claim", "Klaim asuransi / jaminan sosial", "Social-security claim"),
        ("pregnancy", "Hamil", "Pregnancy"),
        ("lost_contact", "Hilang kontak", "Lost contact"),
        ("abuse", "Penganiayaan atau pelecehan seksual", "Abuse or sexual harassment"),
        ("overstay", "Overstay", "Overstay"),
        ("undocumented", "Tidak berdokumen", "Undocumented"),
        ("ran_away", "Kabur dari majikan", "Ran away from the employer"),
        ("detained", "Ditahan", "Detained"),
        ("accident", "Kecelakaan", "Accident"),
        (
            "job_not_as_contracted",
            "Pekerjaan tidak sesuai perjanjian kerja",
            "Job not as contracted",
        ),
        ("other", "Lainnya", "Other"),
    ],
)
"""Complaint categories used in the ministry's statistics."""

CHANNELS = _vocab(
    "channel",
    [
        ("call_center", "Call center", "Call center"),
        ("whatsapp", "WhatsApp", "WhatsApp"),
        ("email", "Surel", "E-mail"),
        ("web_form", "Formulir daring", "Web form"),
        ("social_media", "Media sosial", "Social media"),
        ("sms", "SMS", "SMS"),
        ("letter", "Surat", "Letter"),
        ("walk_in", "Datang langsung ke BP3MI/P4MI", "Walk-in at a BP3MI/P4MI"),
        ("embassy", "Melalui perwakilan RI", "Via an Indonesian mission"),
        ("lapor", "SP4N-LAPOR!", "SP4N-LAPOR!"),
        ("in_person", "Tatap muka", "In person"),
    ],
)
"""Channels through which a complaint reaches the ministry."""

COMPLAINANT_TYPES = _vocab(
    "complainant type",
    [
        ("cpmi", "Calon pekerja migran Indonesia (CPMI)", "Prospective migrant worker (CPMI)"),
        ("pmi", "Pekerja migran Indonesia (PMI)", "Indonesian migrant worker (PMI)"),
        ("former_pmi", "Purna PMI", "Former migrant worker"),
        ("family", "Keluarga", "Family member"),
        ("representative", "Kuasa hukum / LSM", "Lawyer or NGO with power of attorney"),
    ],
)
"""Who files the complaint."""

PRIORITIES = _vocab(
    "priority",
    [
        ("normal", "Biasa", "Normal"),
        ("high", "Tinggi", "High"),
        ("urgent", "Mendesak", "Urgent"),
    ],
)
"""How urgent a case is."""

CLOSURE_REASONS = _vocab(
    "closure reason",
    [
        ("documents_incomplete", "Data/dokumen tidak dilengkapi", "Documents not completed"),
        ("no_clarity", "Pengadu tidak memberi kejelasan", "No clarity from the complainant"),
        ("unreachable", "Pengadu tidak dapat dihubungi", "Complainant unreachable"),
        ("referred", "Dilimpahkan ke instansi lain", "Referred to another agency"),
        ("cannot_be_resolved", "Tidak dapat diselesaikan", "Cannot be resolved"),
        ("withdrawn", "Dicabut oleh pengadu", "Withdrawn by the complainant"),
    ],
)
"""Grounds for closing a complaint without resolution (Peraturan BP2MI 6/2024 Pasal 30(1))."""

REPATRIATION_CATEGORIES = _vocab(
    "repatriation category",
    [
        ("end_of_contract", "Kontrak berakhir", "End of contract"),
        ("problem", "Bermasalah", "Worker in difficulty"),
        ("sick", "Sakit", "Sick worker"),
        ("deceased", "Meninggal dunia", "Deceased worker"),
        ("deported", "Dideportasi", "Deported"),
    ],
)
"""Kinds of repatriation case."""

OUTREACH_CATEGORIES = _vocab(
    "outreach category",
    [
        ("safe_migration", "Sosialisasi migrasi aman", "Safe-migration outreach"),
        ("desa_migran_emas", "Desa Migran Emas", "Desa Migran Emas village programme"),
        ("job_fair", "Bursa kerja", "Job fair"),
        ("anti_trafficking", "Pencegahan TPPO", "Anti-trafficking outreach"),
    ],
)
"""Kinds of outreach event."""

DOCUMENT_TYPES = _vocab(
    "document type",
    [
        ("passport", "paspor", "passport"),
        ("visa", "visa", "visa"),
        ("employment_contract", "perjanjian kerja", "employment contract"),
        ("placement_agreement", "perjanjian penempatan", "placement agreement"),
        ("pay_slips", "slip gaji", "pay slips"),
        ("identity_card", "KTP", "identity card (KTP)"),
        ("family_card", "kartu keluarga", "family card"),
        (
            "social_security_card",
            "kartu peserta BPJS Ketenagakerjaan",
            "BPJS employment-insurance card",
        ),
        ("power_of_attorney", "surat kuasa", "power of attorney"),
        ("chronology", "kronologi kejadian", "written account of what happened"),
    ],
)
"""Documents a complainant may be asked for (used in document requests)."""
