"""The README's Python examples run as written (the Python section's code blocks, in order, in
one namespace, as a reader pastes them)."""

import os
import re

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def python_section_blocks():
    with open(README) as f:
        text = f.read()
    start = text.index("## Python: ")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], re.S)


def test_the_readmes_python_examples_run(capsys):
    blocks = python_section_blocks()
    assert len(blocks) == 2
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.startswith("24.7041 138.8338 645.5773\n")
    assert "digraph {" in printed and "backward pass 1" in printed
