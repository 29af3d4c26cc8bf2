"""The OpenAPI document lists, for every operation, each error answer it can give, with the one error body
(ErrorOut): what a client of the API codes against, and what `make fuzz` holds the server to (a status the
document does not list fails there). Checked on the generated document, so a new operation is held to it too."""

from __future__ import annotations

from typing import Any

from emotipal.api import api
from emotipal.platform.api import ERRORS
from tests.test_permission_matrix import API_ROWS

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="")
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def documented(operation: dict[str, Any]) -> set[int]:
    return {int(code) for code in operation["responses"]}


def label(method: str, path: str) -> str:
    return f"{method} {path}"


def test_every_operation_documents_the_answers_of_the_layers_before_it() -> None:
    # input rules (400), authentication (401), the role, MFA and CSRF checks (403), the throttles (429)
    missing = [
        f"{label(m, p)}: {code}"
        for m, p, op in operations()
        for code in (400, 401, 403, 429)
        if code not in documented(op)
    ]
    assert missing == []


def test_operations_on_an_object_in_the_path_document_404_and_those_with_input_422() -> None:
    missing = []
    for method, path, operation in operations():
        parameters = operation.get("parameters", [])
        if any(p["in"] == "path" for p in parameters) and 404 not in documented(operation):
            missing.append(f"{label(method, path)}: 404")
        if (parameters or "requestBody" in operation) and 422 not in documented(operation):
            missing.append(f"{label(method, path)}: 422")
    assert missing == []
    # and the operations without any input document no 422 they could never give
    assert 422 not in documented(operations_by_label()["GET /me"])


def operations_by_label() -> dict[str, dict[str, Any]]:
    return {label(m, p): op for m, p, op in operations()}


def test_every_error_answer_has_the_one_error_body_and_a_description_of_its_own() -> None:
    for method, path, operation in operations():
        for code, answer in operation["responses"].items():
            if int(code) < 400:
                continue
            assert int(code) in ERRORS, f"{label(method, path)}: {code} is not described in platform/api.py"
            assert answer["content"] == ERROR_BODY, label(method, path)
            assert answer["description"] == ERRORS[int(code)]
    assert set(ERRORS) == {400, 401, 403, 404, 409, 422, 429}


def test_a_429_says_when_to_try_again() -> None:
    for method, path, operation in operations():
        header = operation["responses"]["429"]["headers"]["Retry-After"]
        assert header["required"] is True and header["schema"]["type"] == "integer", label(method, path)


def test_each_status_the_permission_matrix_sees_is_documented() -> None:
    """tests/test_permission_matrix.py::test_api makes each operation's request as every kind of user and
    asserts the status; each of those statuses must be in that operation's documented answers."""
    by_label = operations_by_label()
    assert set(by_label) == {label(m, p) for m, p in API_ROWS}
    undocumented = [
        f"{label(m, p)}: {status}"
        for (m, p), row in API_ROWS.items()
        for status in sorted(set(row.expect.values()))
        if status not in documented(by_label[label(m, p)])
    ]
    assert undocumented == []
