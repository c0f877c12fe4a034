"""The communication volume notebook, run from top to bottom on a known history.

The notebook runs in a kernel of this very Python (the project's .venv), given a
kernel spec of its own in a temporary Jupyter folder, so that no kernel named
python3 elsewhere on the machine is picked instead. It finds the database the
way the dashboard does, through FLO_COMMS_DATABASE_URL.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from analytics_world import EVENING_TITLE, build_analytics_world
from nbclient import NotebookClient

from flo_comms.config import DATABASE_URL_VARIABLE

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "communication_volume.ipynb"
KERNEL_NAME = "flo-comms-tests"


def _kernel_of_this_python(folder: Path) -> None:
    spec = folder / "kernels" / KERNEL_NAME / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(
        json.dumps(
            {
                "argv": [
                    sys.executable,
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Flo Communications (.venv)",
                "language": "python",
            }
        )
    )


def _printed(notebook, tag: str) -> str:
    [cell] = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def test_the_notebook_answers_every_question_from_the_database(
    engine, database_url, admin, recruiter, tmp_path, monkeypatch
):
    world = build_analytics_world(engine, admin, recruiter)
    # DuckDB lets one process open a file: the kernel needs it to itself.
    engine.dispose()
    jupyter = tmp_path / "jupyter"
    _kernel_of_this_python(jupyter)
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv(DATABASE_URL_VARIABLE, database_url)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    which_python = nbformat.v4.new_code_cell("import sys\nprint(sys.executable)")
    which_python.metadata["tags"] = ["which_python"]
    notebook.cells.append(which_python)

    NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()

    assert _printed(notebook, "headline").splitlines() == [
        f"entries: {world.entries}",
        f"system: {world.system}",
        f"manual: {world.manual}",
        f"event_emails: {world.event_emails}",
        f"job_emails: {world.job_emails}",
        f"to_agency: {world.job_emails_to_agency}",
        f"failed: {world.failed}",
    ]
    assert EVENING_TITLE in _printed(notebook, "outreach_by_event")
    assert "phone call" in _printed(notebook, "manual_by_type")
    assert (
        f"{world.job_emails_to_agency} of {world.job_emails} job emails (50%) "
        "went to agency contacts"
    ) in _printed(notebook, "job_emails_by_job")
    assert _printed(notebook, "which_python").strip() == sys.executable
    assert all(
        output.output_type != "error"
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_the_committed_notebook_carries_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert "only while the dashboard is stopped" in notebook.cells[0].source
