package snn.training;

import java.nio.file.Path;

import snn.data.SpikeDataset;
import snn.models.SpikingNetwork;
import snn.config.ExperimentConfig;
import snn.interop.Checkpoints;
import snn.core.TrainingException;

/** Evaluates the selected (best) model of a finished or interrupted run folder. */
public final class RunEvaluation {

    private RunEvaluation() {
    }

    /**
     * Rebuilds the run's network, loads its best weights and evaluates it. Initialises the runtime from the config.
     *
     * @param runDir the run folder, holding {@code training-state.pt}
     * @param config the run's config (its {@code config.json})
     * @param data   the samples to evaluate on, shaped like the run's data
     * @return the evaluation
     * @throws TrainingException when the run folder holds no readable model
     */
    public static Evaluation evaluate(Path runDir, ExperimentConfig config, SpikeDataset data) {
        return Evaluator.evaluate(selectedModel(runDir, config, data), data, config.training().evalBatchSize());
    }

    /**
     * The run's network with its selected (best) weights. Initialises the runtime from the config.
     *
     * @param runDir the run folder, holding {@code training-state.pt}
     * @param config the run's config (its {@code config.json})
     * @param data   data shaped like the run's, giving the inputs and classes
     * @return the network, in training mode
     * @throws TrainingException when the run folder holds no readable model
     */
    public static SpikingNetwork selectedModel(Path runDir, ExperimentConfig config, SpikeDataset data) {
        Trainer.initRuntime(config);
        SpikingNetwork net = new SpikingNetwork(config.model(), data.channels(), data.classes());
        TrainingState.loadBest(runDir, net);
        return net;
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
