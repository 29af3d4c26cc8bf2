"""REDCap data dictionary export and import (emotipal.measures.redcap): round trip, REDCap's own files, and
every kind of malformed file named by line and column."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from emotipal.definitions.instruments import check_definition
from emotipal.measures.redcap import (
    CHOICES,
    REDCAP_API_HEADER,
    REDCAP_HEADER,
    RedcapError,
    export_dictionary,
    import_dictionary,
)

INSTRUMENTS = Path(__file__).resolve().parents[2] / "emotipal" / "measures" / "instruments"

HEADER_LINE = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,Text Validation Type OR Show Slider Number,'
    "Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),"
    "Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,"
    "Field Annotation"
)

FREQUENCY = [
    {"value": 0, "label": "Not at all"},
    {"value": 1, "label": "Several days"},
    {"value": 2, "label": "More than half the days"},
    {"value": 3, "label": "Nearly every day"},
]


def phq9_like() -> dict[str, Any]:
    """A PHQ-9-like instrument with every item type, a reverse item, a risk item, sections and instrument-level
    scoring data."""
    wording = [
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        'Feeling bad about yourself, or that you are a failure, or have let yourself or your family "down"',
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ]
    items: list[dict[str, Any]] = [
        {"id": f"phq9_{n}", "type": "choice", "text": text, "loinc": f"4425{n}-0"}
        for n, text in enumerate(wording, start=1)
    ]
    items[0]["section"] = "Over the last 2 weeks, how often have you been bothered by any of the following?"
    items[8]["risk"] = True
    items += [
        {
            "id": "hopeful",
            "type": "choice",
            "text": "I felt hopeful about the future",
            "options": [
                {"value": 0, "label": "Never"},
                {"value": 1, "label": "Sometimes"},
                {"value": 2, "label": "Often, or always"},
            ],
            "reverse": True,
            "section": "About you",
        },
        {
            "id": "confidence",
            "type": "scale",
            "text": "How confident are you that you can use the skill at home?",
            "min": 0,
            "max": 10,
            "anchors": {0: "Not at all", 5: "Somewhat", 10: "Completely"},
        },
        {"id": "sleep_hours", "type": "number", "text": "Hours slept last night", "min": 0, "max": 24},
        {
            "id": "helped",
            "type": "multi_choice",
            "text": "What helped this week?",
            "options": [
                {"value": "walk", "label": "A walk"},
                {"value": "friend", "label": "Talking to a friend"},
                {"value": 3, "label": "Something else"},
            ],
        },
        {"id": "main_worry", "type": "short_text", "text": "Your main worry, in a few words"},
        {
            "id": "comments",
            "type": "long_text",
            "text": "Anything else you want your therapist to know?\nWrite as much as you like.",
            "section": "Comments",
        },
        {"id": "thanks", "type": "descriptive", "text": "Thank you. Your answers go to your therapist."},
    ]
    return {
        "key": "phq9_like",
        "name": "PHQ-9 like",
        "title": "Patient Health Questionnaire, a test copy",
        "preamble": "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
        "loinc": "44249-1",
        "total_loinc": "44261-6",
        "direction": "lower_is_better",
        "options": FREQUENCY,
        "items": items,
        "scoring": {"method": "sum", "items": [f"phq9_{n}" for n in range(1, 10)], "max_missing": 1},
        "subscales": [{"key": "mood", "name": "Mood", "items": ["phq9_1", "phq9_2"], "method": "sum"}],
        "bands": [
            {"min": 0, "max": 4, "label": "Minimal"},
            {"min": 5, "max": 9, "label": "Mild"},
            {"min": 10, "max": 14, "label": "Moderate"},
            {"min": 15, "max": 19, "label": "Moderately severe"},
            {"min": 20, "max": 27, "label": "Severe"},
        ],
        "reliable_change": {"reliability": 0.84, "sd": 5.7},
        "nhs": {"caseness": 10, "reliable_change": 6},
    }


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def row(**cells: str) -> list[str]:
    """One data dictionary row from keyword cells (variable, form, type, label, choices, ...)."""
    names = {
        "variable": "Variable / Field Name",
        "form": "Form Name",
        "section": "Section Header",
        "type": "Field Type",
        "label": "Field Label",
        "choices": "Choices, Calculations, OR Slider Labels",
        "note": "Field Note",
        "validation": "Text Validation Type OR Show Slider Number",
        "min": "Text Validation Min",
        "max": "Text Validation Max",
        "identifier": "Identifier?",
        "branching": "Branching Logic (Show field only if...)",
        "required": "Required Field?",
        "alignment": "Custom Alignment",
        "number": "Question Number (surveys only)",
        "matrix": "Matrix Group Name",
        "ranking": "Matrix Ranking?",
        "annotation": "Field Annotation",
    }
    by_column = {names[key]: value for key, value in cells.items()}
    return [by_column.get(column, "") for column in REDCAP_HEADER]


def csv_text(*rows: list[str], header: tuple[str, ...] = REDCAP_HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def good_row(variable: str = "mood", **cells: str) -> list[str]:
    base = {
        "variable": variable,
        "form": "wellbeing",
        "type": "radio",
        "label": "Mood",
        "choices": "0, Low | 1, OK",
    }
    base.update(cells)
    return row(**base)


# --- export ---------------------------------------------------------------------------------------------------


def test_exported_header_is_redcaps_exact_header() -> None:
    text = export_dictionary(phq9_like())
    assert text.splitlines()[0] == HEADER_LINE
    parsed = rows_of(text)
    assert tuple(parsed[0]) == REDCAP_HEADER
    assert len(REDCAP_HEADER) == 18
    assert all(len(cells) == 18 for cells in parsed)
    assert len(parsed) == 1 + len(phq9_like()["items"])


def test_export_maps_types_and_columns() -> None:
    parsed = rows_of(export_dictionary(phq9_like()))
    by_name = {cells[0]: dict(zip(REDCAP_HEADER, cells, strict=True)) for cells in parsed[1:]}
    first = by_name["phq9_1"]
    assert first["Form Name"] == "phq9_like"
    assert first["Field Type"] == "radio"
    assert first["Choices, Calculations, OR Slider Labels"] == (
        "0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day"
    )
    assert first["Required Field?"] == "y"
    assert first["Section Header"].startswith("Over the last 2 weeks")
    assert first["Field Annotation"].startswith("@EMOTIPAL-LOINC=44251-0 @EMOTIPAL-INSTRUMENT={")
    assert "@EMOTIPAL-INSTRUMENT" not in by_name["phq9_2"]["Field Annotation"]
    assert by_name["phq9_9"]["Field Annotation"] == "@EMOTIPAL-RISK @EMOTIPAL-LOINC=44259-0"
    assert by_name["hopeful"]["Field Annotation"] == "@EMOTIPAL-REVERSE"
    slider = by_name["confidence"]
    assert slider["Field Type"] == "slider"
    assert slider["Choices, Calculations, OR Slider Labels"] == "Not at all | Somewhat | Completely"
    assert slider["Text Validation Type OR Show Slider Number"] == "number"
    assert (slider["Text Validation Min"], slider["Text Validation Max"]) == ("0", "10")
    number = by_name["sleep_hours"]
    assert (number["Field Type"], number["Text Validation Type OR Show Slider Number"]) == ("text", "number")
    assert (number["Text Validation Min"], number["Text Validation Max"]) == ("0", "24")
    assert number["Required Field?"] == ""
    assert by_name["helped"]["Field Type"] == "checkbox"
    assert by_name["helped"]["Choices, Calculations, OR Slider Labels"] == (
        "walk, A walk | friend, Talking to a friend | 3, Something else"
    )
    assert by_name["main_worry"]["Field Type"] == "text"
    assert by_name["main_worry"]["Text Validation Type OR Show Slider Number"] == ""
    assert by_name["comments"]["Field Type"] == "notes"
    assert by_name["thanks"]["Field Type"] == "descriptive"
    assert all(
        cells["Field Annotation"] == "" for name, cells in by_name.items() if name in ("helped", "thanks")
    )


def test_export_refuses_option_values_that_are_no_redcap_codes() -> None:
    definition = phq9_like()
    definition["items"][12]["options"][0]["value"] = "a walk"
    with pytest.raises(RedcapError, match=r"item 'helped'.*'a walk' is not a REDCap choice code"):
        export_dictionary(definition)


def test_labels_redcap_cannot_hold_are_shown_plainly_and_kept_exactly() -> None:
    definition = phq9_like()
    definition["options"] = [{"value": 0, "label": "Not at all | never"}, *FREQUENCY[1:]]
    definition["items"][9]["options"][0]["label"] = "Never\nor rarely"
    definition["items"][10]["anchors"][10] = "Completely | fully"
    text = export_dictionary(definition)
    by_name = {cells[0]: dict(zip(REDCAP_HEADER, cells, strict=True)) for cells in rows_of(text)[1:]}
    assert by_name["phq9_2"][CHOICES].startswith("0, Not at all / never | 1, Several days")
    assert by_name["phq9_2"]["Field Annotation"] == "@EMOTIPAL-LOINC=44252-0"
    assert by_name["hopeful"][CHOICES].startswith("0, Never or rarely | 1, Sometimes")
    assert "@EMOTIPAL-EXTRA=" in by_name["hopeful"]["Field Annotation"]
    assert by_name["confidence"][CHOICES] == "Not at all | Somewhat | Completely / fully"
    assert "@EMOTIPAL-ANCHORS=" in by_name["confidence"]["Field Annotation"]
    assert import_dictionary(text).definitions == [definition]


def test_default_options_redcap_reads_differently_are_kept() -> None:
    definition = {
        "key": "odd_codes",
        "name": "Odd codes",
        "options": [{"value": "1", "label": " One"}, {"value": "02", "label": "Two"}],
        "items": [{"id": "q1", "type": "choice", "text": "Pick one"}],
    }
    text = export_dictionary(definition)
    assert '@EMOTIPAL-UNSET=[""options""]' in text
    assert import_dictionary(text).definitions == [definition]


# --- round trip -----------------------------------------------------------------------------------------------


def test_round_trip_gives_the_same_definition() -> None:
    definition = phq9_like()
    check_definition(definition)
    result = import_dictionary(export_dictionary(definition))
    assert result.definitions == [definition]
    assert result.report == []


@pytest.mark.parametrize("path", sorted(INSTRUMENTS.glob("*.yaml")), ids=lambda path: path.stem)
def test_round_trip_of_the_shipped_instruments(path: Path) -> None:
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = import_dictionary(export_dictionary(definition))
    assert result.definitions == [definition]
    assert result.report == []


def test_round_trip_keeps_what_the_columns_cannot() -> None:
    definition = phq9_like()
    items = definition["items"]
    items[1]["required"] = True  # explicit, equal to the default
    items[1]["options"] = copy.deepcopy(FREQUENCY)  # own options equal to the default ones
    items[9]["reverse"] = False
    items[10]["anchors"] = {0: "None", 3: "A little", 10: "Completely"}  # 3 is no slider label position
    items[11]["min"] = 0.5
    items[11]["max"] = 23.75
    items[13]["required"] = False
    items.append(
        {"id": "odd", "type": "scale", "text": "Odd range", "min": 1, "max": 4, "anchors": {"1": "lo"}}
    )
    items.append(
        {"id": "score", "type": "scale", "text": "No anchors", "min": -3, "max": 3, "required": False}
    )
    result = import_dictionary(export_dictionary(definition))
    assert result.definitions == [definition]
    assert result.report == []
    imported = result.definitions[0]["items"]
    assert list(imported[10]["anchors"]) == [0, 3, 10]
    assert imported[-2]["anchors"] == {"1": "lo"}
    assert isinstance(imported[11]["min"], float)


def test_round_trip_with_a_record_id_row() -> None:
    definition = phq9_like()
    text = export_dictionary(definition, record_id=True)
    assert rows_of(text)[1][:5] == ["record_id", "phq9_like", "", "text", "Record ID"]
    result = import_dictionary(text)
    assert result.definitions == [definition]
    assert result.report == [
        "line 2, field 'record_id': REDCap's record identifier, not a question; left out"
    ]


def test_round_trip_of_several_forms_in_one_file() -> None:
    first = phq9_like()
    second = {
        "key": "confidence",
        "name": "Confidence",
        "direction": "higher_is_better",
        "items": [
            {"id": "conf_1", "type": "scale", "text": "I can use the skill", "min": 0, "max": 10},
            {"id": "conf_2", "type": "scale", "text": "I can ask for help", "min": 0, "max": 10},
        ],
        "scoring": {"method": "mean"},
    }
    text = export_dictionary(first) + export_dictionary(second).split("\n", 1)[1]
    result = import_dictionary(text)
    assert result.definitions == [first, second]
    only = import_dictionary(text, form="confidence")
    assert only.definitions == [second]
    with pytest.raises(RedcapError, match=r"no form 'gad7'.*phq9_like, confidence"):
        import_dictionary(text, form="gad7")


# --- REDCap's own files ---------------------------------------------------------------------------------------

# As REDCap writes a data dictionary: every cell quoted that needs it, labels with commas, HTML and a multi-line
# section header, a record identifier first, and REDCap features EmotiPal does not have.
REDCAP_FILE = (
    HEADER_LINE
    + "\n"
    + 'record_id,intake,,text,"Record ID",,,,,,,,,,,,,\n'
    + 'age,intake,"About you",text,"Your age, in years",,"whole years",integer,16,120,,,y,,,,,\n'
    + 'visit_date,intake,,text,"Date of this visit",,,date_ymd,,,,,,,,,,"@TODAY"\n'
    + 'sex,intake,,dropdown,"Sex, as on your records","1, Female | 2, Male | 3, Other, or prefer not to say",,,,,,,,,,,,\n'
    + 'bmi,intake,,calc,"BMI","[weight]/([height]*[height])",,,,,,,,,,,,\n'
    + "consent_file,intake,,file,Consent form,,,,,,,,,,,,,\n"
    + "signature,intake,,file,Signature,,,signature,,,,,,,,,,\n"
    + 'smoker,intake,,yesno,"Do you smoke?",,,,,,,,y,,,,,\n'
    + 'smoke_amount,intake,,text,"How many a day?",,,number,0,100,,"[smoker] = \'1\'",,,,,,\n'
    + "is_true,intake,,truefalse,I sleep well,,,,,,,,,,,,,\n"
    + 'gad_1,gad,"Over the last 2 weeks,\nhow often?",radio,"Feeling nervous, anxious, or on edge",'
    + '"0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",,,,,,,y,LH,1,gad_grid,y,\n'
    + 'gad_2,gad,,radio,"Not being able to stop or control worrying",'
    + '"0, Not at all|1, Several days|2, More than half the days|3, Nearly every day",,,,,,,y,,,gad_grid,y,\n'
    + 'gad_vas,gad,,slider,"How anxious are you now?","Calm | | Very anxious",,number,,,,,,,,,,\n'
    + 'gad_total,gad,,calc,Total,"sum([gad_1],[gad_2])",,,,,,,,,,,,@HIDDEN\n'
    + "gad_reason,gad,,text,\"Reason\",,,,,,,,,,,,,\"@CALCTEXT(if([gad_1]>1,'high','low'))\"\n"
    + 'gad_help,gad,,checkbox,"Which helped?","1, Breathing | 2, Walking | x_other, Something else",,,,,,,,,,,,\n'
)


def test_a_redcap_file_imports_with_a_clear_report() -> None:
    result = import_dictionary(REDCAP_FILE)
    intake, gad = result.definitions
    for definition in result.definitions:
        check_definition(definition)
    assert intake["key"] == "intake"
    assert (intake["name"], intake["title"]) == ("intake", "intake")
    assert intake["scoring"] == {"method": "sum"}
    assert "bands" not in intake
    assert [item["id"] for item in intake["items"]] == [
        "age",
        "visit_date",
        "sex",
        "smoker",
        "smoke_amount",
        "is_true",
    ]
    age, visit, sex, smoker, amount, is_true = intake["items"]
    assert age == {
        "id": "age",
        "type": "number",
        "text": "Your age, in years",
        "section": "About you",
        "min": 16,
        "max": 120,
        "required": True,
    }
    assert visit == {"id": "visit_date", "type": "short_text", "text": "Date of this visit"}
    assert sex["type"] == "choice"
    assert sex["text"] == "Sex, as on your records"
    assert sex["options"] == [
        {"value": 1, "label": "Female"},
        {"value": 2, "label": "Male"},
        {"value": 3, "label": "Other, or prefer not to say"},
    ]
    assert sex["required"] is False
    assert smoker["options"] == [{"value": 1, "label": "Yes"}, {"value": 0, "label": "No"}]
    assert "required" not in smoker
    assert amount["type"] == "number"
    assert (amount["min"], amount["max"]) == (0, 100)
    assert is_true["options"] == [{"value": 1, "label": "True"}, {"value": 0, "label": "False"}]

    gad_1, gad_2, vas, helped = gad["items"]
    assert gad_1["section"] == "Over the last 2 weeks,\nhow often?"
    assert gad_1["options"] == FREQUENCY
    assert gad_2["options"] == FREQUENCY
    assert vas == {
        "id": "gad_vas",
        "type": "scale",
        "text": "How anxious are you now?",
        "min": 0,
        "max": 100,
        "anchors": {0: "Calm", 100: "Very anxious"},
        "required": False,
    }
    assert helped["type"] == "multi_choice"
    assert [option["value"] for option in helped["options"]] == [1, 2, "x_other"]

    report = result.report
    # Each form's summary comes first, then its fields in file order.
    assert report[:10] == [
        "line 2: form 'intake' has no @EMOTIPAL-INSTRUMENT annotation (not made by EmotiPal): named 'intake', "
        "scored as the sum of sex, smoker, is_true (check this), no severity bands",
        "line 2, field 'record_id': REDCap's record identifier, not a question; left out",
        "line 3, field 'age': text validation 'integer' is not enforced; any number is accepted",
        "line 3, field 'age': field note 'whole years' dropped",
        "line 4, field 'visit_date': text validation 'date_ymd' is not enforced; any text is accepted",
        "line 4, field 'visit_date': field annotation '@TODAY' dropped (REDCap action tags are not supported)",
        "line 6, field 'bmi': type 'calc' (a calculated field) cannot be represented in EmotiPal; left out",
        "line 7, field 'consent_file': type 'file' (a file upload) cannot be represented in EmotiPal; left out",
        "line 8, field 'signature': type 'file' (a signature) cannot be represented in EmotiPal; left out",
        "line 10, field 'smoke_amount': branching logic \"[smoker] = '1'\" dropped; EmotiPal always shows the item",
    ]
    assert report[10].startswith("line 12: form 'gad' has no @EMOTIPAL-INSTRUMENT annotation")
    assert "scored as the sum of gad_1, gad_2, gad_vas (check this)" in report[10]
    assert "field 'is_true'" not in " ".join(report)
    # The section header spans two text lines: row 12 starts on text line 12 and row 13 on text line 14.
    assert any(
        line.startswith("line 12, field 'gad_1': matrix group 'gad_grid' (with matrix ranking)")
        for line in report
    )
    assert (
        "line 12, field 'gad_1': Custom Alignment 'LH', Question Number (surveys only) '1' dropped" in report
    )
    assert any(line.startswith("line 13 (text line 14), field 'gad_2': matrix group") for line in report)
    assert (
        "line 15 (text line 16), field 'gad_total': type 'calc' (a calculated field) cannot be represented in EmotiPal; left out"
        in report
    )
    assert any(
        line.startswith("line 16 (text line 17), field 'gad_reason'") and "@CALCTEXT" in line
        for line in report
    )
    # Every REDCap field is either imported or named in the report.
    names = [cells[0] for cells in rows_of(REDCAP_FILE)[1:]]
    imported = {item["id"] for definition in result.definitions for item in definition["items"]}
    for name in names:
        assert name in imported or any(f"field '{name}'" in line for line in report), name


def test_import_of_a_file_with_a_utf8_bom_and_crlf() -> None:
    text = "\ufeff" + csv_text(
        good_row(), good_row("sleep", label="Sleep, how well?", choices="1, Badly | 2, Well")
    )
    result = import_dictionary(text)
    assert [item["id"] for item in result.definitions[0]["items"]] == ["mood", "sleep"]
    assert result.definitions[0]["items"][1]["text"] == "Sleep, how well?"
    exported = "\ufeff" + export_dictionary(phq9_like())
    assert import_dictionary(exported).definitions == [phq9_like()]
    as_bytes = exported.encode("utf-8")
    assert as_bytes.startswith(b"\xef\xbb\xbf")
    assert import_dictionary(as_bytes.decode("utf-8")).definitions == [phq9_like()]


def test_the_api_header_is_accepted() -> None:
    result = import_dictionary(csv_text(good_row(), header=REDCAP_API_HEADER))
    assert result.definitions[0]["items"][0]["options"] == [
        {"value": 0, "label": "Low"},
        {"value": 1, "label": "OK"},
    ]


def test_a_form_name_is_made_into_a_key() -> None:
    result = import_dictionary(csv_text(good_row(form="Well-being Week 1")))
    definition = result.definitions[0]
    assert definition["key"] == "well_being_week_1"
    assert definition["name"] == "Well-being Week 1"
    assert "line 2: form 'Well-being Week 1' becomes instrument key 'well_being_week_1'" in result.report
    assert import_dictionary(
        csv_text(good_row(form="Well-being Week 1")), form="well_being_week_1"
    ).definitions


def test_a_first_text_field_is_flagged_as_a_possible_record_identifier() -> None:
    result = import_dictionary(
        csv_text(good_row("study_id", type="text", label="Study ID", choices=""), good_row())
    )
    assert [item["id"] for item in result.definitions[0]["items"]] == ["study_id", "mood"]
    assert any(line.startswith("line 2, field 'study_id': the first field") for line in result.report)


def test_unsupported_fields_are_reported_not_dropped_silently() -> None:
    text = csv_text(
        good_row(),
        good_row("bmi", type="calc", label="BMI", choices="[w]/[h]"),
        good_row("query", type="sql", label="Pick", choices="select 1"),
        good_row("one", type="checkbox", label="I agree", choices="1, I agree"),
    )
    result = import_dictionary(text)
    assert [item["id"] for item in result.definitions[0]["items"]] == ["mood"]
    assert (
        "line 3, field 'bmi': type 'calc' (a calculated field) cannot be represented in EmotiPal; left out"
        in (result.report)
    )
    assert (
        "line 4, field 'query': type 'sql' (a dynamic SQL field) cannot be represented in EmotiPal; left out"
        in (result.report)
    )
    assert any(
        line.startswith("line 5, field 'one': a checkbox field with a single choice")
        for line in result.report
    )


def test_a_form_with_nothing_to_import() -> None:
    text = csv_text(good_row(), good_row("bmi", form="calcs", type="calc", label="BMI", choices="[w]/[h]"))
    result = import_dictionary(text)
    assert [definition["key"] for definition in result.definitions] == ["wellbeing"]
    assert "line 3: form 'calcs' has no field EmotiPal can represent; left out" in result.report
    with pytest.raises(RedcapError, match=r"line 3, column B \(Form Name\): form 'calcs' has no field"):
        import_dictionary(text, form="calcs")


# --- malformed files ------------------------------------------------------------------------------------------


def raises(text: str, *fragments: str) -> RedcapError:
    with pytest.raises(RedcapError) as caught:
        import_dictionary(text)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return caught.value


def test_wrong_header_names_the_columns() -> None:
    header = tuple(name for name in REDCAP_HEADER if name != "Field Note")
    raises(csv_text(header=header), "line 1", "missing column(s) 'Field Note'")
    header = (*REDCAP_HEADER[:5], "Choices", "Calculations", "OR Slider Labels", *REDCAP_HEADER[6:])
    error = raises(
        HEADER_LINE.replace(
            '"Choices, Calculations, OR Slider Labels"', "Choices, Calculations, OR Slider Labels"
        ),
        "line 1",
        "missing column(s) 'Choices, Calculations, OR Slider Labels'",
        "unexpected column(s) F 'Choices', G 'Calculations', H 'OR Slider Labels'",
        "must be quoted",
    )
    assert len(error.problems) == 1
    swapped = (REDCAP_HEADER[1], REDCAP_HEADER[0], *REDCAP_HEADER[2:])
    raises(
        csv_text(header=swapped),
        "line 1, column A: expected 'Variable / Field Name' there, found 'Form Name'",
    )
    raises(HEADER_LINE.replace(",", ";"), "line 1", "';'")
    raises("", "line 1: the file is empty")
    raises(csv_text(), "line 1: the file has REDCap's header but no fields")


def test_duplicate_variable_names() -> None:
    raises(
        csv_text(good_row(), good_row("sleep"), good_row()),
        "line 4, column A (Variable / Field Name): duplicate variable name 'mood' (first on line 2)",
    )


def test_duplicate_across_forms() -> None:
    raises(
        csv_text(good_row(), good_row(form="other")),
        "line 3, column A (Variable / Field Name): duplicate variable name 'mood'",
    )


def test_empty_and_invalid_variable_names() -> None:
    raises(
        csv_text(good_row(), good_row("")),
        "line 3, column A (Variable / Field Name): the variable name is empty",
    )
    for bad in ("Mood", "1mood", "mood-1", "_mood", "mood 1"):
        raises(
            csv_text(good_row(bad)),
            f"line 2, column A (Variable / Field Name): {bad!r} is not a valid REDCap variable name",
        )
    raises(csv_text(good_row("m" * 101)), "line 2, column A (Variable / Field Name)", "longer than 100")


@pytest.mark.parametrize(
    ("choices", "fragment"),
    [
        ("0 Low | 1, OK", "choice 1 ('0 Low') has no comma"),
        ("0, Low | 1 OK", "choice 2 ('1 OK') has no comma"),
        ("0, Low | , OK", "choice 2 (', OK') needs both a code and a label"),
        ("0, Low | 1,", "choice 2 ('1,') needs both a code and a label"),
        ("0, Low | 0, OK", "choice code '0' appears twice"),
        ("0, Low | a b, OK", "choice 2 has code 'a b'"),
        ("", "a radio field needs choices"),
    ],
)
def test_bad_choice_syntax(choices: str, fragment: str) -> None:
    raises(
        csv_text(good_row(), good_row("sleep", choices=choices)),
        "line 3, column F (Choices, Calculations, OR Slider Labels)",
        fragment,
    )


def test_unknown_field_type() -> None:
    raises(
        csv_text(good_row(type="radiobutton")),
        "line 2, column D (Field Type): unknown field type 'radiobutton'",
    )
    raises(csv_text(good_row(type="")), "line 2, column D (Field Type): unknown field type empty")


def test_bad_numbers_and_flags() -> None:
    slider = {"type": "slider", "choices": "Low | High"}
    raises(
        csv_text(good_row(**slider, min="zero")),
        "line 2, column I (Text Validation Min): 'zero' is not a whole number",
    )
    raises(csv_text(good_row(**slider, min="0.5")), "line 2, column I (Text Validation Min)")
    raises(
        csv_text(good_row(**slider, min="10", max="5")),
        "line 2, column J (Text Validation Max)",
        "above its min",
    )
    number = {"type": "text", "choices": "", "validation": "number"}
    raises(
        csv_text(good_row(**number, max="lots")),
        "line 2, column J (Text Validation Max): 'lots' is not a number",
    )
    raises(
        csv_text(good_row(required="maybe")),
        "line 2, column M (Required Field?): 'maybe' should be 'y' or empty",
    )
    raises(csv_text(good_row(label="")), "line 2, column E (Field Label): the field label is empty")
    raises(csv_text(good_row(form="")), "line 2, column B (Form Name): the form name is empty")


def test_bad_annotations() -> None:
    raises(
        csv_text(good_row(annotation='@EMOTIPAL-INSTRUMENT={"name": ')),
        "line 2, column R (Field Annotation)",
        "invalid JSON",
    )
    raises(
        csv_text(good_row(annotation="@EMOTIPAL-INSTRUMENT=[1]")),
        "line 2, column R (Field Annotation)",
        "JSON object",
    )
    raises(
        csv_text(good_row(annotation="@EMOTIPAL-LOINC")),
        "line 2, column R (Field Annotation)",
        "needs a code",
    )
    raises(
        csv_text(good_row(annotation="@EMOTIPAL-RISK @EMOTIPAL-RISK")),
        "line 2, column R (Field Annotation)",
        "twice",
    )
    raises(
        csv_text(good_row(annotation='@EMOTIPAL-EXTRA={"type":"scale"}')),
        "line 2, column R (Field Annotation)",
        "may not change",
    )
    meta = '@EMOTIPAL-INSTRUMENT={"name":"X"}'
    raises(
        csv_text(good_row(annotation=meta), good_row("sleep", annotation=meta)),
        "line 3, column R (Field Annotation): a second @EMOTIPAL-INSTRUMENT in form 'wellbeing' (the first is on line 2)",
    )


def test_unknown_emotipal_tags_and_other_action_tags_are_reported() -> None:
    result = import_dictionary(csv_text(good_row(annotation="@HIDDEN @EMOTIPAL-FUTURE @EMOTIPAL-RISK")))
    assert result.definitions[0]["items"][0]["risk"] is True
    assert (
        "line 2, field 'mood': unknown tag @EMOTIPAL-FUTURE ignored (made by a newer EmotiPal?)"
        in result.report
    )
    assert (
        "line 2, field 'mood': field annotation '@HIDDEN' dropped (REDCap action tags are not supported)"
        in (result.report)
    )


def test_rows_with_the_wrong_number_of_cells() -> None:
    short = csv_text(good_row()) + "sleep,wellbeing,,radio,Sleep\r\n"
    raises(short, "line 3: 5 cells where REDCap has 18 columns", "column F")
    extra = csv_text([*good_row(), "oops"])
    raises(extra, "line 2, column S: a value beyond REDCap's 18 columns ('oops')")
    trailing = csv_text([*good_row(), "", ""])
    assert import_dictionary(trailing).definitions


def test_broken_csv_quoting() -> None:
    stray = csv_text(good_row()) + 'sleep,wellbeing,,radio,"Sleep" well,"0, a | 1, b",,,,,,,,,,,,\r\n'
    raises(stray, "line 3: not valid CSV")
    unclosed = csv_text(good_row(label="Mood,\nthis week")) + 'sleep,wellbeing,,radio,"Sleep,,,,\r\nmore\r\n'
    raises(unclosed, "line 3 (text line 4): not valid CSV (unexpected end of data)")


def test_fields_of_a_form_must_be_together() -> None:
    raises(
        csv_text(good_row(), good_row("sleep", form="other"), good_row("energy")),
        "line 4, column B (Form Name): the fields of form 'wellbeing' must be together",
    )


def test_every_problem_is_named_and_nothing_is_imported() -> None:
    error = raises(
        csv_text(good_row(), good_row("Bad"), good_row("sleep", type="radioo"), good_row("mood")),
        "3 problems",
        "line 3, column A",
        "line 4, column D",
        "line 5, column A",
    )
    assert len(error.problems) == 3


def test_a_definition_that_breaks_emotipal_rules_is_refused() -> None:
    meta = '@EMOTIPAL-INSTRUMENT={"name":"X","scoring":{"items":["missing"]}}'
    raises(
        csv_text(good_row(annotation=meta)),
        "line 2, column B (Form Name): form 'wellbeing' does not make a valid EmotiPal instrument",
        "unknown item 'missing'",
    )


# --- round trip of generated definitions ----------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=40)
LABEL_TEXT = TEXT.filter(lambda text: text.strip() != "")
CODES = st.one_of(
    st.integers(-5, 20),
    st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,3}", fullmatch=True),
)


@st.composite
def generated_items(draw: st.DrawFn, index: int) -> dict[str, Any]:
    item_type = draw(
        st.sampled_from(
            ["choice", "multi_choice", "scale", "number", "short_text", "long_text", "descriptive"]
        )
    )
    item: dict[str, Any] = {
        "id": f"item_{index}",
        "type": item_type,
        "text": draw(TEXT.filter(lambda t: t.strip())),
    }
    if item_type in ("choice", "multi_choice") and draw(st.booleans()):
        values = draw(st.lists(CODES, min_size=2, max_size=5, unique_by=str))
        item["options"] = [{"value": value, "label": draw(LABEL_TEXT)} for value in values]
    if item_type == "scale":
        lo = draw(st.integers(-10, 10))
        hi = draw(st.integers(lo + 1, lo + 20))
        item["min"], item["max"] = lo, hi
        if draw(st.booleans()):
            keys = draw(st.lists(st.integers(lo, hi), max_size=4, unique=True))
            item["anchors"] = {key: draw(LABEL_TEXT) for key in keys}
    if item_type == "number":
        number = st.one_of(st.integers(-100, 100), st.floats(-100, 100, allow_nan=False))
        bounds = sorted(draw(st.lists(number, max_size=2)))
        for bound, value in zip(draw(st.sampled_from([("min", "max"), ("max",)])), bounds, strict=False):
            item[bound] = value
    for key in ("section", "loinc"):
        if draw(st.booleans()):
            item[key] = draw(TEXT)
    for key in ("required", "reverse", "risk"):
        if draw(st.booleans()):
            item[key] = draw(st.booleans())
    return item


@st.composite
def generated_definitions(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 6))
    items = [draw(generated_items(index)) for index in range(count)]
    definition: dict[str, Any] = {"key": "generated", "name": draw(TEXT), "items": items}
    if draw(st.booleans()):
        values = draw(st.lists(CODES, min_size=2, max_size=4, unique_by=str))
        definition["options"] = [{"value": value, "label": draw(LABEL_TEXT)} for value in values]
    else:
        for item in items:
            if item["type"] in ("choice", "multi_choice") and "options" not in item:
                item["options"] = [{"value": 0, "label": "No"}, {"value": 1, "label": "Yes"}]
    if draw(st.booleans()):
        definition["preamble"] = draw(TEXT)
    return definition


@settings(max_examples=150, deadline=None)
@given(generated_definitions())
def test_round_trip_of_generated_definitions(definition: dict[str, Any]) -> None:
    check_definition(definition)
    result = import_dictionary(export_dictionary(definition))
    assert result.definitions == [definition]
    assert result.report == []
