import json

import numpy as np
import pytest

from voc.errors import ModelUnavailable
from voc.nlp.pipeline import DocState, Pipeline, Stage
from voc.nlp.sentiment.model import LABELS, SentimentModelCard, scores_from_probabilities
from voc.nlp.sentiment.stage import (SentimentStage, document_probabilities, sentiment_arc, voice_indices)
from voc.nlp.sentiment.train import TrainingDataError, macro_f1, read_examples, tune_bias
from voc.records import Document, NewDocument, Sentence, Utterance
from voc.store.documents import text_hash


# -- labels and scores ---------------------------------------------------------------------------
def test_sentiment_scores_are_p_positive_minus_p_negative_and_bias_moves_the_label():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7], [0.4, 0.35, 0.25]])
    labels, scores = scores_from_probabilities(probs)
    assert labels == ["negative", "positive", "negative"]
    assert np.allclose(scores, [-0.6, 0.6, -0.15])
    labels, _ = scores_from_probabilities(probs, (0.0, 0.5, 0.0))  # favour neutral
    assert labels[2] == "neutral"


def test_sentiment_tune_bias_never_lowers_held_out_macro_f1():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 300)
    probs = rng.dirichlet([1, 1, 1], 300)
    probs[np.arange(300), gold] += 0.3  # informative, but skewed towards nothing in particular
    probs[:, 0] += 0.4                  # a model that over-predicts negative
    probs /= probs.sum(1, keepdims=True)
    bias, f1 = tune_bias(probs, gold)
    assert f1 >= macro_f1(gold, probs.argmax(1))
    assert f1 > macro_f1(gold, probs.argmax(1)) + 0.02 and bias != (0.0, 0.0, 0.0)


def test_sentiment_macro_f1_matches_hand_computation():
    assert macro_f1([0, 0, 1, 2], [0, 1, 1, 2]) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


# -- document aggregate and conversation arc -------------------------------------------------------
@pytest.mark.parametrize("roles, expected", [
    (["customer", "agent", "customer"], [0, 2]),
    (["moderator", "participant", "participant"], [1, 2]),
    (["agent", "unknown", "unknown"], [1, 2]),   # no customer turn: the unknown speakers stand in
    (["agent", "moderator"], []),                # company words never count as the customer's
])
def test_sentiment_voice_indices_count_only_customer_side(roles, expected):
    assert voice_indices(roles) == expected


def test_sentiment_document_probabilities_weight_long_sentences_or_read_the_whole_text():
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    mean = document_probabilities(probs, [100, 1])
    assert mean[0] > 0.8 and mean[2] < 0.2
    whole = document_probabilities(probs, [1, 1], whole=np.array([0.0, 1.0, 0.0]))
    assert whole == pytest.approx([0.0, 1.0, 0.0])


def test_sentiment_arc_compares_start_with_end():
    arc = sentiment_arc([-0.9, -0.8, -0.7, 0.0, 0.2, 0.6, 0.8, 0.9, 0.7])
    assert arc["start"] == pytest.approx(-0.8) and arc["end"] == pytest.approx(0.8)
    assert arc["shift"] == pytest.approx(1.6)
    assert sentiment_arc([0.5]) is None


# -- the stage, with a model that reads words rather than weights -----------------------------------
class WordModel:
    """negative when the text says 'bad', positive when 'good', else neutral."""

    card = SentimentModelCard(version="words-1", base_model="none", base_fingerprint="x")
    version = "words-1"

    def probabilities(self, texts, vectors=None):
        out = []
        for t in texts:
            t = t.lower()
            out.append([0.8, 0.1, 0.1] if "bad" in t else [0.1, 0.1, 0.8] if "good" in t else [0.1, 0.8, 0.1])
        return np.array(out)


class SplitOnDots(Stage):
    name = "test.split.v1"
    produces = frozenset({"sentences", "embeddings"})

    def process(self, batch, store):
        for state in batch:
            doc = state.document
            sentences = []
            units = [(u.role, u.speaker, i, u.text) for i, u in enumerate(doc.utterances)] or \
                [("customer", None, None, doc.text)]
            for role, speaker, u_seq, text in units:
                for part in (p.strip() for p in text.split(".")):
                    if part:
                        sentences.append(Sentence(doc.id, len(sentences), part, role, speaker, u_seq))
            state.sentences = sentences
            state.sentence_hashes = [text_hash(s.text) for s in sentences]


def test_sentiment_stage_labels_sentences_documents_and_the_customer_arc(store):
    note, _ = store.add_document(NewDocument(kind="note", source="t", text="The app is bad. Support was good. Bad.",
                                             external_id="n1"))
    call, _ = store.add_document(NewDocument(kind="transcript", source="t", external_id="c1", utterances=(
        Utterance("Cx", "customer", "This is bad. Really bad."),
        Utterance("Dana", "agent", "I am so sorry, that is bad. Let me fix it."),
        Utterance("Cx", "customer", "Okay. That is good. Good, thanks."),
    )))
    stage = SentimentStage("", "", model=WordModel())
    summary = Pipeline([SplitOnDots(), stage]).run(store)
    assert summary.analysed == 2
    rows = {r["id"]: r for r in store.db["documents"].rows}
    assert rows[note]["sentiment_label"] == "negative" and rows[note]["sentiment_stage"] == stage.version
    assert -1 <= rows[note]["sentiment_score"] < 0
    # the agent's "bad" does not count; the customer goes from negative to positive
    assert rows[call]["sentiment_shift"] > 1.0 and rows[call]["sentiment_start"] < 0 < rows[call]["sentiment_end"]
    sentences = list(store.db.query("select role, text, sentiment_label, sentiment_stage from sentences "
                                    "where document_id = ? order by seq", [call]))
    assert [s["sentiment_label"] for s in sentences if s["role"] == "agent"] == ["negative", "neutral"]
    assert all(s["sentiment_stage"] == stage.version for s in sentences)
    exported = {r["id"]: r for r in store.document_records()}
    assert exported[note]["sentiment"] == {"label": "negative", "score": rows[note]["sentiment_score"]}
    line = next(r for r in store.sentence_records([note]))
    assert line["sentiment"]["label"] == "negative"


def test_sentiment_stage_leaves_documents_without_customer_words_unscored(store):
    doc, _ = store.add_document(NewDocument(kind="transcript", source="t", external_id="a", utterances=(
        Utterance("Dana", "agent", "Good morning. This is a good day."),)))
    Pipeline([SplitOnDots(), SentimentStage("", "", model=WordModel())]).run(store)
    row = store.db["documents"].get(doc)
    assert row["status"] == "analysed" and row["sentiment_label"] is None


# -- training data --------------------------------------------------------------------------------
@pytest.mark.parametrize("content, expected", [
    ("text,label\nGreat service,positive\nAwful,NEGATIVE\nIt is Tuesday,neutral\n", [2, 0, 1]),
    ("comment,sentiment\nGreat,1\nAwful,-1\nMeh,0\n", [2, 0, 1]),
    ("review,stars\nLoved it,5\nBroken,1\nFine I guess,3\nOkay,4\nBad,2\n", [2, 0, 1, 2, 0]),
])
def test_sentiment_read_examples_understands_the_usual_label_shapes(write, content, expected):
    assert [e.label for e in read_examples(write("labels.csv", content))] == expected


@pytest.mark.parametrize("content, message", [
    ("a,b\nx,y\n", "cannot tell which columns"),
    ("text,label\nGreat,awesome\n", "row 2: unknown label 'awesome'"),
    ("text,stars\nGreat,five\n", "not a number from 1 to 5"),
    ("text,label\n,positive\n", "holds no labelled text"),
])
def test_sentiment_read_examples_rejects_bad_files_with_the_row(write, content, message):
    with pytest.raises(TrainingDataError) as err:
        read_examples(write("labels.csv", content))
    assert message in err.value.message


def test_sentiment_missing_model_folder_is_one_clear_error(tmp_path):
    from voc.nlp.sentiment.model import SentimentModel
    with pytest.raises(ModelUnavailable) as err:
        SentimentModel(tmp_path / "nowhere", tmp_path)
    assert "voc train sentiment" in err.value.message


def test_sentiment_model_trained_on_another_base_is_refused(tmp_path):
    from voc.nlp.sentiment.model import SentimentModel
    folder, base = tmp_path / "m", tmp_path / "base"
    folder.mkdir()
    base.mkdir()
    (base / "model.safetensors").write_bytes(b"some other model")
    SentimentModelCard(version="v", base_model="other", base_fingerprint="0123456789abcdef").write(folder)
    with pytest.raises(ModelUnavailable) as err:
        SentimentModel(folder, base)
    assert "trained on a different embedding model" in err.value.message


# -- the shipped model and retraining, for real ------------------------------------------------------
@pytest.mark.slow
def test_sentiment_shipped_model_reads_clear_feedback(config):
    from voc.nlp.sentiment.model import load_sentiment_model
    model = load_sentiment_model(config.sentiment_model_dir, config.nlp.embedding_model)
    texts = ["I love the new plan, the staff were wonderful and fixed it in minutes.",
             "Three weeks and still no refund, this is the worst service I have ever had.",
             "My contract renews on the 3rd of May."]
    labels, scores, probs = model.predict(texts)
    assert labels[:2] == ["positive", "negative"]
    assert scores[0] > 0.5 and scores[1] < -0.5 and abs(scores[2]) < scores[0]
    assert np.allclose(probs.sum(1), 1, atol=1e-4)
    # batching and order do not change an answer
    again = model.probabilities(list(reversed(texts)))
    assert np.allclose(again[::-1], probs, atol=1e-4)


@pytest.mark.slow
def test_sentiment_train_writes_a_model_the_pipeline_loads(tmp_path, config, runner, write):
    rows = ["text,label"]
    for i in range(40):
        rows += [f"great fast friendly service number {i},positive", f"terrible slow rude service number {i},negative",
                 f"the store opens at {i % 12 + 1} on weekdays,neutral"]
    data = write("mine.csv", "\n".join(rows) + "\n")
    out = tmp_path / "mymodel"
    from voc.cli import main
    result = runner.invoke(main, ["train", "sentiment", "--data", str(data), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "held-out macro-F1" in result.output
    card = json.loads((out / "sentiment.json").read_text())
    assert card["metrics"]["held_out_examples"] == 24 and card["trained_on"][0]["file"] == "mine.csv"
    assert card["trained_on"][0]["examples"] == {"negative": 40, "neutral": 40, "positive": 40}
    assert card["metrics"]["held_out_macro_f1"] > 0.9
    from voc.nlp.sentiment.model import SentimentModel
    from voc.nlp.models import embedding_model_dir
    model = SentimentModel(out, embedding_model_dir(config.nlp.embedding_model))
    labels, _, _ = model.predict(["rude and slow service", "friendly and fast service"])
    assert labels == ["negative", "positive"]
