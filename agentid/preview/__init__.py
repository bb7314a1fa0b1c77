"""`agentid preview`: the offline pull-request gate.

The stack's Pulumi program runs under mocks in a child process
(`program.py`); every resource it registers goes through each policy pack over
the analyzer gRPC protocol (`analysis.py`); the verdict is rendered for a
terminal (`report.py`), as JSON, SARIF 2.1.0 (`sarif.py`) and JUnit XML
(`junit.py`). `runner.py` ties the steps together and decides the exit code.
"""
