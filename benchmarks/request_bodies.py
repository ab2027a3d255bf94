"""What checking a request body against its documented schema costs the answer call.

Every API body passes ``piaa.request_bodies`` before its view runs; the candidate's answer
(PUT /attempts/{id}/responses/{ref}) is the hottest call of the service (about 250 a second
per 2 cores at the national peak), so its check must stay far below 0.1 ms. Times the check
of each documented answer shape (and of a full batch of 100 queued answers) with the
compiled validator the service uses (jsonschema-rs) and, as the named peer, with jsonschema
(the pure-Python validator, which the service runs only to explain a refusal). Prints the
median of RUNS rounds in microseconds per check and the ratio peer / ours.

    python benchmarks/request_bodies.py [RUNS=7] [NUMBER=2000]
"""
from __future__ import annotations

import statistics
import sys
import timeit

ANSWERS = {"option id": "B", "option ids": ["A", "B", "D"], "true/false": True, "numeric": 30,
           "text": "Section Officer", "matching pairs": [["S1", "T2"], ["S2", "T1"], ["S3", "T3"]],
           "composite": {"R1": "A", "R2": ["B", "C"]}, "cleared": None}


def _schemas():
    from piaa import create_app
    from piaa.api import openapi_document

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "RATELIMIT_ENABLED": False, "PIAA_REDIS_URL": None})
    with app.app_context():
        paths = openapi_document(app)["paths"]

    def body(path: str, method: str) -> dict:
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]

    return body("/attempts/{attempt_id}/responses/{ref}", "put"), body("/attempts/{attempt_id}/responses", "post")


def _median_us(check, body, runs: int, number: int) -> float:
    return statistics.median(timeit.repeat(lambda: check(body), number=number, repeat=runs)) / number * 1e6


def main(runs: int = 7, number: int = 2000) -> None:
    from jsonschema import Draft202012Validator

    from piaa.request_bodies import _FORMAT_CHECKER, BodySchema, json_schema

    one, batch = _schemas()
    cases = [(f"answer: {name}", one, {"answer": answer, "seq": 12, "next": True}) for name, answer in ANSWERS.items()]
    cases.append(("batch of 100 answers", batch,
                  {"answers": [{"ref": f"i{n}", "answer": "B", "seq": n + 1} for n in range(100)], "next": "i99"}))
    print(f"{'body':<28} {'ours (us)':>10} {'jsonschema (us)':>16} {'ratio':>7}")
    for label, schema, body in cases:
        ours = BodySchema(schema)
        ours.check(body)  # compiled once, as in the service
        peer = Draft202012Validator(json_schema(schema), format_checker=_FORMAT_CHECKER)
        assert peer.is_valid(body)
        fast = _median_us(ours.check, body, runs, number)
        slow = _median_us(peer.is_valid, body, runs, max(number // 10, 50))
        print(f"{label:<28} {fast:>10.2f} {slow:>16.1f} {slow / fast:>7.0f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
