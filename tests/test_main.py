"""main.py in-process: every kind of bad input ends in one `error:` line and exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trian"], "unknown command 'trian'; did you mean 'train'?"),
        (["model=gan"], "'model' is 'gan'; choose one of transformer_vae, vanilla_vae"),
        (["dataset=quiz", "data_dir={tmp}/none"], "data_dir '{tmp}/none' does not exist"),
        (["retrain=false", "result_path={tmp}/empty"], "no checkpoint at"),
        (["evaluate", "result_path={tmp}/empty"], "no checkpoint at"),
        (["generate", "-o", "{tmp}/points.txt", "result_path={tmp}"], "must end in .npy or .csv"),
        (["result_path={tmp}/file.txt/sub"], "is not writable"),
    ],
)
def test_bad_input_is_one_clear_message(tmp_path: Path, capsys, args: list[str], message: str):
    (tmp_path / "file.txt").write_text("a file, not a folder")
    code = main.main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ")
    assert message.format(tmp=tmp_path) in err
