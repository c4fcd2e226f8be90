"""Learning curves from SpeechBrain train logs: parse, tabulate, plot.

``FileTrainLogger`` writes one line per epoch, e.g.::

    epoch: 2, lr: 9.34e-04, steps: 500 - train loss: 3.78 - valid loss: 3.83, valid WER: 1.22e+02

This module turns such files into rows, a Markdown table and a PNG plot
(train and valid loss, and valid WER, against optimizer steps) so that runs
can be compared at a glance.

Command line::

    python -m speechbrain_listen.analysis.learning_curve results/exp_a/train_log.txt \\
        results/exp_b/train_log.txt --labels A B --output curves.png

Authors
 * speechbrain-listen contributors 2026
"""

import argparse
import re

_FIELD = re.compile(r"(?:^|[,-]\s*)([A-Za-z][\w ]*?):\s*([-+0-9.eE]+|inf|nan)")


def parse_train_log(path):
    """Epoch rows of a ``train_log.txt`` (test lines are skipped).

    Arguments
    ---------
    path : str
        The log file.

    Returns
    -------
    list of dict
        One dict per epoch line: field name -> float.

    Example
    -------
    >>> import tempfile
    >>> log = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    >>> _ = log.write("epoch: 1, lr: 1.0e-03, steps: 250 - train loss: 4.26 - "
    ...               "valid loss: 3.97, valid WER: 1.09e+02\\n")
    >>> log.close()
    >>> parse_train_log(log.name)[0]["valid WER"]
    109.0
    """
    rows = []
    with open(path, encoding="utf-8") as fin:
        for line in fin:
            if not line.startswith("epoch:"):
                continue
            rows.append({name.strip(): float(value) for name, value in _FIELD.findall(line)})
    return rows


def markdown_table(rows, fields=None):
    """A Markdown table of the given fields (missing ones left empty).

    By default: epoch, steps, train loss, its parts ``train ce`` and
    ``train alignment`` when the log has them, valid loss and valid WER.

    Example
    -------
    >>> print(markdown_table([{"epoch": 1.0, "valid WER": 50.0}], ("epoch", "valid WER")))
    | epoch | valid WER |
    |---|---|
    | 1 | 50.00 |
    """
    if fields is None:
        parts = [f for f in ("train ce", "train alignment") if any(f in row for row in rows)]
        fields = ("epoch", "steps", "train loss", *parts, "valid loss", "valid WER")
    lines = ["| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    for row in rows:
        cells = []
        for field in fields:
            value = row.get(field)
            if value is None:
                cells.append("")
            elif value == int(value) and field in ("epoch", "steps"):
                cells.append(str(int(value)))
            else:
                cells.append(f"{value:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_learning_curves(runs, output, metric="valid WER"):
    """Loss and ``metric`` against optimizer steps, one line per run.

    Arguments
    ---------
    runs : dict
        Label -> rows from :func:`parse_train_log`.
    output : str
        PNG file to write.
    metric : str
        Field plotted in the right panel.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for label, rows in runs.items():
        steps = [row.get("steps", row["epoch"]) for row in rows]
        line = loss_ax.plot(
            steps, [row.get("valid loss") for row in rows], marker="o", label=f"{label} valid"
        )[0]
        # With auxiliary losses the train total is not a cross-entropy: plot
        # its "train ce" part where the log has one.
        train = [row.get("train ce", row.get("train loss")) for row in rows]
        loss_ax.plot(steps, train, linestyle="--", color=line.get_color(), label=f"{label} train")
        metric_ax.plot(
            steps, [row.get(metric) for row in rows], marker="o", color=line.get_color(), label=label
        )
    loss_ax.set(xlabel="optimizer steps", ylabel="cross-entropy (nats/token)", title="loss")
    metric_ax.set(xlabel="optimizer steps", ylabel=metric, title=metric)
    loss_ax.legend(fontsize=8)
    metric_ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(output, dpi=90)
    plt.close(fig)


def main(argv=None):
    """Prints the tables and writes the plot."""
    parser = argparse.ArgumentParser(
        prog="python -m speechbrain_listen.analysis.learning_curve",
        description="Plot SpeechBrain learning curves.",
    )
    parser.add_argument("logs", nargs="+", help="train_log.txt files")
    parser.add_argument("--labels", nargs="*", help="one label per log")
    parser.add_argument("--output", default="learning_curves.png")
    parser.add_argument("--metric", default="valid WER")
    args = parser.parse_args(argv)
    labels = args.labels or args.logs
    runs = {label: parse_train_log(log) for label, log in zip(labels, args.logs)}
    for label, rows in runs.items():
        print(f"\n{label}\n{markdown_table(rows)}")
    plot_learning_curves(runs, args.output, args.metric)
    print(f"\nplot: {args.output}")


if __name__ == "__main__":
    main()
