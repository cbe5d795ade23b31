"""A loopback stand-in for an OpenAI-compatible endpoint: the real `openai` client talks to it
over HTTP; each answer can be scripted (status, body, headers, delay)."""

from __future__ import annotations

import json
import threading
import time
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


@dataclass
class OpenAIStandIn(Loopback):
    answers: list[Answer] = field(default_factory=list)
    requests: list[Json] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        standin = self

        class Handler(Quiet):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with standin._lock:
                    standin.requests.append(body)
                    answer = (
                        standin.answers.pop(0) if standin.answers else model_says({"ask": False})
                    )
                time.sleep(answer.delay)
                if answer.hold is not None:
                    answer.hold.wait(timeout=30)
                reply_json(self, answer.status, answer.body, answer.headers)

        self.serve(Handler)

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    def prompt(self, n: int = -1) -> str:
        return "\n".join(m["content"] for m in self.requests[n]["messages"])
