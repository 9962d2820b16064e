"""How many sessions of a run say what synth.py's truth file says, field for field.

A truth line is written as the JSON line must say it, so a session agrees when every field of
its truth line has the same value in the session's line. Sessions are matched by client and
ports (by ports alone for an older truth file without a client, which held only the version).
"""
import json

def key(line, with_client):
    return (line["client"] if with_client else None, line["client_port"], line["server_port"])

def load(truth_path):
    """The truth lines by key, and whether they name the client."""
    lines = [json.loads(line) for line in open(truth_path)]
    with_client = bool(lines) and "client" in lines[0]
    return {key(line, with_client): line for line in lines}, with_client

def agrees(session, want):
    return want is not None and all(session.get(field) == value for field, value in want.items())

def count(truth_path, sessions_path):
    """(sessions that agree, sessions the truth has not, sessions in the truth): each session
    line counts, so a capture replayed several times agrees that many times over."""
    truth, with_client = load(truth_path)
    agree = unknown = 0
    for session in map(json.loads, open(sessions_path)):
        want = truth.get(key(session, with_client))
        agree += agrees(session, want)
        unknown += want is None
    return agree, unknown, len(truth)
