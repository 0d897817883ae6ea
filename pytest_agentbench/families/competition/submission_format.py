"""Is a submission CSV well-formed, compared with the competition's sample submission?

The same checks serve three places, so that they always agree:
- the harness, before a grader sees a submission (`check_submission`);
- the graders, on the DataFrames they are given (`validate_frame`);
- the validation server an agent may call while it works (`python3 submission_format.py --sample ...`):
  `POST /validate` answers only "valid" or "invalid" with the problems, never a score.

Standard library only: this one file is copied into a small sidecar container that has Debian's python3
and nothing else.

What makes a submission valid: a UTF-8 CSV with the sample's columns (any order, each once), one row per
id of the sample and no other, no empty or NaN cells (pandas' NaN spellings count as NaN), and a finite
number wherever the sample's column holds numbers.
"""

from __future__ import annotations

import argparse
import csv
import email.parser
import email.policy
import io
import math
import sys
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

# pandas' default NaN spellings: a grader reading the file with pandas sees these cells as missing.
NAN_TOKENS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})
EXAMPLES = 3  # how many offending ids/rows a problem names; enough to find them, short enough to read
MAX_BODY = 256 * 1024 * 1024  # the validation server refuses larger uploads


class InvalidSubmissionError(Exception):
    """The submission is malformed: the agent's fault, scored as no valid submission."""


class Table(NamedTuple):
    header: list[str]
    rows: list[list[str]]


# --- reading -------------------------------------------------------------------------------------

def parse_csv(text: str) -> Table:
    """A CSV text as a header and rows of strings; raises InvalidSubmissionError if it is not one."""
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]  # pandas skips blank lines too
    except csv.Error as e:
        raise InvalidSubmissionError(f"not a valid CSV file: {e}") from None
    if not records:
        raise InvalidSubmissionError("the file is empty")
    return Table(records[0], records[1:])


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # tolerate the byte-order mark that spreadsheet programs write
    except UnicodeDecodeError as e:
        raise InvalidSubmissionError(f"not UTF-8 text (byte {e.start} is {data[e.start:e.start + 1]!r})") from None


def read_table(path: str | Path) -> Table:
    """Read a CSV file; any problem (missing, unreadable, not a CSV) raises InvalidSubmissionError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidSubmissionError(f"file not found: {path}") from None
    except OSError as e:
        raise InvalidSubmissionError(f"cannot read {path}: {e.strerror or e}") from None
    return parse_csv(decode(data))


def read_sample(path: str | Path, id_column: str) -> Table:
    """The competition's sample submission. A broken one is the harness's fault: ValueError."""
    try:
        sample = read_table(path)
    except InvalidSubmissionError as e:
        raise ValueError(f"sample submission {path}: {e}") from None
    if id_column not in sample.header:
        raise ValueError(f"sample submission {path} has no id column {id_column!r} (columns: {sample.header})")
    return sample


# --- checking ------------------------------------------------------------------------------------

def check_submission(submission_path: str | Path, sample_submission_path: str | Path, id_column: str) -> list[str]:
    """Human-readable problems of a submission file (empty list: valid)."""
    sample = read_sample(sample_submission_path, id_column)
    try:
        table = read_table(submission_path)
    except InvalidSubmissionError as e:
        return [str(e)]
    return check_table(table, sample, id_column)


def check_bytes(data: bytes, sample: Table, id_column: str) -> list[str]:
    """Problems of a submission given as the bytes of a CSV file."""
    try:
        table = parse_csv(decode(data))
    except InvalidSubmissionError as e:
        return [str(e)]
    return check_table(table, sample, id_column)


def check_table(table: Table, sample: Table, id_column: str) -> list[str]:
    """Problems of a parsed submission compared with the parsed sample submission."""
    problems = _header_problems(table.header, sample.header)
    if problems:
        return problems  # with the wrong columns, every row-level message would be noise
    width = len(table.header)
    for number, row in enumerate(table.rows, start=1):
        if len(row) != width:
            return problems + [f"data row {number} has {len(row)} fields, the header has {width}"]

    if len(table.rows) != len(sample.rows):
        problems.append(f"{len(table.rows)} data rows, expected {len(sample.rows)} (one per id of the sample)")
    problems += _id_problems(table, sample, id_column)
    problems += _cell_problems(table, sample, id_column)
    return problems


def frame_problems(submission: Any, reference: Any, id_column: str) -> list[str]:
    """`check_table` for two pandas DataFrames (the submission, and the answers or sample it must match)."""
    return check_table(_frame_table(submission), _frame_table(reference), id_column)


def validate_frame(submission: Any, reference: Any, id_column: str) -> None:
    """For graders: raise InvalidSubmissionError listing the problems, if there are any."""
    problems = frame_problems(submission, reference, id_column)
    if problems:
        raise InvalidSubmissionError(summarize(problems))


def summarize(problems: list[str], most: int = 5) -> str:
    text = "; ".join(problems[:most])
    return text + (f" (and {len(problems) - most} more)" if len(problems) > most else "")


def _header_problems(header: list[str], expected: list[str]) -> list[str]:
    problems = []
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        problems.append(f"columns appear more than once: {repeated}")
    missing = [c for c in expected if c not in header]
    if missing:
        problems.append(f"missing columns {missing} (the sample submission has {expected})")
    extra = [c for c in header if c not in expected]
    if extra:
        problems.append(f"unexpected columns {extra} (the sample submission has {expected})")
    return problems


def _id_problems(table: Table, sample: Table, id_column: str) -> list[str]:
    ids = [row[table.header.index(id_column)] for row in table.rows]
    expected = {row[sample.header.index(id_column)] for row in sample.rows}
    problems = []
    duplicates = [i for i, count in Counter(ids).items() if count > 1]
    if duplicates:
        problems.append(f"{len(duplicates)} ids appear more than once, e.g. {_examples(duplicates)}")
    missing = expected - set(ids)
    if missing:
        problems.append(f"{len(missing)} ids of the sample are missing, e.g. {_examples(missing)}")
    extra = set(ids) - expected - NAN_TOKENS  # empty ids are reported with the other empty cells
    if extra:
        problems.append(f"{len(extra)} ids are not in the sample, e.g. {_examples(extra)}")
    return problems


def _cell_problems(table: Table, sample: Table, id_column: str) -> list[str]:
    problems = []
    for column in sample.header:
        at = table.header.index(column)
        values = [row[at] for row in table.rows]
        empty = [n for n, v in enumerate(values, start=1) if v.strip() in NAN_TOKENS]
        if empty:
            problems.append(f"column {column!r} has {len(empty)} empty or NaN cells (data rows {_examples(empty)})")
        if column == id_column or not _is_numeric_column(sample, column):
            continue
        bad = [(n, v) for n, v in enumerate(values, start=1) if v.strip() not in NAN_TOKENS and not _is_number(v)]
        if bad:
            shown = ", ".join(f"row {n}: {v!r}" for n, v in bad[:EXAMPLES])
            problems.append(f"column {column!r} must hold finite numbers; {len(bad)} cells do not ({shown})")
    return problems


def _is_numeric_column(sample: Table, column: str) -> bool:
    at = sample.header.index(column)
    values = [row[at] for row in sample.rows if row[at].strip() not in NAN_TOKENS]
    return bool(values) and all(_is_number(v) for v in values)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _examples(items: Any) -> str:
    items = sorted(items, key=lambda x: (len(str(x)), str(x)))
    return ", ".join(repr(i) if isinstance(i, str) else str(i) for i in items[:EXAMPLES])


def _frame_table(frame: Any) -> Table:
    # Duck-typed so this module never imports pandas.
    header = [str(c) for c in frame.columns]
    return Table(header, [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    try:
        if value != value:  # NaN, NaT
            return ""
    except TypeError:  # pandas.NA refuses to be compared: it is missing too
        return ""
    return str(value)


# --- the validation server -----------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    server: "ValidationServer"

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/health":
            self._reply(200, "ok")
        else:
            self._reply(404, "not found: use POST /validate or GET /health")

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/validate":
            self._reply(404, "not found: use POST /validate or GET /health")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._reply(411, "send the submission CSV as the request body, with a Content-Length")
            return
        if length > MAX_BODY:
            self._reply(413, f"submission too large ({length} bytes; at most {MAX_BODY})")
            return
        body = _file_from_body(self.rfile.read(length), self.headers.get("Content-Type", ""))
        problems = check_bytes(body, self.server.sample, self.server.id_column)
        if problems:
            self._reply(400, f"Submission is invalid: {summarize(problems)}")
        else:
            self._reply(200, "Submission is valid.")

    def _reply(self, status: int, text: str) -> None:
        data = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _file_from_body(body: bytes, content_type: str) -> bytes:
    """The CSV in a request: the raw body, or the first file of a form upload (`curl -F file=@sub.csv`)."""
    if not content_type.lower().startswith("multipart/form-data"):
        return body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if payload is not None:
            return payload
    return b""


class ValidationServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sample: Table, id_column: str):
        super().__init__(address, _Handler)
        self.sample, self.id_column = sample, id_column


def make_server(sample_path: str | Path, id_column: str, host: str = "0.0.0.0", port: int = 5000) -> ValidationServer:
    """A validation server bound to (host, port); port 0 picks a free one (see `server_address`)."""
    return ValidationServer((host, port), read_sample(sample_path, id_column), id_column)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve POST /validate (a submission CSV as the body) and GET /health.")
    parser.add_argument("--sample", required=True, help="the competition's sample_submission.csv")
    parser.add_argument("--id-column", required=True, help="the column that names each row, e.g. id")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--host", default="0.0.0.0")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.sample, args.id_column, args.host, args.port)
    except (ValueError, OSError) as e:
        print(f"cannot start the validation server: {e}", file=sys.stderr)
        return 2
    print(f"validating against {args.sample} on {args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
