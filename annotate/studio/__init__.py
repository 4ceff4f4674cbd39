"""The Label Studio side of newsgold: everything that talks to a Label Studio server or reads
what it stores.

- `client`: the connection (`LabelStudio`), the only module that imports the Label Studio SDK;
- `server`, `database`: the embedded local server and its PostgreSQL option;
- `push`: projects, tasks and predictions sent to a project, idempotently;
- `views`, `status`, `agreement`, `chance`, `adjudicate`: the Data Manager tabs, a project's
  status, the agreement between its annotators, the adjudication of disputed tasks;
- `loop`, `lease`: `annotate loop` and the lease that keeps one loop per project;
- `lsformat`, `resolve`: Label Studio results as spans and relations, and which annotation is
  the truth when several annotators labelled a task.

A new Label Studio feature goes here: a module over `client.LabelStudio`, reached by a function
of `annotate/api.py` and a command of `annotate/cli.py`.
"""
