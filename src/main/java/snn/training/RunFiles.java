package snn.training;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run folder's record of a run, written by rank 0: {@code config.json} and {@code manifest.json} at the start
 * (a resume adds its entry to the manifest), {@code metrics.csv} after every epoch and {@code summary.json} at the end.
 */
final class RunFiles implements Callback {

    @Override
    public void onFitStart(FitContext fit) {
        if (!fit.leads()) {
            return;
        }
        var net = fit.session().network();
        if (fit.resumed()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("after_epoch", fit.history().size());
            entry.put("time", Instant.now().toString());
            entry.putAll(Provenance.of(fit.config(), net, fit.ranks()));
            fit.run().recordResume(fit.config(), entry, Provenance.manifest(fit.config(), fit.data(), net, fit.ranks()));
        } else {
            fit.run().writeConfig(fit.config());
            fit.run().writeManifest(Provenance.manifest(fit.config(), fit.data(), net, fit.ranks()));
        }
    }

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics metrics) {
        if (fit.leads()) {
            fit.run().writeMetrics(fit.history());
        }
    }

    @Override
    public void onFitEnd(FitContext fit, TrainingResult result) {
        if (fit.leads()) {
            fit.run().writeSummary(result);
        }
    }
}
