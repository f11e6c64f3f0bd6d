"""Write the training files of the shipped sentiment model from the DEV splits of ../shared/data.

    .venv/bin/python bench/sentiment_training_data.py OUTDIR
    .venv/bin/voc train sentiment --data OUTDIR/airline_dev.csv --data OUTDIR/uci_dev.csv \
        --data OUTDIR/amazon_dev.csv --output models/sentiment

(`make train-sentiment` runs both.) Only dev splits are used; test splits stay for `make eval`.
- airline_dev.csv: every Twitter US Airline Sentiment dev tweet (CC BY-NC-SA 4.0: non-commercial);
- uci_dev.csv: every UCI sentiment-labelled sentence of the dev split (CC BY 4.0);
- amazon_dev.csv: Amazon 2018 All Beauty + Fashion dev reviews, de-duplicated, with every 1-3 star
  review and 800 five- or four-star reviews drawn with a fixed seed (research use).
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "airline_dev.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for r in csv.DictReader((SHARED / "twitter_us_airline_sentiment" / "dev.csv").open(encoding="utf-8")):
            w.writerow([r["text"], r["airline_sentiment"]])
    with (out / "uci_dev.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for source in ("amazon_cells", "yelp", "imdb"):
            path = SHARED / "product_reviews" / "uci_sentiment_labelled_sentences" / f"{source}_dev.txt"
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if "\t" in line:
                    text, label = line.rsplit("\t", 1)
                    w.writerow([text.strip(), "positive" if label.strip() == "1" else "negative"])
    seen: set[str] = set()
    low, high = [], []
    for name in ("amazon_all_beauty_5core", "amazon_fashion_5core"):
        for line in (SHARED / "product_reviews" / "amazon2018_5core" / f"{name}_dev.jsonl").open(encoding="utf-8"):
            r = json.loads(line)
            text = (r.get("reviewText") or "").strip()
            if not text or text in seen:
                continue
            seen.add(text)
            (high if int(r["overall"]) >= 4 else low).append((text, int(r["overall"])))
    random.Random(0).shuffle(high)
    with (out / "amazon_dev.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "stars"])
        w.writerows(low + high[:800])
    print(f"wrote {out}/airline_dev.csv, uci_dev.csv, amazon_dev.csv")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
