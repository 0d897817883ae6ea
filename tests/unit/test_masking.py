"""masking.py: known secrets replaced wherever they occur, also when a stream splits them."""

from __future__ import annotations

from pytest_agentbench import masking

KEY = "sk-unit-test-0123456789abcdef"


def test_secrets_of_the_environment_and_declared_ones_are_masked_in_nested_data(monkeypatch):
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", KEY)
    monkeypatch.setenv("PLAIN_SETTING", "plain-value-123")
    monkeypatch.setattr(masking, "_declared", {})  # this test's declared secret stays in this test
    masking.remember({"CREDENTIAL": "declared-secret-42"})
    data = {"a": f"key={KEY}", "b": [b"declared-secret-42", ("plain-value-123",)], KEY: 1}
    assert masking.mask(data) == {"a": "key=[masked SOME_PROVIDER_API_KEY]",
                                  "b": [b"[masked CREDENTIAL]", ("plain-value-123",)],
                                  "[masked SOME_PROVIDER_API_KEY]": 1}


def test_a_secret_split_between_chunks_is_masked(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    text = f"start {KEY} middle {KEY}".encode()
    for size in (1, 3, 7, len(text)):
        out: list[bytes] = []
        stream = masking.StreamMask(out.append)
        for i in range(0, len(text), size):
            stream.write(text[i:i + size])
        stream.close()
        assert b"".join(out) == b"start [masked OPENAI_API_KEY] middle [masked OPENAI_API_KEY]"


def test_short_values_are_not_secrets(monkeypatch):
    monkeypatch.setenv("DEBUG_TOKEN", "1")
    assert masking.mask("1 + 1") == "1 + 1"


def test_a_stream_holds_back_only_what_could_begin_a_secret(monkeypatch):
    # `tail -f agent.log` shows the agent's last line while it sleeps: only a possible secret's start waits.
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OTHER_TOKEN", KEY + "-longer")
    out: list[bytes] = []
    stream = masking.StreamMask(out.append)
    stream.write(b"ANSWER 200\n")
    assert out == [b"ANSWER 200\n"]
    stream.write(b"key: sk-unit")  # may be the key's start: waits
    assert b"".join(out) == b"ANSWER 200\nkey: "
    stream.write(KEY[len("sk-unit"):].encode())  # the key, whole, may still grow into the longer secret
    assert b"".join(out) == b"ANSWER 200\nkey: "
    stream.write(b"-longer and on\n")
    stream.close()
    assert b"".join(out) == b"ANSWER 200\nkey: [masked OTHER_TOKEN] and on\n"
