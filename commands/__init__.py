"""The application: the commands of `main.py` and what they share, above data/, models/ and utils/.

train.py          python main.py [train]: data, model, the loop, publish       (default command)
generate.py       python main.py generate, and retrain: false
evaluate.py       python main.py evaluate
sweep.py          python main.py sweep: every combination of settings, a run each
sweep_summary.py  a sweep's sweep.json, sweep.csv and sweep.md
sweep_cluster.py  a sweep's runs on a Dask cluster (optional install)
sweep_page.py     a sweep's sweep.html: every run's picture, the groups' figures, the loss curves
compare.py        python main.py compare: the sweep over every registered model
loop.py           the training loop (knows only model.loss)
run_folder.py     result_path: per-epoch state, resume checks, the staged publish
records.py        what a run hands to publishing and returns to its callers
evaluation.py     the evaluation protocol (test points, floor, mixture baseline, standard errors)
verdict.py        the checks within noise, the grade, the verdict in words
results.py        the pictures and report.html of a run
runtime.py        device and threads
"""

from commands.compare import run_compare
from commands.evaluate import run_evaluate
from commands.generate import run_generate
from commands.sweep import run_sweep
from commands.train import run_train

__all__ = ["run_compare", "run_evaluate", "run_generate", "run_sweep", "run_train"]
