"""Message catalogs: golden outputs, the check, hostile templates, overrides, notices."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import textwrap

import pendulum
import pytest

from migrantcare import (
    CATEGORIES,
    MessageRef,
    Messages,
    Money,
    Person,
    Plural,
    WorkingCalendar,
    check_catalogs,
    complaint_workflow,
    notices,
    outreach_workflow,
    repatriation_workflow,
    sms_info,
)
from migrantcare.cli._cli import main as cli
from migrantcare.exceptions import (
    CatalogError,
    InvalidArgumentError,
    MissingMessageError,
    NaiveDatetimeError,
    WrongTypeError,
)
from tests.actors import actor

from .message_samples import render_all, values_for

GOLDEN = pathlib.Path(__file__).parent / "golden" / "messages.txt"
M = Messages.default()


def test_golden_outputs_in_both_languages() -> None:
    text = render_all(M)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "rendered messages changed: review and UPDATE_GOLDEN=1"


def test_every_message_exists_in_both_locales() -> None:
    assert M.keys("id") == M.keys("en")
    assert check_catalogs() == []


@pytest.mark.parametrize("key", sorted(k for k in M.keys("id") if k.endswith(".sms")))
@pytest.mark.parametrize("locale", ["id", "en"])
def test_sms_variants_fit_one_gsm7_segment(key: str, locale: str) -> None:
    base = key[: -len(".sms")]
    text = M.render(base, locale, tz="Asia/Makassar", channel="sms", **values_for(key, locale))
    info = sms_info(text)
    assert info.encoding == "GSM-7", text
    assert info.segments == 1, (info, text)


class TestFormatting:
    def test_dates_in_the_recipients_zone(self) -> None:
        due = pendulum.datetime(2026, 3, 25, 16, tz="Asia/Jakarta")
        v = {
            "case_number": "X",
            "goal": MessageRef("sla.goal.verification"),
            "office": "O",
            "provisional": "",
        }
        id_text = M.render("sla.breach", "id", due=due, **v)
        assert "Rabu, 25 Maret 2026 16.00 WIB" in id_text
        en_text = M.render("sla.breach", "en", due=due, **v)
        assert "Wednesday, 25 March 2026, 16:00 WIB" in en_text
        assert "Wednesday, 25 March 2026, 17:00 HKT" in M.render(
            "sla.breach", "en", tz="Asia/Hong_Kong", due=due, **v
        )
        assert "12:00 UTC+3" in M.render("sla.breach", "en", tz="Asia/Riyadh", due=due, **v)
        assert "15:30 UTC+6:30" in M.render("sla.breach", "en", tz="Asia/Yangon", due=due, **v)
        assert "10:00 CET" in M.render("sla.breach", "en", tz="Europe/Berlin", due=due, **v)

    def test_money_lists_plurals_numbers(self) -> None:
        assert M.render("unit.working_days", "en", count=1) == "1 working day"
        assert M.render("unit.working_days", "en", count=2) == "2 working days"
        assert M.render("unit.working_days", "id", count=1) == "1 hari kerja"
        assert M.render("unit.working_days", "id", count=2) == "2 hari kerja"
        msgs = M.with_messages("id", {"t.x": "{a} | {b} | {c} | {d}"})
        out = msgs.render(
            "t.x",
            "id",
            a=Money(18_500_000),
            b=["paspor", "visa", "kontrak kerja"],
            c=Plural("unit.days", 30),
            d=1234567,
        )
        assert out == "Rp18.500.000 | paspor, visa, dan kontrak kerja | 30 hari | 1.234.567"

    def test_terms_states_holidays_take_the_language(self) -> None:
        cal = WorkingCalendar.indonesia(first_year=2026, last_year=2026)
        (idul_fitri,) = cal.holidays_on(dt.date(2026, 3, 21))
        state = complaint_workflow(sla=False).state("awaiting_complainant")
        msgs = M.with_messages("id", {"t.x": "{h}/{s}/{c}"}).with_messages(
            "en", {"t.x": "{h}/{s}/{c}"}
        )
        values = {"h": idul_fitri, "s": state, "c": CATEGORIES.term("unpaid_wages")}
        assert (
            msgs.render("t.x", "id", **values)
            == "Hari Raya Idul Fitri/Menunggu kejelasan pengadu/Gaji tidak dibayar"
        )
        assert (
            msgs.render("t.x", "en", **values)
            == "Eid al-Fitr/Awaiting the complainant/Unpaid wages"
        )

    def test_value_errors(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            M.render(
                "sla.breach",
                "id",
                case_number="X",
                goal="g",
                office="O",
                due=dt.datetime(2026, 3, 25, 16),
            )
        with pytest.raises(InvalidArgumentError, match=r"needs a value for \{due\}"):
            M.render("sla.breach", "id", case_number="X", goal="g", office="O")
        with pytest.raises(WrongTypeError, match="cannot render"):
            M.render("sla.breach", "id", case_number=object(), goal="g", office="O", due="d")
        with pytest.raises(WrongTypeError, match="bool"):
            M.render("sla.breach", "id", case_number=True, goal="g", office="O", due="d")
        with pytest.raises(InvalidArgumentError, match="count=<int>"):
            M.render("unit.days", "id")

    def test_html_variant_escapes_values_only(self) -> None:
        msgs = M.with_messages("en", {"t.html": "<p>Dear {name}</p>"})
        assert (
            msgs.render_html("t.html", "en", name="<script>x</script>")
            == "<p>Dear &lt;script&gt;x&lt;/script&gt;</p>"
        )
        assert msgs.render("t.html", "en", name="<b>") == "<p>Dear <b></p>"

    def test_values_are_text_not_templates(self) -> None:
        # a value that looks like a placeholder is substituted literally, never expanded
        out = M.render("complaint.reopened", "en", case_number="{office.__class__}", office="O")
        assert out == "Complaint {office.__class__} has been reopened and is being handled."


class TestSafety:
    @pytest.mark.parametrize(
        ("template", "message"),
        [
            ("{case.__class__.__init__.__globals__}", "not a plain lower-case name"),
            ("{values[0]}", "not a plain lower-case name"),
            ("{0}", "not a plain lower-case name"),
            ("{}", "not a plain lower-case name"),
            ("{name:>999999999}", "format spec"),
            ("{name!r}", "conversion"),
            ("{name", "does not parse"),
            ("name}", "does not parse"),
            ("{Name}", "not a plain lower-case name"),
        ],
    )
    def test_hostile_templates_are_refused(self, template: str, message: str) -> None:
        with pytest.raises(CatalogError, match=message):
            M.with_messages("id", {"evil": template})

    def test_escaped_braces_are_literal(self) -> None:
        msgs = M.with_messages("id", {"t.braces": "{{literal}} {x}"})
        assert msgs.render("t.braces", "id", x="ok") == "{literal} ok"


def write_po(
    directory: pathlib.Path, locale: str, body: str, plural: str = "nplurals=1; plural=0;"
) -> None:
    folder = directory / locale / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    header = textwrap.dedent(
        f"""\
        msgid ""
        msgstr ""
        "Language: {locale}\\n"
        "Content-Type: text/plain; charset=UTF-8\\n"
        "Plural-Forms: {plural}\\n"

        """
    )
    (folder / "migrantcare.po").write_text(header + textwrap.dedent(body), encoding="utf-8")


class TestOverridesAndLocales:
    def test_integrator_catalog_layers_over_ours(self, tmp_path: pathlib.Path) -> None:
        write_po(
            tmp_path,
            "id",
            """\
            msgid "complaint.reopened"
            msgstr "Pengaduan {case_number} kami buka lagi. Salam, {office}."
            """,
        )
        msgs = M.with_directory(tmp_path)
        assert (
            msgs.render("complaint.reopened", "id", case_number="P", office="O")
            == "Pengaduan P kami buka lagi. Salam, O."
        )
        # everything else is still ours, and ours is unchanged
        assert msgs.render("unit.days", "id", count=2) == "2 hari"
        assert M.render("complaint.reopened", "id", case_number="P", office="O").startswith(
            "Pengaduan P dibuka kembali"
        )

    def test_new_locale(self, tmp_path: pathlib.Path) -> None:
        write_po(
            tmp_path,
            "ms",
            """\
            msgid "_format.datetime"
            msgstr "EEEE, d MMMM y HH:mm"

            msgid "complaint.reopened"
            msgstr "Aduan {case_number} dibuka semula."
            """,
        )
        msgs = M.with_directory(tmp_path)
        assert "ms" in msgs.locales
        assert (
            msgs.render("complaint.reopened", "ms", case_number="P", office="O")
            == "Aduan P dibuka semula."
        )
        with pytest.raises(MissingMessageError, match="missing in locale 'ms'"):
            msgs.render("complaint.closed", "ms", case_number="P", office="O", name="n", reason="r")
        problems = check_catalogs(tmp_path)
        assert {p.kind for p in problems} == {"missing"}
        assert all(p.locale == "ms" for p in problems)
        assert any(p.key == "complaint.closed" for p in problems)

    def test_missing_locale_is_loud(self) -> None:
        with pytest.raises(MissingMessageError, match="no catalog for locale 'zh_Hant'"):
            M.render("complaint.reopened", "zh_Hant", case_number="P", office="O")
        with pytest.raises(LookupError):
            M.render("no.such.key", "id")

    def test_traditional_chinese_for_taiwan(self, tmp_path: pathlib.Path) -> None:
        write_po(
            tmp_path,
            "zh_Hant",
            """\
            msgid "_format.datetime"
            msgstr "y年M月d日 EEEE HH:mm"

            msgid "complaint.reopened"
            msgstr "投訴 {case_number} 已重新開啟。{office}"
            """,
        )
        msgs = M.with_directory(tmp_path)
        assert (
            msgs.render("complaint.reopened", "zh_Hant", case_number="P", office="O")
            == "投訴 P 已重新開啟。O"
        )
        assert sms_info("投訴 P 已重新開啟。").encoding == "UCS-2"


class TestCheck:
    def test_catches_each_defect_kind(self, tmp_path: pathlib.Path) -> None:
        write_po(
            tmp_path,
            "en",
            '''\
            msgid "complaint.reopened"
            msgstr "Complaint {case_id} reopened by {office}."

            msgid "t.broken"
            msgstr "Hello {name"

            msgid "t.attr"
            msgstr "Hello {name.upper}"

            msgid "unit.days"
            msgid_plural "unit.days"
            msgstr[0] "{count} day"

            msgid "t.long.sms"
            msgstr "'''
            + "x" * 170
            + """"
            """,
            plural="nplurals=2; plural=(n != 1);",
        )
        problems = check_catalogs(tmp_path)
        kinds = {(p.kind, p.key) for p in problems}
        assert ("placeholders", "complaint.reopened") in kinds
        assert ("syntax", "t.broken") in kinds
        assert ("syntax", "t.attr") in kinds
        assert ("plural_forms", "unit.days") in kinds
        assert ("sms_length", "t.long.sms") in kinds
        assert ("missing", "t.long.sms") in {(p.kind, p.key) for p in problems if p.locale == "id"}
        with pytest.raises(CatalogError, match=r"t\.broken"):
            Messages.from_directories(tmp_path)

    def test_unknown_locale_folder(self, tmp_path: pathlib.Path) -> None:
        write_po(tmp_path, "xx_YY", 'msgid "a"\nmsgstr "b"\n')
        assert [p.kind for p in check_catalogs(tmp_path)] == ["locale"]

    def test_cli(self, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli(["catalog", "check"]) == 0
        assert "ok: migrantcare's catalogs (en, id)" in capsys.readouterr().out
        write_po(tmp_path, "id", 'msgid "complaint.reopened"\nmsgstr "Dibuka {x}"\n')
        assert cli(["catalog", "check", str(tmp_path)]) == 1
        out = capsys.readouterr().out
        assert (
            "[placeholders] id:complaint.reopened" in out
            or "[placeholders] en:complaint.reopened" in out
        )
        assert cli(["catalog", "check", str(tmp_path / "nope")]) == 2


def test_sms_info() -> None:
    assert sms_info("a" * 160).segments == 1
    assert sms_info("a" * 161).segments == 2
    assert sms_info("€" * 80).units == 160
    assert sms_info("Rp18.500.000").encoding == "GSM-7"
    assert sms_info("“quoted”").encoding == "UCS-2"
    assert sms_info("x" * 71 + "é").segments == 1  # é is GSM-7


class TestNotices:
    def test_complaint_events_produce_bilingual_notices(self) -> None:
        wf = complaint_workflow()
        cal = WorkingCalendar.for_province("Nusa Tenggara Timur")
        received = pendulum.datetime(2026, 3, 19, 22, 15, tz="Asia/Hong_Kong")
        case = wf.open(
            "PGD-2026-000123",
            at=received,
            by=actor("cc"),
            office="bp3mi-ntt",
            category="unpaid_wages",
            channel="whatsapp",
            complainant=Person("Ibu Siti Aminah"),
            calendar=cal,
        )
        (ack,) = notices(wf, case, office_name="BP3MI Nusa Tenggara Timur")
        assert (ack.key, ack.recipient) == ("complaint.registered.ack", "complainant")
        assert "paling lambat Jumat, 27 Maret 2026 16.30 WITA" in ack.render(
            M, "id", tz="Asia/Makassar"
        )
        assert "by Friday, 27 March 2026, 16:30 HKT" in ack.render(M, "en", tz="Asia/Hong_Kong")
        assert sms_info(ack.render(M, "id", tz="Asia/Hong_Kong", channel="sms")).segments == 1

        t = pendulum.datetime(2026, 3, 25, 9, tz="Asia/Makassar")
        case = wf.fire(case, "start_verification", at=t, by=actor("o"), calendar=cal)
        (changed,) = notices(wf, case)
        assert changed.render(M, "id") == "Status pengaduan PGD-2026-000123 kini: Verifikasi."
        case = wf.fire(
            case,
            "request_documents",
            at=t.add(hours=1),
            by=actor("o"),
            calendar=cal,
            data={"documents": ["paspor", "visa"]},
        )
        (docs,) = notices(wf, case)
        assert (
            "kami memerlukan paspor dan visa. Mohon kirimkan paling lambat "
            "Sabtu, 18 April 2026 22.15 WITA" in docs.render(M, "id", tz="Asia/Makassar")
        )
        # nobody sends the documents: the 30-day clock of Pasal 30(1)a runs out on 18 April
        case = wf.advance(
            case, at=pendulum.datetime(2026, 4, 20, 9, tz="Asia/Makassar"), calendar=cal
        )
        sla = [n for e in case.events if e.kind == "sla" for n in notices(wf, case, e)]
        (breach,) = [n for n in sla if n.key == "sla.breach"]
        assert breach.render(M, "id", tz="Asia/Makassar") == (
            "Batas waktu kelengkapan dokumen pengaduan PGD-2026-000123 telah lewat pada "
            "Sabtu, 18 April 2026 22.15 WITA. Mohon segera ditindaklanjuti."
        )
        assert {n.recipient for n in sla} == {"officer", "office_head"}
        case = wf.fire(
            case,
            "close",
            at=t.add(days=27),
            by=actor("o"),
            data={"reason": "documents_incomplete"},
            calendar=cal,
        )
        (closed,) = notices(wf, case)
        assert "for this reason: Documents not completed." in closed.render(M, "en")

    def test_escalation_goes_to_the_crisis_center(self) -> None:
        wf = complaint_workflow(sla=False)
        case = wf.open(
            "P",
            at=pendulum.now("UTC"),
            by=actor("cc"),
            office="bp3mi-ntt",
            category="trafficking",
            channel="sms",
        )
        case = wf.fire(case, "escalate", at=pendulum.now("UTC"), by=actor("o"))
        (n,) = notices(wf, case, office_name="BP3MI NTT")
        assert n.recipient == "crisis_center"
        assert "(Tindak pidana perdagangan orang (TPPO))" in n.render(M, "id")

    def test_repatriation_of_remains(self) -> None:
        wf = repatriation_workflow()
        case = wf.open(
            "PLG-1",
            at=pendulum.datetime(2026, 4, 2, 10, tz="Asia/Kuala_Lumpur"),
            by=actor("kbri"),
            office="bp3mi-ntt",
            category="deceased",
            channel="embassy",
            complainant=Person("Bapak Yohanes", kind="family"),
            worker=Person("Maria", kind="pmi"),
        )
        for trig in ("start_verification", "confirm_deceased"):
            case = wf.fire(
                case, trig, at=pendulum.datetime(2026, 4, 3, 10, tz="UTC"), by=actor("o")
            )
        case = wf.fire(
            case,
            "arrive",
            at=pendulum.datetime(2026, 4, 5, 2, 40, tz="UTC"),
            by=actor("o"),
            data={"place": "Bandara El Tari, Kupang"},
        )
        (n,) = notices(wf, case)
        assert n.key == "repatriation.remains.arrival"
        assert (
            "jenazah almarhum/almarhumah Maria dijadwalkan tiba di Bandara El Tari, Kupang pada "
            "Minggu, 5 April 2026 10.40 WITA" in n.render(M, "id", tz="Asia/Makassar")
        )

    def test_outreach_invitation(self) -> None:
        wf = outreach_workflow()
        case = wf.open(
            "SOS-7",
            at=pendulum.datetime(2026, 5, 4, 9, tz="Asia/Makassar"),
            by=actor("b", office="bp3mi-ntb"),
            office="bp3mi-ntb",
            category="desa_migran_emas",
            channel="in_person",
            attributes={"village": "Desa Contoh"},
        )
        case = wf.fire(
            case,
            "coordinate",
            at=pendulum.datetime(2026, 5, 5, 9, tz="Asia/Makassar"),
            by=actor("b", office="bp3mi-ntb"),
            data={"held_at": "2026-05-21T09:00:00+08:00", "venue": "Balai Desa Contoh"},
        )
        (n,) = notices(wf, case, office_name="BP3MI NTB")
        assert n.recipient == "participants"
        text = n.render(M, "en", tz="Asia/Makassar")
        assert (
            'invited to the event "Desa Migran Emas village programme" on '
            "Thursday, 21 May 2026, 09:00 WITA" in text
        )
        assert sms_info(n.render(M, "id", tz="Asia/Makassar", channel="sms")).segments == 1

    def test_event_must_belong_to_the_case(self) -> None:
        wf = complaint_workflow(sla=False)
        a = wf.open(
            "A", at=pendulum.now("UTC"), by=actor("cc"), office="o", category="other", channel="sms"
        )
        b = wf.fire(a, "start_verification", at=pendulum.now("UTC"), by=actor("o", office="o"))
        with pytest.raises(InvalidArgumentError, match="does not belong"):
            notices(wf, a, b.events[-1])
