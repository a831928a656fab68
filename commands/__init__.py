"""The application: the commands of `main.py` and what they share, above data/, models/ and utils/.

Each command is imported from its own module (`from commands.train import run_train`), so that a
command loads only what it needs: `generate` neither scikit-learn nor matplotlib.

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
frames.py         the points of a frame (every epoch) and of samples.npy
pictures.py       the pictures of a run: GIF, points side by side, paintings, features, latent
report_page.py    report.html of a run and of `evaluate`
runtime.py        device and threads
"""
