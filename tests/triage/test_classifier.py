"""The direct probability computation matches scikit-learn's ``predict_proba`` for every target (to float32
precision: the TF-IDF features are float32)."""

from __future__ import annotations

import numpy as np
import pytest

from aftersales.triage import classifier, evaluation


@pytest.fixture(scope="module")
def model() -> classifier.TriageModel:
    return classifier.train(evaluation.load_corpus()[:600])


def test_direct_probabilities_equal_predict_proba_for_every_target(model: classifier.TriageModel) -> None:
    texts = [example.text for example in evaluation.load_corpus()[600:680]] + ["门锁打不开了，太气人了！", "谢谢师傅"]
    assert model.features is not None and set(model.models) >= {"kind", "priority", "anger", "sentiment"}
    binary = [name for name, m in model.models.items() if len(m.classes_) == 2]
    assert binary  # both branches are exercised
    for text in texts:
        vector = model.features.transform([text])
        for name, lr in model.models.items():
            direct = classifier.class_probabilities(lr, vector)
            assert direct.shape == (len(lr.classes_),)
            assert np.allclose(direct, lr.predict_proba(vector)[0], rtol=0, atol=1e-6), (name, text)
