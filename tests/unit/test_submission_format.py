"""Submission checks (pytest_agentbench.families.competition.submission_format) and its validation server, for real over HTTP."""

import http.client
import threading

import pandas as pd
import pytest

from support import http_request
from pytest_agentbench.families.competition import submission_format
from pytest_agentbench.families.competition.submission_format import (
    InvalidSubmissionError, check_submission, make_server, validate_frame,
)

SAMPLE = "id,label,p\n1,cat,0.5\n2,cat,0.5\n3,cat,0.5\n"


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample_submission.csv"
    path.write_text(SAMPLE)
    return path


def problems_of(tmp_path, sample, content, name="submission.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return check_submission(path, sample, "id")


def test_the_sample_itself_is_valid(sample):
    assert check_submission(sample, sample, "id") == []


@pytest.mark.parametrize("content", [
    "label,p,id\ndog,0.1,3\ncat,1,1\nbird,0,2\n",  # columns and rows in another order
    "\ufeffid,label,p\n1,dog,1e-3\n2,cat,0.5\n3,x,1\n",  # a byte-order mark, text labels, exponents
    "id,label,p\n1,dog,0.2\n2,cat,0.5\n3,x,1\n\n",  # a trailing blank line
])
def test_valid_variants(tmp_path, sample, content):
    assert problems_of(tmp_path, sample, content) == []


@pytest.mark.parametrize("content, expected", [
    ("", "the file is empty"),
    (b"\xff\xfe\x00\x01garbage", "not UTF-8"),
    ("id,label\n1,cat\n2,cat\n3,cat\n", "missing columns ['p']"),
    ("id,label,p,extra\n1,cat,0.5,1\n2,cat,0.5,1\n3,cat,0.5,1\n", "unexpected columns ['extra']"),
    ("id,label,p,p\n1,cat,0.5,1\n2,cat,0.5,1\n3,cat,0.5,1\n", "columns appear more than once: ['p']"),
    ("id,label,p\n1,cat,0.5\n2,cat\n3,cat,0.5\n", "data row 2 has 2 fields, the header has 3"),
    ("id,label,p\n1,cat,0.5\n2,cat,0.5\n", "2 data rows, expected 3"),
    ("id,label,p\n1,cat,0.5\n2,cat,0.5\n4,cat,0.5\n", "1 ids of the sample are missing, e.g. '3'"),
    ("id,label,p\n1,cat,0.5\n2,cat,0.5\n4,cat,0.5\n", "1 ids are not in the sample, e.g. '4'"),
    ("id,label,p\n1,cat,0.5\n2,cat,0.5\n2,cat,0.5\n", "1 ids appear more than once, e.g. '2'"),
    ("id,label,p\n1,cat,high\n2,cat,0.5\n3,cat,0.5\n", "column 'p' must hold finite numbers; 1 cells do not (row 1: 'high')"),
    ("id,label,p\n1,cat,inf\n2,cat,0.5\n3,cat,0.5\n", "column 'p' must hold finite numbers"),
    ("id,label,p\n1,cat,NaN\n2,cat,\n3,cat,0.5\n", "column 'p' has 2 empty or NaN cells (data rows 1, 2)"),
    ("id,label,p\n1,NA,0.5\n2,cat,0.5\n3,cat,0.5\n", "column 'label' has 1 empty or NaN cells"),
    ('id,label,p\n1,"cat,0.5\n2,cat,0.5\n', "fields"),  # an unclosed quote swallows the rest
])
def test_problems_are_named(tmp_path, sample, content, expected):
    problems = problems_of(tmp_path, sample, content)
    assert any(expected in p for p in problems), problems


def test_missing_and_unreadable_files(tmp_path, sample):
    assert check_submission(tmp_path / "nope.csv", sample, "id") == [f"file not found: {tmp_path / 'nope.csv'}"]
    (tmp_path / "folder.csv").mkdir()
    assert check_submission(tmp_path / "folder.csv", sample, "id")[0].startswith("cannot read")


def test_a_broken_sample_is_the_harness_fault(tmp_path, sample):
    with pytest.raises(ValueError, match="no id column 'key'"):
        check_submission(sample, sample, "key")
    with pytest.raises(ValueError, match="sample submission .*file not found"):
        check_submission(sample, tmp_path / "missing.csv", "id")


def test_validate_frame_on_dataframes():
    reference = pd.DataFrame({"id": [1, 2, 3], "label": ["a", "b", "c"], "p": [0.1, 0.2, 0.3]})
    validate_frame(reference.iloc[::-1], reference, "id")  # order does not matter
    for bad, expected in [
        (reference.assign(p=[0.1, float("nan"), 0.3]), "column 'p' has 1 empty or NaN cells"),
        (reference.assign(label=pd.array(["a", pd.NA, "c"], dtype="string")), "column 'label' has 1 empty"),
        (reference.assign(p=["0.1", "x", "0.3"]), "column 'p' must hold finite numbers"),
        (reference.drop(columns="p"), "missing columns ['p']"),
        (reference.assign(id=[1, 2, 7]), "ids are not in the sample"),
    ]:
        with pytest.raises(InvalidSubmissionError, match=expected.replace("[", r"\[").replace("]", r"\]")):
            validate_frame(bad, reference, "id")


# --- the validation server ---------------------------------------------------------------------------

@pytest.fixture
def server(sample):
    server = make_server(sample, "id", host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()



def test_server_health_and_valid_submission(server):
    assert http_request(server + "/health") == (200, "ok\n")
    assert http_request(server + "/validate", SAMPLE.encode()) == (200, "Submission is valid.\n")


def test_server_invalid_submission_says_why_but_gives_no_score(server):
    status, text = http_request(server + "/validate", b"id,label,p\n1,cat,oops\n")
    assert status == 400
    assert text.startswith("Submission is invalid: ")
    assert "2 ids of the sample are missing" in text and "'oops'" in text
    assert "score" not in text.lower()
    assert http_request(server + "/validate", b"") == (400, "Submission is invalid: the file is empty\n")


def test_server_accepts_a_form_upload_like_curl_F(server):
    boundary = "xyzzy"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"submission.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{SAMPLE}\r\n--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    assert http_request(server + "/validate", body, headers) == (200, "Submission is valid.\n")


def test_server_refuses_other_paths_and_bodies_without_length(server):
    assert http_request(server + "/grade", b"x")[0] == 404
    assert http_request(server + "/")[0] == 404
    connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", "/validate")
    connection.endheaders()
    assert connection.getresponse().status == 411


def test_the_server_will_not_start_on_a_broken_sample(tmp_path):
    assert submission_format.main(["--sample", str(tmp_path / "none.csv"), "--id-column", "id"]) == 2
