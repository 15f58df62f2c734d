package snn.training;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.core.TrainingException;
import snn.data.SpikeDataset;
import snn.interop.Checkpoint;
import snn.interop.Checkpoints;
import snn.models.SpikingNetwork;

/**
 * Evaluates the selected model of a finished or interrupted run folder: its {@value RunFolder#MODEL}, verified
 * (every zip entry's CRC-32 and size, then its tensors against the network its stored config describes), so that a
 * damaged file is an error and a replaced one is what is evaluated.
 */
public final class RunEvaluation {

    private static final ObjectMapper JSON = ConfigLoader.mapper();

    private RunEvaluation() {
    }

    /**
     * The network of a run's {@value RunFolder#MODEL}.
     *
     * @param file          the checkpoint that was loaded
     * @param network       the network it holds, built from the checkpoint's own config
     * @param configChanges every config value in which the checkpoint's config differs from the run's
     *                      {@value RunFolder#CONFIG}, as {@code "old -> new"} by dotted path (empty for the model the
     *                      run saved with the config it has now)
     */
    public record SelectedModel(Path file, SpikingNetwork network, Map<String, String> configChanges) {

        /** Copies the changes. */
        public SelectedModel {
            configChanges = Map.copyOf(configChanges);
        }

        /**
         * {@return what was loaded, for the user: the file, and how its config differs from the run's when it does
         * (a model.pt saved before a resume that changed the config, or copied in from another run)}
         */
        public String describe() {
            StringBuilder sb = new StringBuilder("model: " + file);
            if (!configChanges.isEmpty()) {
                List<String> each = new ArrayList<>();
                new TreeMap<>(configChanges).forEach((path, change) -> each.add(path + " " + change));
                sb.append(" (its config differs from ").append(RunFolder.CONFIG).append("'s, shown as ")
                        .append(RunFolder.CONFIG).append(" -> ").append(RunFolder.MODEL).append(": ")
                        .append(String.join(", ", each)).append("; evaluated as it is)");
            }
            return sb.toString();
        }
    }

    /**
     * Loads the run's selected model and evaluates it. Initialises the runtime from the config.
     *
     * @param runDir the run folder, holding {@value RunFolder#MODEL}
     * @param config the run's config (its {@value RunFolder#CONFIG})
     * @param data   the samples to evaluate on, shaped like the run's data
     * @return the evaluation
     * @throws TrainingException as {@link #selectedModel}
     */
    public static Evaluation evaluate(Path runDir, ExperimentConfig config, SpikeDataset data) {
        return Evaluator.evaluate(selectedModel(runDir, config, data).network(), data,
                config.training().evalBatchSize());
    }

    /**
     * The run's selected model, from its {@value RunFolder#MODEL}, verified. Initialises the runtime from the config
     * (threads, device); the network is the checkpoint's, built from the config stored in it.
     *
     * @param runDir the run folder
     * @param config the run's config (its {@value RunFolder#CONFIG})
     * @param data   data shaped like the run's, giving the inputs and classes
     * @return the model and where it came from
     * @throws TrainingException when {@value RunFolder#MODEL} is missing, damaged (naming the damage), not an snn
     *                           checkpoint, or a network for other inputs or classes than {@code data}'s
     */
    public static SelectedModel selectedModel(Path runDir, ExperimentConfig config, SpikeDataset data) {
        Path file = new RunFolder(runDir).model();
        if (!Files.isRegularFile(file)) {
            throw new TrainingException("no selected model in " + runDir + ": " + RunFolder.MODEL + " is missing (it"
                    + " is written after the first epoch)");
        }
        Trainer.initRuntime(config);
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoints.load(file);
        } catch (InteropException e) {
            throw new TrainingException("cannot evaluate the selected model of " + runDir + ": " + e.getMessage(), e);
        }
        if (checkpoint.inputs() != data.channels() || checkpoint.classes() != data.classes()) {
            throw new TrainingException(file + " holds a network of " + checkpoint.inputs() + " inputs and "
                    + checkpoint.classes() + " classes, but the run's data (" + data.name() + ") has "
                    + data.channels() + " inputs and " + data.classes() + " classes");
        }
        Map<String, String> changes = ConfigLoader.differences(JSON.valueToTree(config),
                JSON.valueToTree(checkpoint.config()));
        return new SelectedModel(file, checkpoint.network(), changes);
    }

    /**
     * Builds {@code config}'s network, loads a checkpoint into it and evaluates it. Initialises the runtime from the
     * config.
     *
     * @param checkpoint a torch or safetensors file of the network's parameters, under snn or reference names
     * @param config     the config whose model the checkpoint holds
     * @param data       the samples to evaluate on
     * @return the evaluation
     * @throws snn.core.InteropException when the file is unreadable or does not match the network
     */
    public static Evaluation evaluateCheckpoint(Path checkpoint, ExperimentConfig config, SpikeDataset data) {
        Trainer.initRuntime(config);
        SpikingNetwork net = new SpikingNetwork(config.model(), data.channels(), data.classes());
        Checkpoints.loadInto(checkpoint, net);
        return Evaluator.evaluate(net, data, config.training().evalBatchSize());
    }
}
