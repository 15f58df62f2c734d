package snn.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import snn.config.TrainingConfig;
import snn.core.TrainingException;
import snn.io.AtomicFiles;

/**
 * Saves everything a resume needs after every epoch ({@code training-state.pt}, rank 0), with the callbacks' states;
 * with {@code training.checkpoint_every = N} it also keeps that state for every N-th epoch in {@code checkpoints/}
 * (the last {@code keep_checkpoints} of them), so that a run can be resumed from any of them. A state kept for an
 * epoch after the one just saved belongs to an abandoned future (the run was resumed from an earlier one) and is
 * removed.
 */
final class StateCheckpoints implements Callback {

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        if (!fit.leads()) {
            return;
        }
        TrainingSession s = fit.session();
        RunFolder run = fit.run();
        TrainingState.save(run.state(), s.network(), s.best(), s.optimizer(), new TrainingState.Progress(m.epoch(),
                s.learningRate(), s.bestEpoch(), s.bestScore(), List.copyOf(fit.history()), fit.callbackStates()));
        TrainingConfig t = fit.training();
        if (t.checkpointEvery() == null) {
            return;
        }
        try {
            if (m.epoch() % t.checkpointEvery() == 0) {
                AtomicFiles.writeVia(run.checkpoint(m.epoch()),
                        tmp -> Files.copy(run.state(), tmp, StandardCopyOption.REPLACE_EXISTING));
            }
            List<Integer> kept = run.checkpointEpochs();
            for (int epoch : kept) {
                if (epoch > m.epoch()) {
                    Files.deleteIfExists(run.checkpoint(epoch));
                }
            }
            List<Integer> past = kept.stream().filter(e -> e <= m.epoch()).toList();
            if (t.keepCheckpoints() != null) {
                for (int epoch : past.subList(0, Math.max(0, past.size() - t.keepCheckpoints()))) {
                    Files.deleteIfExists(run.checkpoint(epoch));
                }
            }
        } catch (IOException e) {
            throw new TrainingException("cannot keep the checkpoint of epoch " + m.epoch() + " in "
                    + run.file(RunFolder.CHECKPOINTS) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The state file a resume starts from.
     *
     * @param run       the run
     * @param fromEpoch the epoch to resume after, or null for the last completed one
     * @return {@code training-state.pt}, or the kept checkpoint of that epoch
     * @throws TrainingException when no state of that epoch is kept, naming those that are
     */
    static Path stateFile(RunFolder run, Integer fromEpoch) {
        if (fromEpoch == null) {
            return run.state();
        }
        Path kept = run.checkpoint(fromEpoch);
        if (Files.isRegularFile(kept)) {
            return kept;
        }
        List<Integer> epochs = run.checkpointEpochs();
        throw new TrainingException("cannot resume " + run.dir() + " from epoch " + fromEpoch + ": no "
                + run.dir().relativize(kept) + (epochs.isEmpty() ? "; the run keeps no checkpoints (set"
                + " training.checkpoint_every to keep them)" : "; kept epochs: " + epochs)
                + ". Leave out --from-epoch to continue from the last completed epoch");
    }
}
