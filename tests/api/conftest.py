import sys


def pytest_terminal_summary(terminalreporter):
    """How many requests schemathesis sent, per method and path (the generated cases and its coverage phase)."""
    module = sys.modules.get("tests.api.test_openapi_conformance")
    sent = getattr(module, "SENT", None)
    if sent:
        terminalreporter.write_line(
            f"schemathesis: {sent.total()} requests; "
            + ", ".join(f"{name} {n}" for name, n in sorted(sent.items()) if n > 1)
        )
