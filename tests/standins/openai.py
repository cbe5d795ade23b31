"""A loopback stand-in for an OpenAI-compatible endpoint: the real `openai` client talks to it
over HTTP; each answer can be scripted (status, body, headers, delay).

As strict as the real ones about structured outputs: OpenAI refuses (400) a strict JSON
schema in which an object does not require every property or allows others, or that uses a
keyword strict mode does not support (string and array lengths, patterns, formats, defaults;
its "Structured Outputs: supported schemas"). Many OpenAI-compatible servers take no JSON
schema at all and answer 400 to one (`structured = False`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.standins.http import Loopback, Quiet, reply_json

Json = dict[str, Any]


def completion(content: str, tokens: int = 42) -> Json:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": tokens - 10, "completion_tokens": 10, "total_tokens": tokens},
    }


@dataclass
class Answer:
    body: Json
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Not answered until set: a model still thinking.
    hold: threading.Event | None = None


def model_says(payload: Json | str, **kw: Any) -> Answer:
    return Answer(completion(payload if isinstance(payload, str) else json.dumps(payload)), **kw)


def failure(status: int, **kw: Any) -> Answer:
    return Answer(
        {"error": {"message": "nope", "type": "server_error"}},
        status=status,
        headers={"retry-after-ms": "10"},
        **kw,
    )


REFUSED_IN_STRICT = {
    "default",
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "pattern",
    "format",
}


def schema_problem(node: Any, where: str = "root") -> str | None:
    """Why OpenAI would refuse this schema in strict mode, or None."""
    if isinstance(node, list):
        return next((p for n in node if (p := schema_problem(n, where))), None)
    if not isinstance(node, dict):
        return None
    refused = REFUSED_IN_STRICT & set(node)
    if refused:
        return f"Invalid schema: In context={where}, '{sorted(refused)[0]}' is not permitted."
    if "properties" in node:
        if node.get("additionalProperties") is not False:
            return f"Invalid schema: In context={where}, 'additionalProperties' is required to be supplied and to be false."
        if set(node.get("required", [])) != set(node["properties"]):
            return f"Invalid schema: In context={where}, 'required' is required to be supplied and to be an array including every key in properties."
        for name, value in node["properties"].items():
            if problem := schema_problem(value, f"{where}.{name}"):
                return problem
    for key in ("items", "anyOf", "$defs"):
        child = node.get(key)
        values = child.values() if isinstance(child, dict) and key == "$defs" else [child]
        for value in values:
            if problem := schema_problem(value, f"{where}.{key}"):
                return problem
    return None


@dataclass
class OpenAIStandIn(Loopback):
    answers: list[Answer] = field(default_factory=list)
    # Answers a request when no queued answer is left: a model that reads the prompt.
    respond: Callable[[Json], Answer] | None = None
    requests: list[Json] = field(default_factory=list)
    structured: bool = True  # takes response_format json_schema
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        standin = self

        class Handler(Quiet):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                refusal = standin.refuse(body)
                if refusal:
                    with standin._lock:
                        standin.requests.append(body)
                    reply_json(self, 400, refusal)
                    return
                with standin._lock:
                    standin.requests.append(body)
                    if standin.answers:
                        answer = standin.answers.pop(0)
                    elif standin.respond is not None:
                        answer = standin.respond(body)
                    else:
                        answer = model_says({"ask": False})
                time.sleep(answer.delay)
                if answer.hold is not None:
                    answer.hold.wait(timeout=30)
                reply_json(self, answer.status, answer.body, answer.headers)

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    def refuse(self, body: Json) -> Json | None:
        wanted = body.get("response_format") or {}
        if wanted.get("type") != "json_schema":
            return None
        problem = (
            "response_format type 'json_schema' is not supported by this server"
            if not self.structured
            else schema_problem(wanted.get("json_schema", {}).get("schema", {}))
        )
        if problem is None:
            return None
        return {
            "error": {
                "message": problem,
                "type": "invalid_request_error",
                "param": "response_format",
            }
        }

    def prompt(self, n: int = -1) -> str:
        return "\n".join(m["content"] for m in self.requests[n]["messages"])
