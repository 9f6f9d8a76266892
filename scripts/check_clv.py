"""Reference figures for Philia's predictive CLV, from the `lifetimes` package.

Fits BG/NBD and Gamma-Gamma with `lifetimes` on the CDNOW sample it ships (transactions of 2,357
customers, January 1997 to June 1998), summarised by day up to 1998-06-30 as Philia summarises
customers, and writes the fitted parameters and every customer's predictions to
crates/domain/tests/fixtures/cdnow/lifetimes_reference.json, with the transactions beside it.
`cargo test -p philia-domain --test clv_reference` fits the same data and compares within 1 %.

Run: python3 -m venv /tmp/clv && /tmp/clv/bin/pip install lifetimes && /tmp/clv/bin/python scripts/check_clv.py
"""

import json
import os
import shutil

import lifetimes
import lifetimes.datasets
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "crates", "domain", "tests", "fixtures", "cdnow")
END = "1998-06-30"


def main():
    source = os.path.join(os.path.dirname(lifetimes.datasets.__file__), "CDNOW_sample.txt")
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(source, os.path.join(OUT, "CDNOW_sample.txt"))
    raw = pd.read_csv(source, sep=r"\s+", header=None, names=["customer", "id", "date", "quantity", "amount"], dtype={"date": str})
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    summary = summary_data_from_transaction_data(
        raw, "customer", "date", monetary_value_col="amount", observation_period_end=END, freq="D"
    )
    bg = BetaGeoFitter(penalizer_coef=0.0)
    bg.fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gg = GammaGammaFitter(penalizer_coef=0.0)
    gg.fit(repeat["frequency"], repeat["monetary_value"])
    f, r, t, m = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    # Each prediction as a plain array in the summary's row order.
    alive = np.asarray(bg.conditional_probability_alive(f, r, t))
    expected = {
        days: np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(days, f, r, t)) for days in (30, 90, 365)
    }
    clv = np.asarray(gg.customer_lifetime_value(bg, f, r, t, m, time=12, discount_rate=0.01, freq="D"))
    customers = []
    for i, cid in enumerate(summary.index):
        customers.append(
            {
                "customer": int(cid),
                "frequency": float(f.iloc[i]),
                "recency": float(r.iloc[i]),
                "age": float(t.iloc[i]),
                "monetary": float(m.iloc[i]),
                "p_alive": float(alive[i]),
                "purchases_30": float(expected[30][i]),
                "purchases_90": float(expected[90][i]),
                "purchases_365": float(expected[365][i]),
                "clv_12": float(clv[i]),
            }
        )
    reference = {
        "lifetimes": lifetimes.__version__,
        "observation_end": END,
        "bg_nbd": {k: float(v) for k, v in bg.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in gg.params_.items()},
        "customers": customers,
    }
    with open(os.path.join(OUT, "lifetimes_reference.json"), "w") as out:
        json.dump(reference, out, separators=(",", ":"))
    print("BG/NBD", reference["bg_nbd"], "Gamma-Gamma", reference["gamma_gamma"], len(customers), "customers")


if __name__ == "__main__":
    main()
