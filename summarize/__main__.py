import sys

try:
    from ._cli import run

    run()  # inside: an interrupt before run's own handling starts is still one line
except KeyboardInterrupt:  # Ctrl-C while the interpreter is still importing: no traceback
    sys.stderr.write("summarize: error: interrupted; no partial outputs were left behind\n")
    raise SystemExit(130) from None
