"""One module per lab, named by the lab's id (the notebook's file stem): its PREDICTIONS and
QUESTIONS, with answers derived by the engine. The grader imports these without marimo."""
