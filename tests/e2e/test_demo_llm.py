"""`exitbot demo` with an LLM: OPENAI_BASE_URL points the real client at a loopback stand-in."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.e2e.cli import exitbot
from tests.standins.openai import OpenAIStandIn, failure, model_says


def demo(
    tmp_path: Path, llm: OpenAIStandIn, answers: list[str]
) -> subprocess.CompletedProcess[str]:
    return exitbot(
        "demo",
        cwd=tmp_path,
        stdin="\n".join(answers) + "\n",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=llm.url,
        EXITBOT_LLM_MODEL="local-model",
        EXITBOT_LLM_TIMEOUT="2",
    )


def test_the_model_asks_the_follow_up_and_writes_the_summary(
    tmp_path: Path, llm: OpenAIStandIn
) -> None:
    llm.answers += [
        model_says(
            {"ask": True, "question": "What would a fair promotion process have looked like?"}
        ),
        failure(500),
        failure(500),
        failure(500),  # the next decision: the model is down, offline rules stand in
    ]
    answers = [
        "1",
        "I was passed over twice.",
        "Written criteria, and someone to own them.",
        "stop",
    ]
    result = demo(tmp_path, llm, answers)
    assert result.returncode == 0, result.stderr
    assert "What would a fair promotion process have looked like?" in result.stdout
    assert all(r["model"] == "local-model" for r in llm.requests)
    engine = create_engine(f"sqlite:///{tmp_path / 'exitbot-demo.db'}")
    with engine.connect() as connection:
        calls, tokens = connection.execute(
            text("SELECT llm_calls, llm_tokens FROM interviews")
        ).one()
        followup = connection.execute(
            text("SELECT followup_answer FROM answers WHERE question_id = 'trigger'")
        ).scalar_one()
    engine.dispose()
    assert followup == "Written criteria, and someone to own them."
    assert calls >= 1 and tokens >= 42
    summary_prompt = json.dumps(llm.requests[-1])
    assert "I was passed over twice." in summary_prompt
