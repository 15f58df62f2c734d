package snn.training;

import java.nio.file.Path;

import snn.data.SpikeDataset;
import snn.models.SpikingNetwork;
import snn.config.ExperimentConfig;
import snn.interop.Checkpoints;

/** Evaluates the selected (best) model of a finished or interrupted run folder. */
public final class RunEvaluation {

    private RunEvaluation() {
    }

    /** Rebuilds the run's network, loads its best weights and evaluates it on {@code data}. */
    public static Evaluation evaluate(Path runDir, ExperimentConfig config, SpikeDataset data) {
        return Evaluator.evaluate(selectedModel(runDir, config, data), data, config.training().evalBatchSize());
    }

    /** The run's network with its selected (best) weights, for data shaped like {@code data}. */
    public static SpikingNetwork selectedModel(Path runDir, ExperimentConfig config, SpikeDataset data) {
        Trainer.initRuntime(config);
        SpikingNetwork net = new SpikingNetwork(config.model(), data.channels(), data.classes());
        TrainingState.loadBest(runDir, net);
        return net;
    }

    /** Builds {@code config}'s network, loads {@code checkpoint} (either layout, torch or safetensors) and evaluates. */
    public static Evaluation evaluateCheckpoint(Path checkpoint, ExperimentConfig config, SpikeDataset data) {
        Trainer.initRuntime(config);
        SpikingNetwork net = new SpikingNetwork(config.model(), data.channels(), data.classes());
        Checkpoints.loadInto(checkpoint, net);
        return Evaluator.evaluate(net, data, config.training().evalBatchSize());
    }
}
