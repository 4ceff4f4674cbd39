"""The Label Studio side of newsgold: everything that talks to a Label Studio server or reads
what it stores.

- `client`: the connection (`LabelStudio`), the only module that imports the Label Studio SDK;
  `errors` and `snapshot` what it shares that needs no SDK;
- `server`, `process`, `private`, `database`: the embedded local server, its process and private
  files, and its PostgreSQL option;
- `push/`: projects, tasks and predictions sent to a project, idempotently;
- `views`, `status`, `agreement`, `chance`, `adjudicate`: the Data Manager tabs, a project's
  status, the agreement between its annotators, the adjudication of disputed tasks;
- `loop`, `loopstate`, `lease`: `annotate loop`, its work folder, and the lease that keeps one
  loop per project;
- `lsformat`, `tasks`, `resolve`: Label Studio results as spans and relations, a task's shape,
  and which annotation is the truth when several annotators labelled a task;
- `api`: the Python API of this side.

A new Label Studio feature goes here: a module over `client.LabelStudio`, reached by a function
of `studio/api.py` and a command of `annotate/cli/studio.py` or `annotate/cli/team.py`.
"""
