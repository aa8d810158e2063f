"""A trained model stored as plain arrays (``triage.artifact``) answers exactly as the scikit-learn model it
was written from, is read without pickle, and refuses bytes it cannot read."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from aftersales.triage import artifact, classifier, evaluation

ODD_TEXTS = [
    "  门锁  坏了！！！ 12315 ",
    "",
    "   ",
    "ＡＢＣ１２３１５非常生气😡",
    "a",
    "ab",
    "x y\tz\n\n w",
    "指纹锁\u3000不灵了",
    "Wi-Fi连不上，APP显示离线",
]


@pytest.fixture(scope="module")
def trained() -> classifier.TriageModel:
    corpus = evaluation.load_corpus()
    return classifier.train(corpus[:600], extra_sentiment=[("质量很好，很满意", "positive"), ("太差了", "negative")])


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [example.text for example in evaluation.load_corpus()[600:760]] + ODD_TEXTS


def test_char_ngrams_are_scikit_learns(trained: classifier.TriageModel, texts: list[str]) -> None:
    assert trained.features is not None and not isinstance(trained.features, artifact.CharNgramFeatures)
    analyse = trained.features.build_analyzer()
    for text in texts:
        assert artifact.char_wb_ngrams(classifier.normalise(text), (1, 4)) == analyse(text), text
    # The short-word rule: a word no longer than n stops the longer lengths for that word.
    assert artifact.char_wb_ngrams("ab", (1, 4)) == [" ", "a", "b", " ", " a", "ab", "b ", " ab", "ab ", " ab "]


def test_the_round_trip_gives_the_same_features_and_answers(trained: classifier.TriageModel, texts: list[str]) -> None:
    blob = trained.dumps()
    assert artifact.is_artifact(blob) and zipfile.is_zipfile(io.BytesIO(blob))
    plain = classifier.TriageModel.loads(blob)
    assert isinstance(plain.features, artifact.CharNgramFeatures)
    assert all(isinstance(model, artifact.LinearModel) for model in plain.models.values())
    assert set(plain.models) == set(trained.models) and plain.labels == trained.labels
    assert trained.features is not None
    before, after = trained.features.transform(texts).toarray(), plain.features.transform(texts).toarray()
    assert before.shape == after.shape
    assert np.allclose(before, after, rtol=0, atol=1e-6)
    for text in texts:
        assert plain.predict(text) == trained.predict(text), text
    # Written again from the plain model: the same arrays (a stored version can be copied or re-exported).
    again = classifier.TriageModel.loads(plain.dumps())
    assert [again.predict(text) for text in texts[:20]] == [trained.predict(text) for text in texts[:20]]


def test_no_pickle_is_read_and_bad_bytes_are_refused(trained: classifier.TriageModel) -> None:
    blob = trained.dumps()
    with np.load(io.BytesIO(blob), allow_pickle=False) as stored:  # raises if any array needed pickle
        names = set(stored.files)
        assert stored["vocabulary__text"].dtype.kind == "U" and stored["idf__text"].dtype == np.float32
    assert {"meta", "vocabulary__text", "idf__text", "coef__kind", "intercept__kind", "classes__kind"} <= names
    with pytest.raises(artifact.ArtifactError, match="not a triage model file"):
        artifact.read(b"PK\x03\x04 not really a zip", preprocess=classifier.normalise)
    other = io.BytesIO()
    np.savez(other, meta=np.array('{"format": "something-else/9"}'))
    with pytest.raises(artifact.ArtifactError, match="unknown triage model format 'something-else/9'"):
        artifact.read(other.getvalue(), preprocess=classifier.normalise)
    with pytest.raises(ValueError, match="untrained"):
        classifier.TriageModel().dumps()


def test_a_version_pickled_before_the_plain_format_is_still_read(
    trained: classifier.TriageModel, texts: list[str]
) -> None:
    legacy = pickle.dumps(trained, protocol=pickle.HIGHEST_PROTOCOL)
    assert not artifact.is_artifact(legacy)
    restored = classifier.TriageModel.loads(legacy)
    assert [restored.predict(text) for text in texts[:20]] == [trained.predict(text) for text in texts[:20]]
    with pytest.raises(TypeError, match="not a triage model"):
        classifier.TriageModel.loads(pickle.dumps({"not": "a model"}))


def test_targets_with_features_of_their_own_round_trip(trained: classifier.TriageModel, texts: list[str]) -> None:
    own = classifier.TriageModel(features=trained.features, models=dict(trained.models), labels=dict(trained.labels))
    reviews = [("质量很好，很满意", "positive"), ("太差了，再也不买", "negative")] * 3
    posts = [("气死我了，什么玩意", 1), ("今天天气真好", 0), ("凭什么这样对我，太过分了", 1), ("晚饭吃面", 0)] * 3
    classifier.fit_emotions(own, evaluation.load_corpus()[:200], reviews=reviews, posts=posts, vocabulary=5_000)
    assert set(own.own_features) == {"sentiment", "anger"}
    assert len(own.own_features["sentiment"].vocabulary_) <= 5_000  # type: ignore[union-attr]
    assert own.own_features["anger"].ngram_range == (1, 2)
    plain = classifier.TriageModel.loads(own.dumps())
    assert set(plain.own_features) == {"sentiment", "anger"}
    with np.load(io.BytesIO(own.dumps()), allow_pickle=False) as stored:
        assert {"vocabulary__text", "vocabulary__sentiment", "vocabulary__anger"} <= set(stored.files)
    for text in texts:
        assert plain.predict(text) == own.predict(text), text
    # The other targets still read the shared features: their answers are the original model's.
    assert [plain.predict(text).kind for text in texts] == [trained.predict(text).kind for text in texts]
