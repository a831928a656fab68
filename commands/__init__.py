"""The application: the commands of `main.py` and what they share, above data/, models/ and utils/.

train.py       python main.py [train]: data, model, the loop, publish       (default command)
generate.py    python main.py generate, and retrain: false
evaluate.py    python main.py evaluate
compare.py     python main.py compare
loop.py        the training loop (knows only model.loss)
run_folder.py  result_path: the lock, per-epoch state, resume checks, the staged publish
evaluation.py  the evaluation protocol (test points, floor, mixture baseline, targets)
results.py     the pictures and report.html of a run
runtime.py     device and threads
"""

from commands.compare import run_compare
from commands.evaluate import run_evaluate
from commands.generate import run_generate
from commands.train import run_train

__all__ = ["run_compare", "run_evaluate", "run_generate", "run_train"]
