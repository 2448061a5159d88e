"""The README's demo: `dia3 serve --solution` with no API key, then the guide's curl sequence."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from dia3.mockllm import reply_text
from dia3.sse import parse


def curl(*args: str) -> str:
    return subprocess.run(["curl", "-s", *args], capture_output=True, text=True, encoding="utf-8", timeout=30, check=True).stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl não instalado")
def test_curl_sequence_from_the_guide_works_without_a_key(demo_url):
    login = curl("-X", "POST", f"{demo_url}/login", "-H", "Content-Type: application/json",
                 "-d", '{"username":"admin","password":"admin123"}')
    token = json.loads(login)["access_token"]
    auth = ["-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json"]
    prompt = "Explique SSE em 3 bullets"

    generated = curl("-N", "-X", "POST", f"{demo_url}/api/generate", *auth, "-d", json.dumps({"prompt": prompt}))
    events, _ = parse(generated)
    assert "".join(e.data for e in events[:-1]) == reply_text(prompt) and events[-1].data == "[DONE]"

    streamed = curl("-N", "-X", "POST", f"{demo_url}/chat", *auth, "-d", json.dumps({"prompt": prompt, "stream": True}))
    assert parse(streamed)[0][-1].data == "[DONE]"

    single = curl("-X", "POST", f"{demo_url}/chat", *auth, "-d", json.dumps({"prompt": prompt}))
    assert json.loads(single) == {"response": reply_text(prompt)}

    assert curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", f"{demo_url}/api/generate",
                "-H", "Content-Type: application/json", "-d", '{"prompt":"x"}') == "401"


def test_a_huge_invalid_prompt_is_refused_without_being_echoed(demo_url):
    """The reference's 422 says what was invalid without sending the megabytes back."""
    import httpx

    with httpx.Client(base_url=demo_url, trust_env=False, timeout=30) as client:
        token = client.post("/login", json={"username": "admin", "password": "admin123"}).json()["access_token"]
        resp = client.post("/api/generate", json={"prompt": "x" * 2_000_000}, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 422
        assert len(resp.content) < 2000 and resp.json()["detail"][0]["type"] == "string_too_long"
        long_password = client.post("/login", json={"username": "admin", "password": "ç" * 100})
        assert long_password.status_code == 401  # bcrypt 5 raises past 72 bytes: the reference cuts, never 500
