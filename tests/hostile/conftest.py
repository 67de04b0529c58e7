"""The hostile-input suite's report: the slowest request it sent, beside the run's summary."""


def pytest_terminal_summary(terminalreporter):
    worst = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == "hostile_worst":
                    worst.append(value)
    if worst:
        seconds, operation, payload, status = max(worst)
        terminalreporter.write_line(
            f"hostile input: {len(worst)} operations; slowest request {seconds:.3f} s "
            f"({operation}, {payload}, answered {status})"
        )
