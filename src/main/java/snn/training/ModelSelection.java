package snn.training;

import snn.interop.Checkpoints;

/**
 * Selects the model as the papers do: the epoch with the best validation accuracy when there is a validation split,
 * else the one with the lowest training loss. Each better epoch becomes the session's selected model and is written
 * to {@code model.pt} (rank 0).
 */
final class ModelSelection implements Callback {

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        double score = fit.selectsOnValidation() ? m.validationAccuracy() : -m.trainLoss();
        if (score > fit.session().bestScore()) {
            fit.session().keepAsBest(m.epoch(), score);
            if (fit.leads()) {
                Checkpoints.save(fit.session().network(), fit.config(), fit.run().model());
            }
        }
    }
}
