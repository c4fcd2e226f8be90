"""Learning-curve parsing and plotting of SpeechBrain train logs."""

from speechbrain_listen.analysis.learning_curve import (
    markdown_table,
    parse_train_log,
    plot_learning_curves,
)

LOG = """epoch: 1, lr: 9.90e-04, steps: 250 - train loss: 4.26 - valid loss: 3.97, valid WER: 1.09e+02, valid CER: 81.22
epoch: 2, lr: 9.34e-04, steps: 500 - train loss: 3.78 - valid loss: 3.83, valid WER: 22.5, valid CER: 9.1
Epoch loaded: 2 - test loss: 3.80, test WER: 25.0
"""


def test_parse_skips_test_lines_and_reads_every_field(tmp_path):
    log = tmp_path / "train_log.txt"
    log.write_text(LOG)
    rows = parse_train_log(log)
    assert len(rows) == 2
    assert rows[0] == {
        "epoch": 1.0,
        "lr": 9.9e-4,
        "steps": 250.0,
        "train loss": 4.26,
        "valid loss": 3.97,
        "valid WER": 109.0,
        "valid CER": 81.22,
    }
    assert rows[1]["valid WER"] == 22.5
    table = markdown_table(rows)
    assert table.splitlines()[2] == "| 1 | 250 | 4.26 | 3.97 | 109.00 |"


def test_loss_parts_get_their_own_columns(tmp_path):
    log = tmp_path / "train_log.txt"
    log.write_text(
        "epoch: 1, lr: 1.0e-03, steps: 250 - train loss: 13.19, train ce: 4.71, "
        "train alignment: 8.83 - valid loss: 3.88, valid WER: 1.19e+02\n"
    )
    table = markdown_table(parse_train_log(log)).splitlines()
    assert table[0] == "| epoch | steps | train loss | train ce | train alignment | valid loss | valid WER |"
    assert table[2] == "| 1 | 250 | 13.19 | 4.71 | 8.83 | 3.88 | 119.00 |"


def test_plot_writes_a_png(tmp_path):
    log = tmp_path / "train_log.txt"
    log.write_text(LOG)
    output = tmp_path / "curves.png"
    plot_learning_curves({"A": parse_train_log(log)}, str(output))
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert output.stat().st_size > 5000
